import Foundation
import VireoStorage

/// Calendar arithmetic on UTC microseconds since 1970 (the storage form of timestamp,
/// timestamptz and date) in the proleptic Gregorian calendar, and the date/time functions
/// built on it: EXTRACT/date_part, date_trunc, current_date, clock_timestamp.
enum DateTime {
    static let microsPerDay: Int64 = 86_400_000_000

    /// The broken-down fields of an instant.
    struct Fields {
        var year: Int, month: Int, day: Int
        var hour: Int, minute: Int, second: Int, micros: Int
        /// Days since 1970-01-01.
        var epochDay: Int

        init(_ value: Int64) {
            // An infinity (or a value as near the ends of Int64) has no fields: read two
            // days inside, where the day count times a day's microseconds cannot overflow.
            let value = Swift.min(Swift.max(value, -DateTime.fieldsMicrosMax), DateTime.fieldsMicrosMax)
            epochDay = Int(value.floorDivided(by: DateTime.microsPerDay))
            let timeOfDay = Int(value - Int64(epochDay) * DateTime.microsPerDay)
            (year, month, day) = DateTime.civil(fromDays: epochDay)
            hour = timeOfDay / 3_600_000_000
            minute = timeOfDay / 60_000_000 % 60
            second = timeOfDay / 1_000_000 % 60
            micros = timeOfDay % 1_000_000
        }

        /// 0 for Sunday … 6 for Saturday (1970-01-01 was a Thursday).
        var dayOfWeek: Int { ((epochDay % 7) + 11) % 7 }
        var dayOfYear: Int { epochDay - TimestampText.daysFromCivil(year: year, month: 1, day: 1) + 1 }
    }

    /// Year, month, day of a day count since 1970-01-01 (the inverse of `daysFromCivil`).
    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func micros(year: Int, month: Int, day: Int) -> Int64 {
        Int64(TimestampText.daysFromCivil(year: year, month: month, day: day)) * microsPerDay
    }

    /// PostgreSQL's `infinity` and `-infinity` of date, timestamp and timestamptz: the ends
    /// of Int64, as PostgreSQL keeps them (DT_NOEND, DT_NOBEGIN). They sort after and before
    /// every other value as integers do, print as words, and pass through arithmetic with
    /// intervals, day counts, time zones and casts among the three types unchanged.
    static func isInfinite(_ micros: Int64) -> Bool { micros == .max || micros == .min }

    /// `infinity` or `-infinity`; nil for a finite value.
    static func infinityText(_ micros: Int64) -> String? {
        micros == .max ? "infinity" : (micros == .min ? "-infinity" : nil)
    }

    /// The largest magnitude `Fields` reads: two days inside Int64's range.
    static let fieldsMicrosMax = Int64.max - 2 * microsPerDay

    /// The start of the day holding `value`; an infinity is its own.
    static func midnight(of value: Int64) -> Int64 {
        guard value > -fieldsMicrosMax && value < fieldsMicrosMax else { return value }
        return value.floorDivided(by: microsPerDay) * microsPerDay
    }

    /// EXTRACT of an infinity, as PostgreSQL 15: ±Infinity for the fields that grow with
    /// time, NaN (the callers' NULL) for the others; 22023 for a unit it does not know.
    static func infiniteField(_ field: String, positive: Bool) throws -> Double {
        switch field.lowercased() {
        case "year", "years", "decade", "century", "millennium", "julian", "isoyear", "epoch":
            return positive ? .infinity : -.infinity
        case "month", "months", "day", "days", "hour", "hours", "minute", "minutes", "second", "seconds",
             "milliseconds", "millisecond", "microseconds", "microsecond", "dow", "isodow", "doy", "quarter", "week":
            return .nan
        default:
            throw VireoError(.invalidParameter, "unit \"\(field.lowercased())\" not recognized for type timestamp without time zone")
        }
    }

    /// `2024-01-02`, as PostgreSQL prints a date (DateStyle ISO).
    static func formatDate(_ value: Int64) -> String {
        if let infinity = infinityText(value) { return infinity }
        let fields = Fields(value)
        return String(format: "%04d-%02d-%02d", fields.year, fields.month, fields.day)
    }

