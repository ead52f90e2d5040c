// Blob — a byte string of any length stored in an overflow chain (see Overflow), for
// data that is not a row: e.g. an index layer's own persisted structures. The chain's
// data starts with the blob's length as 8 bytes little-endian.

/// Writing, reading and freeing blobs; a blob is named by its first page.
public enum Blob {
    static let lengthBytes = 8

    /// Writes `bytes` as a new blob and returns its first page.
    public static func write(_ bytes: UnsafeRawBufferPointer, in sink: some PageSink) throws -> PageNumber {
        var framed = [UInt8]()
        framed.reserveCapacity(lengthBytes + bytes.count)
        appendLE(UInt64(bytes.count), to: &framed)
        framed.append(contentsOf: bytes)
        return try framed.withUnsafeBytes { try Overflow.write($0, in: sink) }
    }

    /// Reads the blob that starts at `first`.
    public static func read(first: PageNumber, in source: some PageSource) throws -> [UInt8] {
        let length = try totalLength(first: first, in: source)
        return Array(try Overflow.read(first: first, lengthBytes: length, in: source).dropFirst(lengthBytes))
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
