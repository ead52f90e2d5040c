import VireoStorage

/// The size limit for one value. Every function and operator that builds a value larger
/// than its inputs (`||`, concat, replace, repeat …) works out the result's size first and
/// checks it here, so that a statement asking for a 10 GB string fails with 54000 instead of
/// allocating it and aborting the process.
public enum ValueLimits {
    /// The most bytes one value built by an expression may hold: PostgreSQL's limit for
    /// one value (1 GB, the reach of its 30-bit length header), so that anything Vireo
    /// builds PostgreSQL could hold too.
    public static let valueSizeBytesMax = 1 << 30
}

/// The size in bytes of a value about to be built, added up from its parts; an overflow of
/// `Int` is remembered rather than trapping, and counts as past the limit.
struct ResultSize {
    /// What builds the value, for the error message: `replace()`, `||` …
    let builder: String
    private(set) var bytes = 0
    private var overflowed = false

    init(of builder: String) { self.builder = builder }

    /// Adds `count` parts of `partBytes` bytes each.
    mutating func add(_ partBytes: Int, times count: Int = 1) {
        let (product, productOverflow) = partBytes.multipliedReportingOverflow(by: count)
        let (sum, sumOverflow) = bytes.addingReportingOverflow(product)
        overflowed = overflowed || productOverflow || sumOverflow
        bytes = sum
    }

    /// Throws 54000 when the value would pass `limit` (`ValueLimits.valueSizeBytesMax`).
    func check(limit: Int = ValueLimits.valueSizeBytesMax) throws {
        if overflowed {
            throw VireoError(.limitExceeded, "result of \(builder) would be larger than \(Int.max) bytes, more than the \(limit)-byte limit for one value")
        }
        guard bytes <= limit else {
            throw VireoError(.limitExceeded, "result of \(builder) would be \(bytes) bytes, more than the \(limit)-byte limit for one value")
        }
    }
}
