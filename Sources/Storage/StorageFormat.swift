/// Constants of the on-disk format shared by the pager and the WAL.
public enum StorageFormat {
    /// Bumped whenever any on-disk layout changes: the version a new database gets.
    /// 1: the first. 2: leaves may hold compact cells (BTreeNode.swift). 3: tables may key
    /// their rows by compact row ids (KeyCodec+RowID.swift). 4: the catalog may hold enum
    /// types and columns of them (Catalog+Types.swift). 5: records may hold multi-dimensional
    /// arrays, arrays nested in arrays (RecordCodec.swift, Value+Array.swift).
    public static let version: UInt32 = 5
    /// The version a new file starts at: what every file needs. A file is raised above it
    /// only by the transaction that first uses a later version's feature (an enum type), so
    /// a file without one stays readable by builds of version 3.
    public static let newFileVersion: UInt32 = 3
    /// The oldest version this build opens. A version-1 file is read as it is and raised
    /// to 2 by the first transaction that writes a compact leaf, a version-1 or 2 file to 3
    /// by the transaction that creates its first compact-keyed table.
    public static let oldestReadableVersion: UInt32 = 1
    /// The version from which leaves may have compact cells.
    static let compactLeavesVersion: UInt32 = 2
    /// The version from which a table's keys may be compact row ids.
    static let compactRowKeysVersion: UInt32 = 3
    /// The version from which the catalog may hold enum types.
    static let enumTypesVersion: UInt32 = 4
    /// The version from which records may hold multi-dimensional arrays: older builds read
    /// an array inside an array as corruption, so the first row holding one raises the file.
    static let multidimensionalArraysVersion: UInt32 = 5
    /// Size of every page in the database file and of every WAL frame's image.
    public static let pageSizeBytes = 8192
}