    /// EXTRACT(field FROM value) / date_part: PostgreSQL's fields, seconds with their fraction.
    static func extract(_ field: String, _ value: Int64, type: SQLType) throws -> Double {
        if isInfinite(value) { return try infiniteField(field, positive: value > 0) }
        let fields = Fields(value)
        let unit = field.lowercased()
        switch unit {
        case "year", "years": return Double(fields.year)
        case "month", "months": return Double(fields.month)
        case "day", "days": return Double(fields.day)
        case "hour", "hours": return Double(fields.hour)
        case "minute", "minutes": return Double(fields.minute)
        case "second", "seconds": return Double(fields.second) + Double(fields.micros) / 1_000_000
        case "milliseconds", "millisecond": return Double(fields.second * 1000) + Double(fields.micros) / 1000
        case "microseconds", "microsecond": return Double(fields.second * 1_000_000 + fields.micros)
        case "epoch": return Double(value) / 1_000_000
        case "dow": return Double(fields.dayOfWeek)
        case "isodow": return Double(fields.dayOfWeek == 0 ? 7 : fields.dayOfWeek)
        case "doy": return Double(fields.dayOfYear)
        case "quarter": return Double((fields.month - 1) / 3 + 1)
        case "week": return Double(isoWeek(fields).week)
        case "isoyear": return Double(isoWeek(fields).year)
        case "decade": return Double(fields.year.floorDivided(by: 10))
        case "century": return Double(fields.year > 0 ? (fields.year + 99) / 100 : -((99 - (fields.year - 1)) / 100))
        case "millennium": return Double(fields.year > 0 ? (fields.year + 999) / 1000 : -((999 - (fields.year - 1)) / 1000))
        case "julian": return Double(fields.epochDay + 2_440_588) + Double(value - midnight(of: value)) / Double(microsPerDay)
        default:
            throw VireoError(.invalidParameter, "unit \"\(unit)\" not recognized for type \(type)")
        }
    }

    /// ISO 8601 week number and week-based year (weeks start on Monday; week 1 holds January 4th).
    static func isoWeek(_ fields: Fields) -> (year: Int, week: Int) {
        func weekOneStart(_ year: Int) -> Int {
            let january4 = TimestampText.daysFromCivil(year: year, month: 1, day: 4)
            let isoDay = ((january4 % 7) + 10) % 7  // 0 = Monday
            return january4 - isoDay
        }
        var year = fields.year
        if fields.epochDay >= weekOneStart(year + 1) { year += 1 } else if fields.epochDay < weekOneStart(year) { year -= 1 }
        return (year, (fields.epochDay - weekOneStart(year)) / 7 + 1)
    }

    /// date_trunc(field, value): the value with every smaller field at its start.
    static func truncate(_ field: String, _ value: Int64) throws -> Int64 {
        if isInfinite(value) {
            _ = try infiniteField(field, positive: true)  // the unit is still checked
            return value
        }
        let fields = Fields(value)
        let day = midnight(of: value)
        switch field.lowercased() {
        case "microseconds", "microsecond": return value
        case "milliseconds", "millisecond": return value.floorDivided(by: 1000) * 1000
        case "second", "seconds": return value.floorDivided(by: 1_000_000) * 1_000_000
        case "minute", "minutes": return value.floorDivided(by: 60_000_000) * 60_000_000
        case "hour", "hours": return value.floorDivided(by: 3_600_000_000) * 3_600_000_000
        case "day", "days": return day
        case "week", "weeks": return day - Int64((fields.dayOfWeek + 6) % 7) * microsPerDay
        case "month", "months": return micros(year: fields.year, month: fields.month, day: 1)
        case "quarter": return micros(year: fields.year, month: (fields.month - 1) / 3 * 3 + 1, day: 1)
        case "year", "years": return micros(year: fields.year, month: 1, day: 1)
        case "decade": return micros(year: fields.year.floorDivided(by: 10) * 10, month: 1, day: 1)
        case "century": return micros(year: (fields.year - 1).floorDivided(by: 100) * 100 + 1, month: 1, day: 1)
        case "millennium": return micros(year: (fields.year - 1).floorDivided(by: 1000) * 1000 + 1, month: 1, day: 1)
        default:
            throw VireoError(.invalidParameter, "unit \"\(field.lowercased())\" not recognized for type timestamp without time zone")
        }
    }
}

