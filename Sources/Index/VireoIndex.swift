import VireoStorage

/// Namespace for the vector index module (HNSW, flat search, distance kernels).
public enum VireoIndexModule {
    /// The storage layer this index persists through.
    public static let storageFormatVersion = StorageFormat.version
}
