import VireoQuery

/// Namespace for the network surfaces: pgwire and REST.
public enum VireoNetModule {}
