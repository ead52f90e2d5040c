/// The server's version, as /health reports it and the `Server` header names it.
public enum VireoVersion {
    /// Semantic version of the server and its REST API.
    public static let text = "0.1.0"
}
