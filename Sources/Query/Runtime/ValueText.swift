import Foundation
import VireoStorage

extension Value {
    /// The value in PostgreSQL's text output format (what psql shows and pgwire sends);
    /// nil for NULL.
    public var text: String? {
        switch self {
        case .null: nil
        case .bool(let value): value ? "t" : "f"
        case .int(let value): String(value)
        case .double(let value): Self.format(value)
        case .text(let value), .json(let value): value
        case .bytes(let value): "\\x" + value.map { String(format: "%02x", $0) }.joined()
        case .timestamp(let micros): TimestampText.format(micros)
        case .vector(let value): VectorText.format(value)
        case .interval(let value): IntervalMath.format(value)
        case .array(let elements): ArrayText.format(elements, element: nil)
        case .numeric(let value): value.description
        }
    }

    /// PostgreSQL's float4 output of a double holding a real: the float's shortest digits.
    public static func format(real value: Double) -> String {
        let number = Float(value)
        if number.isNaN || number.isInfinite { return format(value) }
        return shortest(number.description, fixedExponentMax: 6)
    }

    /// The text of a value of `type`: a real prints as float4, a date as `2024-01-02`, a
    /// timestamptz with the session zone's offset (`+00`).
    public func text(as type: SQLType) -> String? {
        switch (type, self) {
        case (.real, .double(let number)): return Self.format(real: number)
        case (.date, .timestamp(let micros)): return DateTime.formatDate(micros)
        case (.timestamptz, .timestamp(let micros)): return SessionTimeZone.format(instant: micros)
        case (.array(let element), .array(let elements)): return ArrayText.format(elements, element: element)
        case (.int2vector, .array(let elements)): return elements.map { $0.text ?? "" }.joined(separator: " ")
        case (.record(let fields), .array(let values)): return Self.recordText(zip(values, fields).map { $0.text(as: $1.type) })
        default: return text
        }
    }

    /// PostgreSQL's record output (record_out) of the fields' texts: `(5,"a b",)`, a NULL field
    /// empty, a field quoted when it is empty or holds a quote, backslash, parenthesis, comma
    /// or white space, its quotes and backslashes doubled.
    public static func recordText(_ fields: [String?]) -> String {
        let special: Set<Character> = ["\"", "\\", "(", ")", ",", " ", "\t", "\n", "\r"]
        return "(" + fields.map { field -> String in
            guard let field else { return "" }
            guard field.isEmpty || field.contains(where: special.contains) else { return field }
            return "\"" + field.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",") + ")"
    }

    /// PostgreSQL's float8 output: shortest exact digits, `Infinity`, `NaN`, no `.0`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return shortest(value.description, fixedExponentMax: 15)
    }

    /// Swift's shortest round-trip digits laid out as PostgreSQL lays out float output:
    /// plain notation for decimal exponents from -4 up to below `fixedExponentMax` (6 for
    /// float4, 15 for float8), else `d.ddde+XX`.
    static func shortest(_ description: String, fixedExponentMax: Int) -> String {
        let negative = description.hasPrefix("-")
        let body = negative ? description.dropFirst() : Substring(description)
        let parts = body.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0], exponentPart = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let pointIndex = mantissa.firstIndex(of: ".") ?? mantissa.endIndex
        var digits = String(mantissa[..<pointIndex]) + String(mantissa[pointIndex...].dropFirst())
        var exponent = exponentPart + mantissa.distance(from: mantissa.startIndex, to: pointIndex) - 1
        while digits.hasPrefix("0") && digits.count > 1 { digits.removeFirst(); exponent -= 1 }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        if digits == "0" { return negative ? "-0" : "0" }
        let sign = negative ? "-" : ""
        if exponent < -4 || exponent >= fixedExponentMax {
            let fraction = digits.count > 1 ? "." + digits.dropFirst() : ""
            let magnitude = abs(exponent)
            return sign + String(digits.prefix(1)) + fraction + "e" + (exponent < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "") + String(magnitude)
        }
        if exponent < 0 { return sign + "0." + String(repeating: "0", count: -exponent - 1) + digits }
        if digits.count <= exponent + 1 { return sign + digits + String(repeating: "0", count: exponent + 1 - digits.count) }
        let split = digits.index(digits.startIndex, offsetBy: exponent + 1)
        return sign + digits[..<split] + "." + digits[split...]
    }
}

