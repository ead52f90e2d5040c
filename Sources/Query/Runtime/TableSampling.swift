import VireoStorage

/// TABLESAMPLE's methods. Each row (BERNOULLI) or each run of `systemBlockRows` row ids
/// (SYSTEM, standing for PostgreSQL's pages) is kept when a hash of its row id or run and
/// the seed falls below the percentage: 100 keeps every row, 0 none, and the same seed picks
/// the same rows of the same data. Without REPEATABLE the seed is random for each row, which
/// keeps each row independently (SYSTEM then samples rows, not runs).
enum TableSampling {
    enum Method: String {
        case system, bernoulli
    }

    /// Row ids per SYSTEM block.
    static let systemBlockRows: Int64 = 64

    /// `keep(row id, percentage, seed)`: whether the row is in the sample.
    static func function(_ method: Method) -> ScalarFunction {
        ScalarFunction("tablesample_" + method.rawValue, 3...3, [.int, .double, .double], strict: false, returns: .bool) { arguments in
            guard case .int(let rowID) = arguments[0] else { return .bool(false) }
            let fraction = try percentage(arguments[1]) / 100
            let unit = method == .system ? rowID.floorDivided(by: systemBlockRows) : rowID
            return .bool(draw(unit, seed: try seed(arguments[2])) < fraction)
        }
    }

    /// The percentage, or 2202H when it is NULL or outside 0–100.
    static func percentage(_ value: Value) throws -> Double {
        guard !value.isNull else { throw VireoError(.invalidTablesampleArgument, "TABLESAMPLE parameter cannot be null") }
        let percent: Double
        switch value {
        case .double(let number): percent = number
        case .int(let number): percent = Double(number)
        default: percent = .nan
        }
        guard percent >= 0, percent <= 100 else {
            throw VireoError(.invalidTablesampleArgument, "sample percentage must be between 0 and 100")
        }
        return percent
    }

    /// The REPEATABLE seed, or 2202G when it is NULL.
    static func seed(_ value: Value) throws -> UInt64 {
        switch value {
        case .double(let seed): return seed.bitPattern
        case .int(let seed): return Double(seed).bitPattern
        default: throw VireoError(.invalidTablesampleRepeat, "TABLESAMPLE REPEATABLE parameter cannot be null")
        }
    }

    /// A number in [0, 1) from `unit` and `seed`: splitmix64's finaliser over both.
    static func draw(_ unit: Int64, seed: UInt64) -> Double {
        var mixed = UInt64(bitPattern: unit) &+ seed &* 0x9E37_79B9_7F4A_7C15
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        mixed ^= mixed >> 31
        return Double(mixed >> 11) / Double(UInt64(1) << 53)
    }
}
