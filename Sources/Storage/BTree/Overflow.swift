// Overflow page format — a value too large for a leaf cell is stored in a chain:
//
//   offset  size  field
//   0       24    common page header, type `overflow`
//   24      4     next page of the chain (0 on the last page)
//   28      4     bytes of value data on this page
//   32      ...   value data
//
// Invariants:
//   O1. The data bytes of a chain, in order, add up to the length the leaf cell records.
//   O2. A chain is at most ceil(length / capacity) pages long; a longer one is corruption.

/// Writing, reading and freeing overflow chains.
enum Overflow {
    static let nextOffset = 24
    static let lengthOffset = 28
    static let dataOffset = 32
    static let capacityBytes = StorageFormat.pageSizeBytes - dataOffset

    /// Writes `value` to a new chain; returns its first page.
    static func write(_ value: UnsafeRawBufferPointer, in sink: some PageSink) throws -> PageNumber {
        var chain = try ChainWriter(sink)
        try chain.append(value)
        return chain.first
    }

    /// Writes a chain from bytes that arrive in pieces, page by page, each page but the last
    /// full (invariant O2): a value is never gathered into one buffer first. `first` is the
    /// chain's first page from the start.
    struct ChainWriter<Sink: PageSink> {
        let sink: Sink
        let first: PageNumber
        private var current: PageNumber
        private var filled = 0
        private(set) var byteCount = 0

        init(_ sink: Sink) throws {
            self.sink = sink
            first = try sink.allocatePage(type: .overflow)
            current = first
            try Self.startPage(first, in: sink)
        }

        private static func startPage(_ pageNumber: PageNumber, in sink: Sink) throws {
            try sink.withMutablePage(pageNumber) { page in
                page.storeLE(PageNumber(0), at: nextOffset)
                page.storeLE(UInt32(0), at: lengthOffset)
            }
        }

        mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < bytes.count {
                if filled == capacityBytes { try startNextPage() }
                let count = min(bytes.count - offset, capacityBytes - filled)
                try sink.withMutablePage(current) { [filled] page in
                    (page.baseAddress! + dataOffset + filled).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
                    page.storeLE(UInt32(filled + count), at: lengthOffset)
                }
                (filled, offset, byteCount) = (filled + count, offset + count, byteCount + count)
            }
        }

        private mutating func startNextPage() throws {
            let next = try sink.allocatePage(type: .overflow)
            try Self.startPage(next, in: sink)
            try sink.withMutablePage(current) { $0.storeLE(next, at: nextOffset) }
            (current, filled) = (next, 0)
        }

        /// Overwrites bytes already appended at `offset` of the first page's data.
        func patchFirstPage(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
            precondition(offset + bytes.count <= min(byteCount, capacityBytes), "patch past the first page's data")
            try sink.withMutablePage(first) { page in
                (page.baseAddress! + dataOffset + offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            }
        }
    }

    /// Reads a chain of `lengthBytes` bytes starting at `first` (invariants O1, O2).
    static func read(first: PageNumber, lengthBytes: Int, in source: some PageSource) throws -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(lengthBytes)
        try walk(first: first, lengthBytes: lengthBytes, in: source) { _, data in result.append(contentsOf: data) }
        return result
    }

    /// Returns every page of a chain to the free list.
    static func free(first: PageNumber, lengthBytes: Int, in sink: some PageSink) throws {
        var pages: [PageNumber] = []
        try walk(first: first, lengthBytes: lengthBytes, in: sink) { pageNumber, _ in pages.append(pageNumber) }
        for pageNumber in pages { try sink.freePage(pageNumber) }
    }

    /// Visits each page of a chain with its data, checking the chain's shape.
    static func walk(first: PageNumber, lengthBytes: Int, in source: some PageSource,
                     _ visit: (PageNumber, UnsafeRawBufferPointer) throws -> Void) throws {
        let pagesMax = (lengthBytes + capacityBytes - 1) / capacityBytes
        var pageNumber = first
        var remaining = lengthBytes
        for _ in 0..<pagesMax {
            pageNumber = try source.withPage(pageNumber) { page in
                guard PageLayout.type(page) == .overflow else {
                    throw VireoError.corrupt(source.path, page: pageNumber, "expected an overflow page")
                }
                let length = Int(page.loadLE(at: lengthOffset) as UInt32)
                guard length <= min(remaining, capacityBytes) else {
                    throw VireoError.corrupt(source.path, page: pageNumber, "overflow page holds \(length) bytes, more than its chain's remaining \(remaining)")
                }
                try visit(pageNumber, UnsafeRawBufferPointer(rebasing: page[dataOffset..<(dataOffset + length)]))
                remaining -= length
                return page.loadLE(at: nextOffset)
            }
            if remaining == 0 { return }
        }
        throw VireoError.corrupt(source.path, page: first, "overflow chain ends \(remaining) bytes short")
    }
}
