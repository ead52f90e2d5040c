import Foundation
import VireoStorage

/// PostgreSQL's `time` (without time zone): a time of day from 00:00:00 to 24:00:00. Its
/// values are `Value.interval`s of microseconds since midnight, so they are stored, compared,
/// sorted and printed as those intervals are (`12:34:56.5`); what differs is typed here and in
/// the binder: text input, wrapping arithmetic, and the casts.
enum TimeOfDay {
    static let microsPerDay = Interval.microsPerDay

    /// The value of `micros` since midnight.
    static func value(_ micros: Int64) -> Value { .interval(Interval(micros: micros)) }

    /// Microseconds since midnight of a time value; nil for NULL.
    static func micros(_ value: Value) -> Int64? {
        if case .interval(let interval) = value { return interval.micros }
        return nil
    }

    /// Reads PostgreSQL's time input: `H:MM`, `H:MM:SS`, `H:MM:SS.ffffff` (more digits round),
    /// an optional `AM`/`PM`, and a date before it or a zone offset after it, which are read and
    /// ignored. 22007 for other text, 22008 for a field out of range (25:00, 12:60, 24:00:01).
    static func parse(_ text: String) throws -> Int64 {
        var scanner = TimeScanner(Array(text.trimmingCharacters(in: .whitespaces).lowercased().utf8))
        scanner.skipDate()
        guard let fields = scanner.clock(), scanner.skipSuffixes(), scanner.atEnd else {
            throw VireoError(.invalidDatetimeFormat, "invalid input syntax for type time: \"\(text)\"")
        }
        var hour = fields.hour
        if let pm = scanner.meridiem {
            guard (1...12).contains(hour) else { throw outOfRange(text) }
            hour = hour % 12 + (pm ? 12 : 0)
        }
        let micros = ((Int64(hour) * 60 + Int64(fields.minute)) * 60 + Int64(fields.second)) * 1_000_000 + fields.micros
        guard fields.minute < 60, fields.second < 60 || (fields.second == 60 && fields.micros == 0), micros <= microsPerDay else {
            throw outOfRange(text)
        }
        return micros
    }

    private static func outOfRange(_ text: String) -> VireoError {
        VireoError(.datetimeFieldOverflow, "date/time field value out of range: \"\(text)\"")
    }

    /// The time of day of an interval (its time part, wrapped into one day), as PostgreSQL's
    /// interval::time; a value that already is a time of day stays as it is (24:00:00 too).
    static func fromInterval(_ interval: Interval) -> Int64 {
        if interval.months == 0, interval.days == 0, (0...microsPerDay).contains(interval.micros) { return interval.micros }
        let wrapped = interval.micros % microsPerDay
        return wrapped < 0 ? wrapped + microsPerDay : wrapped
    }

    /// time ± interval: the interval's time part added, wrapped around midnight (its days
    /// and months do not change a time of day), as in PostgreSQL.
    static func adding(_ sign: Int64) -> ScalarFunction {
        ScalarFunction(sign > 0 ? "time_pl_interval" : "time_mi_interval", 2...2, [.time, .interval], returns: .time) { arguments in
            guard let time = micros(arguments[0]), case .interval(let interval) = arguments[1] else { return .null }
            let sum = (time + sign * (interval.micros % microsPerDay)) % microsPerDay
            return value(sum < 0 ? sum + microsPerDay : sum)
        }
    }

    /// The fields EXTRACT and date_part read from a time; others are 0A000, as in PostgreSQL.
    static let fields: Set<String> = ["hour", "hours", "minute", "minutes", "second", "seconds", "millisecond", "milliseconds",
                                      "microsecond", "microseconds", "epoch"]

    /// `localtime`: the wall clock's time of day in the session's time zone.
    static let localTime = Functions.transactionClock("localtime", returns: .time) { now in
        let wall = SessionTimeZone.wall(instant: now)
        return value(wall - wall.floorDivided(by: microsPerDay) * microsPerDay)
    }
}

/// A cursor over the lower-cased bytes of a time's text.
private struct TimeScanner {
    let bytes: [UInt8]
    var position = 0
    /// `pm` true, `am` false, nil when neither was written.
    var meridiem: Bool?

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    private func byte(_ offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private mutating func skip(_ character: UInt8) -> Bool {
        guard byte() == character else { return false }
        position += 1
        return true
    }

    /// 1 to `widthMax` digits.
    private mutating func number(widthMax: Int) -> Int? {
        var value = 0, count = 0
        while count < widthMax, let digit = byte(), (48...57).contains(digit) {
            value = value * 10 + Int(digit - 48)
            position += 1
            count += 1
        }
        return count > 0 ? value : nil
    }

    /// `YYYY-MM-DD` followed by a blank or `T`, skipped (time input ignores a date).
    mutating func skipDate() {
        guard bytes.count > position + 10, byte(4) == UInt8(ascii: "-"), byte(7) == UInt8(ascii: "-"),
              byte(10) == UInt8(ascii: " ") || byte(10) == UInt8(ascii: "t") else { return }
        position += 11
    }

    mutating func clock() -> (hour: Int, minute: Int, second: Int, micros: Int64)? {
        guard let hour = number(widthMax: 2), skip(UInt8(ascii: ":")), let minute = number(widthMax: 2) else { return nil }
        var second = 0, micros: Int64 = 0
        if skip(UInt8(ascii: ":")) {
            guard let seconds = number(widthMax: 2) else { return nil }
            second = seconds
            if skip(UInt8(ascii: ".")) { micros = fraction() }
        }
        return (hour, minute, second, micros)
    }

    /// Fraction digits as microseconds, rounded half up at the sixth digit.
    private mutating func fraction() -> Int64 {
        var micros: Int64 = 0, digits = 0, roundUp = false
        while let digit = byte(), (48...57).contains(digit) {
            if digits < 6 { micros = micros * 10 + Int64(digit - 48) } else if digits == 6 { roundUp = digit >= 53 }
            digits += 1
            position += 1
        }
        if digits < 6 { for _ in digits..<6 { micros *= 10 } }
        return micros + (roundUp ? 1 : 0)
    }

    /// ` am`/` pm` and a zone offset (`z`, `+02`, `-05:30`), in that order, each optional.
    mutating func skipSuffixes() -> Bool {
        let mark = position
        _ = skip(UInt8(ascii: " "))
        if byte() == UInt8(ascii: "a") || byte() == UInt8(ascii: "p"), byte(1) == UInt8(ascii: "m") {
            meridiem = byte() == UInt8(ascii: "p")
            position += 2
        } else {
            position = mark
        }
        _ = skip(UInt8(ascii: " "))
        if skip(UInt8(ascii: "z")) { return true }
        if skip(UInt8(ascii: "+")) || skip(UInt8(ascii: "-")) {
            guard number(widthMax: 2) != nil else { return false }
            if skip(UInt8(ascii: ":")) { return number(widthMax: 2) != nil }
            _ = number(widthMax: 2)
        }
        return true
    }
}