/// Timestamps as text: `2024-01-02 03:04:05.123456`, without time zone, in UTC.
public enum TimestampText {
    /// Formats microseconds since the Unix epoch as PostgreSQL prints a timestamp.
    public static func format(_ micros: Int64) -> String {
        if let infinity = DateTime.infinityText(micros) { return infinity }
        let seconds = micros.floorDivided(by: 1_000_000)
        let fraction = micros - seconds * 1_000_000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var text = String(format: "%04d-%02d-%02d %02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                          Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        if fraction != 0 {
            var digits = String(format: "%06d", Int(fraction))
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text
    }

    /// Parses `YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][Z|±HH[:MM]]`. A zone offset converts to
    /// UTC for an instant (`timestamptz`); `timestamp` and `date` are wall clocks, and
    /// PostgreSQL reads the offset and ignores it for them (`'10:00+02'::timestamp` is 10:00).
    public static func parse(_ text: String, typeName: String = "timestamp", ignoringOffset: Bool = false) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let special = special(trimmed, wall: true) { return special }
        guard let parsed = try parseAnySpelling(trimmed, text, ignoringOffset: ignoringOffset) else {
            throw VireoError(.invalidDatetimeFormat, "invalid input syntax for type \(typeName): \"\(text)\"")
        }
        return parsed.micros
    }

    /// Parses a timestamptz: text with an offset names its instant; text without one is a
    /// wall clock in the session's time zone.
    public static func parseInstant(_ text: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let special = special(trimmed, wall: false) { return special }
        guard let parsed = try parseAnySpelling(trimmed, text, ignoringOffset: false) else {
            throw VireoError(.invalidDatetimeFormat, "invalid input syntax for type timestamp with time zone: \"\(text)\"")
        }
        return parsed.hasOffset ? parsed.micros : SessionTimeZone.instant(wall: parsed.micros)
    }

    /// PostgreSQL's special inputs, in any case: `epoch` (1970-01-01 00:00, UTC for an
    /// instant), `now`, and `today`, `tomorrow`, `yesterday` (midnight in the session's time
    /// zone); as a wall clock or an instant; nil for other text.
    private static func special(_ trimmed: String, wall: Bool) -> Int64? {
        if trimmed.utf8.count == 9, trimmed.lowercased() == "-infinity" { return .min }
        guard (3...9).contains(trimmed.utf8.count), trimmed.utf8.allSatisfy({ $0 >= 65 }) else { return nil }
        let word = trimmed.lowercased()
        if word == "epoch" { return 0 }
        if word == "infinity" { return .max }
        let now = Functions.currentMicros()
        if word == "now" { return wall ? SessionTimeZone.wall(instant: now) : now }
        guard let days: Int64 = ["yesterday": -1, "today": 0, "tomorrow": 1][word] else { return nil }
        let midnight = DateTime.midnight(of: SessionTimeZone.wall(instant: now)) + days * 86_400_000_000
        return wall ? midnight : SessionTimeZone.instant(wall: midnight)
    }

    /// ISO 8601 text, or one of PostgreSQL's other date spellings (`DateSpelling`) with
    /// the same time and offset after it.
    /// A time zone's name after the time (`2024-01-01 10:00 Europe/Berlin`, `… UTC`, `… EST`)
    /// names the instant's offset, as a numeric offset does: a `timestamp` reads and ignores it.
    private static func parseAnySpelling(_ trimmed: String, _ text: String, ignoringOffset: Bool) throws -> (micros: Int64, hasOffset: Bool)? {
        if let parsed = try parseSpelling(trimmed, text, ignoringOffset: ignoringOffset) { return parsed }
        guard let blank = trimmed.lastIndex(of: " "), trimmed[blank...].contains(where: \.isLetter),
              let wall = try parseSpelling(String(trimmed[..<blank]), text, ignoringOffset: true), !wall.hasOffset else { return nil }
        let name = String(trimmed[trimmed.index(after: blank)...])
        guard let zone = namedZone(name) else {
            throw VireoError(.invalidParameter, "time zone \"\(name.lowercased())\" not recognized")
        }
        if ignoringOffset { return wall }
        return (TimeZones.instant(zone, wall: wall.micros), true)
    }

    /// A zone by its IANA name in any case, or by an abbreviation the system knows (`EST`).
    private static func namedZone(_ name: String) -> TimeZone? {
        let lowered = name.lowercased()
        if ["utc", "gmt", "z", "zulu", "etc/utc", "universal"].contains(lowered) { return TimeZone(identifier: "UTC") }
        if let zone = TimeZone(identifier: name) { return zone }
        if let identifier = TimeZone.knownTimeZoneIdentifiers.first(where: { $0.lowercased() == lowered }) {
            return TimeZone(identifier: identifier)
        }
        return name.count <= 5 ? TimeZone(abbreviation: name.uppercased()) : nil
    }

