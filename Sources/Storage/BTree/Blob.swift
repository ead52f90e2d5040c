// Blob — a byte string of any length stored in an overflow chain (see Overflow), for
// data that is not a row: e.g. an index layer's own persisted structures. The chain's
// data starts with the blob's length as 8 bytes little-endian.

/// Writing, reading and freeing blobs; a blob is named by its first page.
public enum Blob {
    static let lengthBytes = 8

    /// Writes `bytes` as a new blob and returns its first page.
    public static func write(_ bytes: UnsafeRawBufferPointer, in sink: some PageSink) throws -> PageNumber {
        try write(in: sink) { append in try append(bytes) }
    }

    /// Writes a new blob from the pieces `produce` hands to `append`, page by page, and
    /// returns its first page: a blob of gigabytes (an index snapshot) is never copied whole.
    public static func write(in sink: some PageSink,
                             _ produce: (_ append: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> PageNumber {
        var chain = try Overflow.ChainWriter(sink)
        try withUnsafeBytes(of: UInt64(0)) { try chain.append($0) }  // the length, known at the end
        try produce { try chain.append($0) }
        try withUnsafeBytes(of: UInt64(chain.byteCount - lengthBytes).littleEndian) { try chain.patchFirstPage($0, at: 0) }
        return chain.first
    }

    /// Reads the blob that starts at `first`.
    public static func read(first: PageNumber, in source: some PageSource) throws -> [UInt8] {
        let length = try totalLength(first: first, in: source)
        var result = [UInt8]()
        result.reserveCapacity(length - lengthBytes)
        var prefixLeft = lengthBytes
        try Overflow.walk(first: first, lengthBytes: length, in: source) { _, data in
            let skipped = min(prefixLeft, data.count)
            prefixLeft -= skipped
            result.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[skipped...]))
        }
        return result
    }

    /// Frees every page of the blob that starts at `first`.
    public static func free(first: PageNumber, in sink: some PageSink) throws {
        try Overflow.free(first: first, lengthBytes: try totalLength(first: first, in: sink), in: sink)
    }

    static func walkPages(first: PageNumber, in source: some PageSource, _ visit: (PageNumber) -> Void) throws {
        try Overflow.walk(first: first, lengthBytes: try totalLength(first: first, in: source), in: source) { page, _ in visit(page) }
    }

    private static func totalLength(first: PageNumber, in source: some PageSource) throws -> Int {
        let length: UInt64 = try source.withPage(first) { page in
            guard PageLayout.type(page) == .overflow else {
                throw VireoError.corrupt(source.path, page: first, "expected the first page of a blob")
            }
            return page.loadLE(at: Overflow.dataOffset)
        }
        guard length <= UInt64(Int.max - lengthBytes) else {
            throw VireoError.corrupt(source.path, page: first, "blob length \(length) is impossible")
        }
        return Int(length) + lengthBytes
    }
}