extension Functions {
    static func timestampMicros(_ value: Value) throws -> Int64 {
        guard case .timestamp(let micros) = value else {
            throw VireoError(.typeMismatch, "expected a timestamp, got \(SQLType(of: value))")
        }
        return micros
    }

    /// EXTRACT / date_part of a timestamp, date or interval.
    static func field(_ arguments: [Value]) throws -> Value {
        if case .interval(let interval) = arguments[1] { return .double(try IntervalMath.extract(string(arguments[0]), interval)) }
        if case .timestamp(let micros) = arguments[1], DateTime.isInfinite(micros) {
            let number = try DateTime.infiniteField(string(arguments[0]), positive: micros > 0)
            return number.isNaN ? .null : .double(number)
        }
        return .double(try DateTime.extract(string(arguments[0]), timestampMicros(arguments[1]), type: .timestamp))
    }

    /// EXTRACT answers in numeric (PostgreSQL 14 and later): seconds and epochs with six digits
    /// after the point, milliseconds with three, whole fields with none. date_part stays double.
    static func exactField(_ arguments: [Value]) throws -> Value {
        let unit = string(arguments[0]).lowercased()
        if case .timestamp(let micros) = arguments[1], DateTime.isInfinite(micros) {
            // ±Infinity for the fields that grow with time, NULL for the others, as PostgreSQL 15.
            let number = try DateTime.infiniteField(unit, positive: micros > 0)
            return number.isNaN ? .null : .numeric(number > 0 ? .infinity : .negativeInfinity)
        }
        let scale = ["second", "seconds", "epoch"].contains(unit) ? 6 : (["millisecond", "milliseconds"].contains(unit) ? 3 : 0)
        if unit == "epoch", case .timestamp(let micros) = arguments[1] {
            return .numeric(Numeric(negative: micros < 0, coefficient: Magnitude(micros.magnitude), scale: 6))
        }
        guard case .double(let number) = try field(arguments), let exact = Numeric(number, significantDigits: 17) else {
            throw VireoError(.internalError, "EXTRACT gave no number")
        }
        return .numeric(exact.rounded(toScale: scale))
    }

    /// The date and time functions; `extract`/`date_part` and `date_trunc` take their source's type.
    static let dateTime: [ScalarFunction] = [
        // Whether a date, timestamp or interval is finite (intervals always are in PostgreSQL 15).
        ScalarFunction("isfinite", 1...1, [.timestamp], returns: .bool) { arguments in
            if case .timestamp(let micros) = arguments[0] { return .bool(!DateTime.isInfinite(micros)) }
            return .bool(true)
        },
        ScalarFunction("extract", 2...2, [.text, .timestamp], resultType: { _ in .numeric }) { try exactField($0) },
        ScalarFunction("date_part", 2...2, [.text, .timestamp], resultType: { _ in .double }) { try field($0) },
        ScalarFunction("date_trunc", 2...2, [.text, .timestamp],
                       resultType: { types in types.count > 1 && types[1] != .timestamp ? .timestamptz : .timestamp }) { arguments in
            .timestamp(try DateTime.truncate(string(arguments[0]), timestampMicros(arguments[1])))
        },
        transactionClock("current_date", returns: .date) { .timestamp(DateTime.midnight(of: SessionTimeZone.wall(instant: $0))) },
        ScalarFunction("clock_timestamp", 0...0, [], volatile: true, returns: .timestamptz) { _ in .timestamp(currentMicros()) },
        TimeOfDay.localTime,
        ScalarFunction("gen_random_uuid", 0...0, [], volatile: true, returns: .uuid) { _ in .text(UUID().uuidString.lowercased()) },
    ]
}
