// Meta page — page 0 of the database file. After the common page header:
//
//   offset  size  field
//   24      8     magic "VIREODB\0"
//   32      4     format version (StorageFormat.newFileVersion when created, raised by the
//                 first transaction using a later version's feature; a build opens the
//                 versions from StorageFormat.oldestReadableVersion up to StorageFormat.version)
//   36      4     page size in bytes
//   40      4     page count: pages in the database, the meta page included
//   44      4     first free page (0: the free list is empty)
//   48      4     number of free pages
//   52      4     root page of the catalog tree
//
// Invariants:
//   M1. Every page number in use or on the free list is below the page count.
//   M2. The free list is a chain through free pages (body offset 24: next free page).

/// Field offsets and accessors of the meta page.
enum MetaPage {
    static let magic: [UInt8] = Array("VIREODB\0".utf8)
    static let magicOffset = 24
    static let versionOffset = 32
    static let pageSizeOffset = 36
    static let pageCountOffset = 40
    static let freeListHeadOffset = 44
    static let freePageCountOffset = 48
    static let catalogRootOffset = 52

    /// Offset, in a free page, of the next free page's number.
    static let nextFreeOffset = 24

    static func initialize(_ page: UnsafeMutableRawBufferPointer, pageSizeBytes: Int, catalogRoot: PageNumber) {
        PageLayout.initialize(page, type: .meta)
        UnsafeMutableRawBufferPointer(rebasing: page[magicOffset..<(magicOffset + 8)]).copyBytes(from: magic)
        page.storeLE(StorageFormat.newFileVersion, at: versionOffset)
        page.storeLE(UInt32(pageSizeBytes), at: pageSizeOffset)
        page.storeLE(UInt32(catalogRoot + 1), at: pageCountOffset)
        page.storeLE(catalogRoot, at: catalogRootOffset)
    }

    /// Raises the file's format version to `version` when it is lower, inside the
    /// transaction about to write what needs it, so the raise commits with that write and
    /// older builds then refuse the file (`validate`). One read when it is already there.
    static func raiseVersion(to version: UInt32, in sink: some PageSink) throws {
        let current: UInt32 = try sink.withPage(0) { $0.loadLE(at: versionOffset) }
        guard current < version else { return }
        try sink.withMutablePage(0) { $0.storeLE(version, at: versionOffset) }
    }

    /// Checks magic, version and page size of a verified meta page.
    static func validate(_ page: UnsafeRawBufferPointer, pageSizeBytes: Int, path: String) throws {
        guard Array(page[magicOffset..<(magicOffset + 8)]) == magic, PageLayout.type(page) == .meta else {
            throw VireoError.corrupt(path, page: 0, "not a Vireo database (bad magic)")
        }
        let version: UInt32 = page.loadLE(at: versionOffset)
        guard version >= StorageFormat.oldestReadableVersion, version <= StorageFormat.version else {
            throw VireoError(.corruption, "'\(path)' has format version \(version); this build reads versions \(StorageFormat.oldestReadableVersion) to \(StorageFormat.version)"
                             + (version > StorageFormat.version ? " (the file was written by a newer build)" : ""))
        }
        let pageSize: UInt32 = page.loadLE(at: pageSizeOffset)
        guard Int(pageSize) == pageSizeBytes else {
            throw VireoError.corrupt(path, page: 0, "page size \(pageSize) is not \(pageSizeBytes)")
        }
    }
}
