import VireoStorage

/// A memory setting (work_mem) as PostgreSQL reads and prints it: a number, fractional or
/// not, then optionally a unit (`B`, `kB`, `MB`, `GB`, `TB`, case as written, spaces allowed
/// before it); without a unit the number is kilobytes. SHOW prints the largest unit that
/// divides the value exactly: `1024kB` shows as `1MB`.
enum MemorySetting {
    /// PostgreSQL's bounds for work_mem: 64 kB up to INT_MAX kilobytes (about 2 TB).
    static let kilobytesMin = 64
    static let kilobytesMax = Int(Int32.max)

    /// The units, largest first, with their size in kilobytes.
    private static let units: [(name: String, kilobytes: Double)] = [
        ("TB", 1_073_741_824), ("GB", 1_048_576), ("MB", 1024), ("kB", 1), ("B", 1.0 / 1024),
    ]

    /// The kilobytes `text` stands for; 22023 when it is not a memory size in range.
    static func kilobytes(parsing text: String, setting: String) throws -> Int {
        let invalid = "invalid value for parameter \"\(setting)\": \"\(text)\""
        guard let (numberText, unitText) = split(text), let number = Double(numberText) else {
            throw VireoError(.invalidParameter, invalid)
        }
        guard let unit = unitText.isEmpty ? 1 : units.first(where: { $0.name == unitText })?.kilobytes else {
            let names = units.reversed().map { "\"\($0.name)\"" }
            let list = names.dropLast().joined(separator: ", ") + ", and " + (names.last ?? "")
            throw VireoError(.invalidParameter, "\(invalid) (valid units for this parameter are \(list))")
        }
        let kilobytes = (number * unit).rounded(.toNearestOrEven)
        guard kilobytes >= Double(Int32.min), kilobytes <= Double(Int32.max) else {
            throw VireoError(.invalidParameter, "\(invalid) (value exceeds integer range)")
        }
        let whole = Int(kilobytes)
        guard whole >= kilobytesMin, whole <= kilobytesMax else {
            throw VireoError(.invalidParameter, "\(whole) kB is outside the valid range for parameter \"\(setting)\" (\(kilobytesMin) kB .. \(kilobytesMax) kB)")
        }
        return whole
    }

    /// `kilobytes` in the largest unit that divides it exactly, as SHOW prints it.
    static func text(kilobytes: Int) -> String {
        for unit in units where unit.kilobytes >= 1 && kilobytes % Int(unit.kilobytes) == 0 {
            return "\(kilobytes / Int(unit.kilobytes))\(unit.name)"
        }
        return "\(kilobytes)kB"
    }

    /// The leading number (sign, digits, fraction, exponent) and the unit after it, without
    /// surrounding spaces; nil when `text` does not start with a number.
    private static func split(_ text: String) -> (number: Substring, unit: Substring)? {
        guard let match = text.wholeMatch(of: /\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*/) else { return nil }
        return (match.1, match.2)
    }
}
