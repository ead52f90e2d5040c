/// Constants of the on-disk format shared by the pager and the WAL.
public enum StorageFormat {
    /// Bumped whenever any on-disk layout changes: the version a new database gets.
    /// 1: the first. 2: leaves may hold compact cells (BTreeNode.swift).
    public static let version: UInt32 = 2
    /// The oldest version this build opens. A version-1 file is read as it is and raised
    /// to 2 by the first transaction that writes a compact leaf.
    public static let oldestReadableVersion: UInt32 = 1
    /// The version from which leaves may have compact cells.
    static let compactLeavesVersion: UInt32 = 2
    /// Size of every page in the database file and of every WAL frame's image.
    public static let pageSizeBytes = 8192
}
