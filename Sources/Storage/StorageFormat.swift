/// Constants of the on-disk format shared by the pager and the WAL.
public enum StorageFormat {
    /// Bumped whenever any on-disk layout changes.
    public static let version: UInt32 = 1
    /// Size of every page in the database file and of every WAL frame's image.
    public static let pageSizeBytes = 8192
}
