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
        }
    }

    /// PostgreSQL's float8 output: shortest exact digits, `Infinity`, `NaN`, no `.0`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}

/// Timestamps as text: `2024-01-02 03:04:05.123456`, without time zone, in UTC.
public enum TimestampText {
    /// Formats microseconds since the Unix epoch as PostgreSQL prints a timestamp.
    public static func format(_ micros: Int64) -> String {
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

    /// Parses `YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][Z|±HH[:MM]]`; a zone offset converts to UTC.
    public static func parse(_ text: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let parsed = parseParts(Array(trimmed.utf8)) else {
            throw VireoError(.invalidTextRepresentation, "invalid input syntax for type timestamp: \"\(text)\"")
        }
        return parsed
    }

    private static func parseParts(_ bytes: [UInt8]) -> Int64? {
        var scanner = DigitScanner(bytes: bytes)
        guard let year = scanner.number(4), scanner.skip("-"), let month = scanner.number(2), scanner.skip("-"),
              let day = scanner.number(2), (1...12).contains(month), (1...31).contains(day) else { return nil }
        var (hour, minute, second, micros) = (0, 0, 0, 0)
        if scanner.skip(" ") || scanner.skip("T") {
            guard let h = scanner.number(2), scanner.skip(":"), let m = scanner.number(2), h < 24, m < 60 else { return nil }
            (hour, minute) = (h, m)
            if scanner.skip(":") {
                guard let s = scanner.number(2), s < 61 else { return nil }
                second = s
                if scanner.skip(".") { micros = scanner.fraction() }
            }
        }
        guard let offsetSeconds = scanner.zoneOffset(), scanner.atEnd else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return seconds * 1_000_000 + Int64(micros)
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

    mutating func fraction() -> Int {
        var micros = 0
        var scale = 100_000
        while position < bytes.count, (48...57).contains(bytes[position]) {
            micros += Int(bytes[position] - 48) * scale
            scale /= 10
            position += 1
        }
        return micros
    }

    /// `Z`, `+HH`, `+HH:MM`, `-HHMM`, or nothing (UTC); nil when malformed.
    mutating func zoneOffset() -> Int? {
        if atEnd { return 0 }
        if skip("Z") || skip("z") { return 0 }
        _ = skip(" ")
        let sign: Int
        if skip("+") { sign = 1 } else if skip("-") { sign = -1 } else { return atEnd ? 0 : nil }
        guard let hours = number(2) else { return nil }
        _ = skip(":")
        let minutes = number(2) ?? 0
        return sign * (hours * 3600 + minutes * 60)
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