    private static func parseSpelling(_ trimmed: String, _ text: String, ignoringOffset: Bool) throws -> (micros: Int64, hasOffset: Bool)? {
        if let parsed = try parseParts(Array(trimmed.utf8), text, ignoringOffset: ignoringOffset) { return parsed }
        guard let iso = DateSpelling.isoText(trimmed) else { return nil }
        return try parseParts(Array(iso.utf8), text, ignoringOffset: ignoringOffset)
    }

    /// nil for text that is not a timestamp (22007); 22008 for fields out of range, such as
    /// February 30th or hour 25, which PostgreSQL refuses rather than rolling over.
    private static func parseParts(_ bytes: [UInt8], _ text: String, ignoringOffset: Bool) throws -> (micros: Int64, hasOffset: Bool)? {
        var scanner = DigitScanner(bytes: bytes)
        guard let year = scanner.number(4), scanner.skip("-"), let month = scanner.number(2), scanner.skip("-"),
              let day = scanner.number(2) else { return nil }
        var (hour, minute, second, micros) = (0, 0, 0, 0)
        if scanner.skip(" ") || scanner.skip("T") {
            guard let h = scanner.number(2), scanner.skip(":"), let m = scanner.number(2) else { return nil }
            (hour, minute) = (h, m)
            if scanner.skip(":") {
                guard let s = scanner.number(2) else { return nil }
                second = s
                if scanner.skip(".") { micros = scanner.fraction() }
            }
        }
        guard let offset = scanner.zoneOffset(), scanner.atEnd else { return nil }
        let offsetSeconds = ignoringOffset ? 0 : offset ?? 0
        let timeFits = hour < 24 && minute < 60 && second <= 60 || hour == 24 && minute == 0 && second == 0 && micros == 0
        guard (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day), timeFits else {
            throw VireoError(.datetimeFieldOverflow, "date/time field value out of range: \"\(text)\"")
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return (seconds * 1_000_000 + Int64(micros), offset != nil)
    }

    /// The days of `month` (1...12) in `year` of the proleptic Gregorian calendar.
    static func daysInMonth(year: Int, month: Int) -> Int {
        let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        return [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// A cursor over ASCII bytes for the timestamp parser.
private struct DigitScanner {
    let bytes: [UInt8]
    var position = 0

    var atEnd: Bool { position == bytes.count }

    mutating func skip(_ character: Character) -> Bool {
        guard position < bytes.count, bytes[position] == character.asciiValue else { return false }
        position += 1
        return true
    }

    mutating func number(_ digits: Int) -> Int? {
        guard position + digits <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[position..<(position + digits)] {
            guard (48...57).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        position += digits
        return value
    }

    /// The digits after a decimal point as microseconds, rounded at the seventh digit as
    /// PostgreSQL rounds them (`.9999995` is a whole second: the caller carries it).
    mutating func fraction() -> Int {
        var micros = 0
        var digits = 0
        var roundsUp = false
        while position < bytes.count, (48...57).contains(bytes[position]) {
            let digit = Int(bytes[position] - 48)
            if digits < 6 { micros = micros * 10 + digit } else if digits == 6 { roundsUp = digit >= 5 }
            digits += 1
            position += 1
        }
        while digits < 6 {
            micros *= 10
            digits += 1
        }
        return micros + (roundsUp ? 1 : 0)
    }

    /// `Z`, `+HH`, `+HH:MM`, `-HHMM` in seconds east of UTC, or nothing (.some(nil));
    /// nil when malformed.
    mutating func zoneOffset() -> Int?? {
        if atEnd { return .some(nil) }
        if skip("Z") || skip("z") { return 0 }
        _ = skip(" ")
        let sign: Int
        if skip("+") { sign = 1 } else if skip("-") { sign = -1 } else { return atEnd ? .some(nil) : nil }
        guard let hours = number(2) else { return nil }
        _ = skip(":")
        let minutes = number(2) ?? 0
        return sign * (hours * 3600 + minutes * 60)
    }
}

extension BinaryInteger {
    /// Division rounding toward negative infinity (days before 1970 belong to earlier days).
    public func floorDivided(by divisor: Self) -> Self {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
