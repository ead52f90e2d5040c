import VireoQuery

/// The network surfaces (pgwire and REST) will live in this module; none is built yet.
public enum VireoNetModule {}
