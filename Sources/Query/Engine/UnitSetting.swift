import VireoStorage

/// A setting that is an amount with a unit — memory (work_mem) or time (statement_timeout)
/// — read and printed as PostgreSQL does: a number, fractional or not, then optionally a
/// unit (case as written, spaces allowed before it); without a unit the number is in the
/// base unit (kB, ms). SHOW prints the largest unit that divides the value exactly: `1024kB`
/// shows as `1MB`, `60000` ms as `1min`.
struct UnitSetting: Sendable {
    /// The units, largest first, with their size in base units.
    let units: [(name: String, size: Double)]
    let baseUnit: String
    let valueRange: ClosedRange<Int>
    /// How a value of 0 prints, where 0 is in range (PostgreSQL prints a zero time as `0`).
    let zeroText: String?

    /// Memory in kilobytes, within PostgreSQL's bounds for work_mem: 64 kB up to INT_MAX
    /// kilobytes (about 2 TB).
    static let memory = UnitSetting(
        units: [("TB", 1_073_741_824), ("GB", 1_048_576), ("MB", 1024), ("kB", 1), ("B", 1.0 / 1024)],
        baseUnit: "kB", valueRange: 64...Int(Int32.max), zeroText: nil)

    /// Time in milliseconds, within PostgreSQL's bounds for its timeouts: 0 (no limit) up
    /// to INT_MAX milliseconds (about 24 days).
    static let duration = UnitSetting(
        units: [("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000), ("ms", 1), ("us", 0.001)],
        baseUnit: "ms", valueRange: 0...Int(Int32.max), zeroText: "0")

    /// The amount in base units that `text` stands for; 22023 when it is not a value of
    /// this kind in range.
    func value(parsing text: String, setting: String) throws -> Int {
        let invalid = "invalid value for parameter \"\(setting)\": \"\(text)\""
        guard let (numberText, unitText) = Self.split(text), let number = Double(numberText) else {
            throw VireoError(.invalidParameter, invalid)
        }
        guard let unit = unitText.isEmpty ? 1 : units.first(where: { $0.name == unitText })?.size else {
            throw VireoError(.invalidParameter, "\(invalid) (valid units for this parameter are \(unitList))")
        }
        let amount = (number * unit).rounded(.toNearestOrEven)
        guard amount >= Double(Int32.min), amount <= Double(Int32.max) else {
            throw VireoError(.invalidParameter, "\(invalid) (value exceeds integer range)")
        }
        let whole = Int(amount)
        guard valueRange.contains(whole) else {
            let (low, high) = (valueRange.lowerBound, valueRange.upperBound)
            throw VireoError(.invalidParameter, "\(whole) \(baseUnit) is outside the valid range for parameter \"\(setting)\" (\(low) \(baseUnit) .. \(high) \(baseUnit))")
        }
        return whole
    }

    /// `value` in the largest unit that divides it exactly, as SHOW prints it.
    func text(_ value: Int) -> String {
        if value == 0, let zeroText { return zeroText }
        for unit in units where unit.size >= 1 && value % Int(unit.size) == 0 {
            return "\(value / Int(unit.size))\(unit.name)"
        }
        return "\(value)\(baseUnit)"
    }

    /// `"B", "kB", "MB", "GB", and "TB"`: smallest first, as PostgreSQL's hint lists them.
    private var unitList: String {
        let names = units.reversed().map { "\"\($0.name)\"" }
        return names.dropLast().joined(separator: ", ") + ", and " + (names.last ?? "")
    }

    /// The leading number (sign, digits, fraction, exponent) and the unit after it, without
    /// surrounding spaces; nil when `text` does not start with a number. (Scanned by hand:
    /// a Regex literal is compiled at every call, which cost more than the statement.)
    private static func split(_ text: String) -> (number: Substring, unit: Substring)? {
        let trimmed = text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
        let characters = Substring(String(trimmed))
        var index = characters.startIndex
        func skip(_ accept: (Character) -> Bool) -> Int {
            var count = 0
            while index < characters.endIndex, accept(characters[index]) {
                characters.formIndex(after: &index)
                count += 1
            }
            return count
        }
        let isDigit = { (character: Character) in character.isASCII && character.isNumber }
        if index < characters.endIndex, "+-".contains(characters[index]) { characters.formIndex(after: &index) }
        var digits = skip(isDigit)
        if index < characters.endIndex, characters[index] == "." {
            characters.formIndex(after: &index)
            digits += skip(isDigit)
        }
        guard digits > 0 else { return nil }
        if index < characters.endIndex, "eE".contains(characters[index]) {
            let beforeExponent = index
            characters.formIndex(after: &index)
            if index < characters.endIndex, "+-".contains(characters[index]) { characters.formIndex(after: &index) }
            if skip(isDigit) == 0 { index = beforeExponent }
        }
        let number = characters[characters.startIndex..<index]
        return (number, characters[index...].drop(while: \.isWhitespace))
    }
}
