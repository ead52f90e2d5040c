import VireoStorage

/// Where an int8 index reads the full float32 vectors it re-ranks its candidates with.
///
/// An int8 `HNSWIndex` keeps only codes: its graph search ranks candidates by int8
/// distance, then asks the owner of the rows for the float vectors of the best few and
/// ranks those exactly. The owner knows where the rows live and which version of them the
/// caller may see: the SQL engine reads them from the table's B+tree at the statement's
/// snapshot (through the buffer pool), a test or a benchmark from an array.
///
/// A source may be called from any thread, by many searches at once, so it must be safe
/// for concurrent reads. It is called without the index's locks held.
public protocol VectorSource: Sendable {
    /// For each of `labels`, writes that label's current vector (`dimension` floats, as
    /// stored: the index normalises it for cosine) at `destination + i · dimension` and sets
    /// `found[i]` to true; sets `found[i]` to false for a label without one (a deleted row,
    /// a NULL, a row the caller's snapshot does not see). `dimension` is the index's.
    func readVectors(_ labels: UnsafeBufferPointer<Int64>, dimension: Int,
                     into destination: UnsafeMutablePointer<Float>, found: UnsafeMutablePointer<Bool>) throws

    /// Where the rows live, for row locators (see `RowLocator`): nil for a source that takes
    /// none. Locators from one domain are never given to a source of another.
    var locatorDomain: UInt64? { get }

    /// `readVectors`, with a locator per label: where that label's row was found before
    /// (`RowLocator.none` when unknown), to be checked and used instead of a search, and
    /// left naming where it was found now. The default ignores them.
    func readVectors(_ labels: UnsafeBufferPointer<Int64>, locators: UnsafeMutablePointer<RowLocator>, dimension: Int,
                     into destination: UnsafeMutablePointer<Float>, found: UnsafeMutablePointer<Bool>) throws
}

extension VectorSource {
    public var locatorDomain: UInt64? { nil }

    public func readVectors(_ labels: UnsafeBufferPointer<Int64>, locators: UnsafeMutablePointer<RowLocator>, dimension: Int,
                            into destination: UnsafeMutablePointer<Float>, found: UnsafeMutablePointer<Bool>) throws {
        try readVectors(labels, dimension: dimension, into: destination, found: found)
    }
}

/// Vectors held in one array, row-major, looked up by label: a `VectorSource` for tests,
/// benchmarks and embedders that keep their vectors in memory anyway.
public final class ArrayVectorSource: VectorSource, @unchecked Sendable {
    /// Floats per vector.
    public let dimension: Int
    // Written only by init: concurrent readers need no lock.
    private let vectors: [Float]
    private let rowOfLabel: [Int64: Int]

    /// `vectors` holds `labels.count` vectors of `dimension` floats, in the order of `labels`;
    /// a label listed twice keeps its last vector.
    public init(dimension: Int, labels: [Int64], vectors: [Float]) {
        precondition(vectors.count == labels.count * dimension, "expected \(labels.count) × \(dimension) floats")
        self.dimension = dimension
        self.vectors = vectors
        var rows: [Int64: Int] = [:]
        for (row, label) in labels.enumerated() { rows[label] = row }
        rowOfLabel = rows
    }

    public func readVectors(_ labels: UnsafeBufferPointer<Int64>, dimension: Int,
                            into destination: UnsafeMutablePointer<Float>, found: UnsafeMutablePointer<Bool>) throws {
        guard dimension == self.dimension else {
            throw VireoError(.invalidParameter, "source holds \(self.dimension)-d vectors, index asked for \(dimension)")
        }
        vectors.withUnsafeBufferPointer { all in
            for (i, label) in labels.enumerated() {
                found[i] = false
                guard let row = rowOfLabel[label], let base = all.baseAddress else { continue }
                (destination + i * dimension).update(from: base + row * dimension, count: dimension)
                found[i] = true
            }
        }
    }
}
