import VireoIndex

/// Namespace for the query language (lexer, parser, planner, executor) and the embedded API.
public enum VireoQueryModule {}
