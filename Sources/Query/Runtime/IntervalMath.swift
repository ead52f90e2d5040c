import Foundation
import VireoStorage

/// Interval input and output in PostgreSQL's style (IntervalStyle postgres), and the calendar
/// arithmetic of timestamps with intervals: months first (clamped to the month's last day),
/// then days, then microseconds, as PostgreSQL's timestamp_pl_interval does.
enum IntervalMath {
    static let microsPerDay = Interval.microsPerDay

    // MARK: Text

    /// `1 year 2 mons -3 days +04:05:06.5`: after a negative part, positive parts carry `+`.
    static func format(_ interval: Interval) -> String {
        var parts: [String] = []
        var previousNegative = false
        func part(_ value: Int64, _ unit: String) {
            guard value != 0 else { return }
            parts.append((previousNegative && value > 0 ? "+" : "") + "\(value) \(unit)\(value == 1 ? "" : "s")")
            previousNegative = value < 0
        }
        part(Int64(interval.months / 12), "year")
        part(Int64(interval.months % 12), "mon")
        part(Int64(interval.days), "day")
        if parts.isEmpty || interval.micros != 0 {
            let sign = interval.micros < 0 ? "-" : (previousNegative ? "+" : "")
            parts.append(sign + clock(interval.micros.magnitude))
        }
        return parts.joined(separator: " ")
    }

    /// `HH:MM:SS[.ffffff]`, hours unbounded.
    private static func clock(_ micros: UInt64) -> String {
        let seconds = micros / 1_000_000, fraction = micros % 1_000_000
        var text = String(format: "%02llu:%02llu:%02llu", seconds / 3600, seconds / 60 % 60, seconds % 60)
        if fraction != 0 {
            var digits = String(format: "%06llu", fraction)
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text
    }

    /// Units as PostgreSQL's interval input spells them, in microseconds, days or months.
    private enum Unit { case micros(Double), days(Double), months(Double) }

    private static func unit(_ word: String) -> Unit? {
        switch word.lowercased() {
        case "microsecond", "microseconds", "us", "usec", "usecs": .micros(1)
        case "millisecond", "milliseconds", "ms", "msec", "msecs": .micros(1000)
        case "second", "seconds", "s", "sec", "secs": .micros(1_000_000)
        case "minute", "minutes", "m", "min", "mins": .micros(60_000_000)
        case "hour", "hours", "h", "hr", "hrs": .micros(3_600_000_000)
        case "day", "days", "d": .days(1)
        case "week", "weeks", "w": .days(7)
        case "month", "months", "mon", "mons": .months(1)
        case "year", "years", "y", "yr", "yrs": .months(12)
        case "decade", "decades": .months(120)
        case "century", "centuries": .months(1200)
        case "millennium", "millennia", "millenniums": .months(12000)
        default: nil
        }
    }

    /// What interval input adds up before it becomes an `Interval`: months from years (and
    /// longer units) apart from months, so that a field beyond its range (22015) is told
    /// from a sum beyond the interval's (22008), as PostgreSQL tells them.
    private struct Fields {
        var yearMonths = 0.0, months = 0.0, days = 0.0, micros = 0.0

        mutating func add(_ number: Double, _ unit: Unit) {
            switch unit {
            case .micros(let scale): micros += number * scale
            case .days(let scale): days += number * scale
            case .months(let scale) where scale >= 12: yearMonths += number * scale
            case .months(let scale): months += number * scale
            }
        }
    }

    /// Parses `1 year 2 months 3 days 04:05:06`, `-1 day`, `1.5 hours`, `10:00`, `3 mons ago`,
    /// and ISO 8601's `P1Y2M3DT4H5M6S` and `P0001-02-03T04:05:06` (`iso8601`).
    static func parse(_ text: String) throws -> Interval {
        let invalid = VireoError(.invalidDatetimeFormat, "invalid input syntax for type interval: \"\(text)\"")
        if text.hasPrefix("P") {
            guard let fields = iso8601(text.dropFirst()) else { throw invalid }
            return try spread(fields, text: text)
        }
        var tokens = text.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).flatMap(splitGlued)
        if tokens.first == "@" { tokens.removeFirst() }
        let ago = tokens.last == "ago"
        if ago { tokens.removeLast() }
        guard !tokens.isEmpty else { throw invalid }
        var fields = Fields()
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            if token.contains(":") {
                fields.micros += try clockMicros(token) ?? { throw invalid }()
                index += 1
                continue
            }
            guard let number = Double(token), number.isFinite else { throw invalid }
            guard index + 1 < tokens.count, let unit = unit(tokens[index + 1]) else {
                // A bare number is seconds (PostgreSQL reads '10' as 10 seconds).
                guard index + 1 == tokens.count else { throw invalid }
                fields.micros += number * 1_000_000
                index += 1
                continue
            }
            fields.add(number, unit)
            index += 2
        }
        let result = try spread(fields, text: text)
        return ago ? try negate(result) : result
    }

    /// A token whose numbers and unit words are written together (`1h30m`, `-1.5day`) as its
    /// parts, split where letters meet digits, as PostgreSQL's date/time lexer splits them;
    /// a clock (`04:05`) or a plain number or word is one part.
    private static func splitGlued(_ token: Substring) -> [String] {
        guard !token.contains(":") else { return [String(token)] }
        var parts: [String] = []
        var current = ""
        for character in token {
            let isLetter = character.isLetter
            if let last = current.last, last.isLetter != isLetter { parts.append(current); current = "" }
            current.append(character)
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }

    /// ISO 8601's interval after its `P`: designators (`1Y2M3W4DT5H6M7.5S`, each number
    /// signed and maybe fractional, `M` months before the `T` and minutes after it), or the
    /// alternative format (`0001-02-03T04:05:06`, either half optional). Nil when malformed.
    private static func iso8601(_ body: Substring) -> Fields? {
        let split = body.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false)
        guard !body.isEmpty, let datePart = split.first else { return nil }
        var fields = Fields()
        if datePart.contains(where: \.isLetter) {
            guard designators(datePart, ["Y": .months(12), "M": .months(1), "W": .days(7), "D": .days(1)], into: &fields) else { return nil }
        } else if !datePart.isEmpty {
            let numbers = datePart.split(separator: "-", omittingEmptySubsequences: false).map { Double($0) }
            guard numbers.count <= 3, numbers.allSatisfy({ $0 != nil }) else { return nil }
            for (number, unit) in zip(numbers, [Unit.months(12), .months(1), .days(1)]) { fields.add(number ?? 0, unit) }
        }
        guard split.count == 2 else { return fields }
        let timePart = split[1]
        if timePart.contains(":") {
            guard let micros = clockMicros(String(timePart)) else { return nil }
            fields.micros += micros
        } else if !designators(timePart, ["H": .micros(3_600_000_000), "M": .micros(60_000_000), "S": .micros(1_000_000)], into: &fields) {
            return nil
        }
        return fields
    }

    /// `number designator` pairs, each designator one of `units`; false when malformed.
    private static func designators(_ text: Substring, _ units: [Character: Unit], into fields: inout Fields) -> Bool {
        var rest = text
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." || $0 == "-" || $0 == "+" }
            rest = rest.dropFirst(number.count)
            guard let value = Double(number), value.isFinite, let designator = rest.first, let unit = units[designator] else { return false }
            fields.add(value, unit)
            rest = rest.dropFirst()
        }
        return true
    }

    /// `[-]HH:MM[:SS[.frac]]` in microseconds; nil when malformed.
    private static func clockMicros(_ token: String) -> Double? {
        let negative = token.hasPrefix("-")
        let body = token.drop { $0 == "-" || $0 == "+" }
        let fields = body.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(fields.count), let hours = Double(fields[0]), let minutes = Double(fields[1]),
              minutes < 60, fields[0].allSatisfy(\.isNumber) else { return nil }
        let seconds = fields.count == 3 ? Double(fields[2]) : 0
        guard let seconds, seconds < 60 else { return nil }
        let value = ((hours * 60 + minutes) * 60 + seconds) * 1_000_000
        return negative ? -value : value
    }

    /// `fields` as an interval: 22015 when one field is beyond its range, 22008 when the
    /// months of years and months together are.
    private static func spread(_ fields: Fields, text: String) throws -> Interval {
        let fieldOverflow = VireoError(.intervalFieldOverflow, "interval field value out of range: \"\(text)\"")
        guard abs(fields.yearMonths / 12) <= Double(Int32.max), abs(fields.months) <= Double(Int32.max),
              abs(fields.days) <= Double(Int32.max), abs(fields.micros) < 0x1p63 else { throw fieldOverflow }
        do {
            return try spread(months: fields.yearMonths + fields.months, days: fields.days, micros: fields.micros, text: text)
        } catch let error as VireoError where error.code == .datetimeFieldOverflow {
            throw outOfRange
        }
    }

    /// Fractions of months become days (30 a month) and fractions of days time, as PostgreSQL
    /// spreads `1.5 months` into `1 mon 15 days`.
    static func spread(months: Double, days: Double, micros: Double, text: String) throws -> Interval {
        let wholeMonths = months.rounded(.towardZero)
        let allDays = days + (months - wholeMonths) * 30
        let wholeDays = allDays.rounded(.towardZero)
        let allMicros = (micros + (allDays - wholeDays) * Double(microsPerDay)).rounded()
        guard let m = Int32(exactly: wholeMonths), let d = Int32(exactly: wholeDays), abs(allMicros) < 0x1p63 else {
            throw VireoError(.datetimeFieldOverflow, "interval field value out of range: \"\(text)\"")
        }
        return Interval(months: m, days: d, micros: Int64(allMicros))
    }

    // MARK: Arithmetic

    static func negate(_ interval: Interval) throws -> Interval {
        guard interval.months != .min, interval.days != .min, interval.micros != .min else { throw outOfRange }
        return Interval(months: -interval.months, days: -interval.days, micros: -interval.micros)
    }

    static let outOfRange = VireoError(.datetimeFieldOverflow, "interval out of range")

    static func add(_ a: Interval, _ b: Interval) throws -> Interval {
        let (months, o1) = a.months.addingReportingOverflow(b.months)
        let (days, o2) = a.days.addingReportingOverflow(b.days)
        let (micros, o3) = a.micros.addingReportingOverflow(b.micros)
        guard !(o1 || o2 || o3) else { throw outOfRange }
        return Interval(months: months, days: days, micros: micros)
    }

    /// interval × factor (or ÷ when `dividing`), spreading fractions downwards like PostgreSQL.
    /// PostgreSQL 15's interval_mul and interval_div: the fraction of the months becomes days
    /// and that of the days seconds, each rounded to a millionth first (TSROUND), so that
    /// `interval '1 year' / 13` is 27 days 16:36:55.4112 as there.
    static func scale(_ interval: Interval, by factor: Double, dividing: Bool) throws -> Interval {
        if dividing && factor == 0 { throw VireoError(.divisionByZero, "division by zero") }
        let apply = { (value: Double) in dividing ? value / factor : value * factor }
        let months = apply(Double(interval.months)), days = apply(Double(interval.days))
        guard let wholeMonths = Int32(exactly: months.rounded(.towardZero)), var wholeDays = Int32(exactly: days.rounded(.towardZero)) else {
            throw outOfRange
        }
        let millionth = { (value: Double) in (value * 1_000_000).rounded(.toNearestOrEven) / 1_000_000 }
        let monthRemainderDays = millionth((months - Double(wholeMonths)) * 30)
        var secondsRemainder = millionth((days - Double(wholeDays) + monthRemainderDays - monthRemainderDays.rounded(.towardZero)) * 86_400)
        if abs(secondsRemainder) >= 86_400 {
            let carried = (secondsRemainder / 86_400).rounded(.towardZero)
            wholeDays = try checkedDays(Double(wholeDays) + carried)
            secondsRemainder -= carried * 86_400
        }
        wholeDays = try checkedDays(Double(wholeDays) + monthRemainderDays.rounded(.towardZero))
        let micros = (apply(Double(interval.micros)) + secondsRemainder * 1_000_000).rounded(.toNearestOrEven)
        guard micros.magnitude < 9.2e18 else { throw outOfRange }
        return Interval(months: wholeMonths, days: wholeDays, micros: Int64(micros))
    }

    private static func checkedDays(_ days: Double) throws -> Int32 {
        guard let whole = Int32(exactly: days) else { throw outOfRange }
        return whole
    }

    /// timestamp + interval: months (day clamped to the month's end), then days, then time.
    static func add(_ micros: Int64, _ interval: Interval) throws -> Int64 {
        if DateTime.isInfinite(micros) { return micros }
        var result = micros
        if interval.months != 0 {
            let fields = DateTime.Fields(micros)
            let monthIndex = fields.year * 12 + fields.month - 1 + Int(interval.months)
            let year = monthIndex.floorDivided(by: 12), month = monthIndex - year * 12 + 1
            let day = min(fields.day, TimestampText.daysInMonth(year: year, month: month))
            result = DateTime.micros(year: year, month: month, day: day) + (micros - DateTime.midnight(of: micros))
        }
        let (withDays, o1) = result.addingReportingOverflow(Int64(interval.days) * microsPerDay)
        let (withTime, o2) = withDays.addingReportingOverflow(interval.micros)
        guard !(o1 || o2) else { throw VireoError(.datetimeFieldOverflow, "timestamp out of range") }
        return withTime
    }

    /// timestamp − timestamp: whole days and the rest, both with the difference's sign.
    static func difference(_ a: Int64, _ b: Int64) throws -> Interval {
        guard !DateTime.isInfinite(a) && !DateTime.isInfinite(b) else {
            throw VireoError(.datetimeFieldOverflow, "cannot subtract infinite timestamps")
        }
        let (span, overflow) = a.subtractingReportingOverflow(b)
        guard !overflow, let days = Int32(exactly: span / microsPerDay) else { throw outOfRange }
        return Interval(days: days, micros: span % microsPerDay)
    }

    /// age(a, b): the difference in years, months and days by the calendar, as PostgreSQL's
    /// timestamp_age borrows from the next field up.
    static func age(_ a: Int64, _ b: Int64) throws -> Interval {
        let later = DateTime.Fields(max(a, b)), earlier = DateTime.Fields(min(a, b))
        var micros = later.micros - earlier.micros, seconds = later.second - earlier.second
        var minutes = later.minute - earlier.minute, hours = later.hour - earlier.hour
        var days = later.day - earlier.day, months = later.month - earlier.month, years = later.year - earlier.year
        if micros < 0 { micros += 1_000_000; seconds -= 1 }
        if seconds < 0 { seconds += 60; minutes -= 1 }
        if minutes < 0 { minutes += 60; hours -= 1 }
        if hours < 0 { hours += 24; days -= 1 }
        if days < 0 {
            // Borrow the length of the month the span starts in.
            days += TimestampText.daysInMonth(year: earlier.year, month: earlier.month)
            months -= 1
        }
        if months < 0 { months += 12; years -= 1 }
        let time = Int64(((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + micros)
        let result = Interval(months: Int32(years * 12 + months), days: Int32(days), micros: time)
        return a < b ? try negate(result) : result
    }

    /// EXTRACT(field FROM interval).
    static func extract(_ field: String, _ interval: Interval) throws -> Double {
        let seconds = Double(interval.micros % 60_000_000) / 1_000_000
        switch field.lowercased() {
        case "epoch":
            let years = Double(interval.months / 12) * 365.25, months = Double(interval.months % 12) * 30
            return (years + months + Double(interval.days)) * 86_400 + Double(interval.micros) / 1_000_000
        case "millennium", "millennia": return Double(interval.months / 12 / 1000)
        case "century", "centuries": return Double(interval.months / 12 / 100)
        case "decade", "decades": return Double(interval.months / 12 / 10)
        case "year", "years": return Double(interval.months / 12)
        case "quarter": return Double(interval.months % 12 / 3 + 1)
        case "month", "months": return Double(interval.months % 12)
        case "day", "days": return Double(interval.days)
        case "hour", "hours": return Double(interval.micros / 3_600_000_000)
        case "minute", "minutes": return Double(interval.micros / 60_000_000 % 60)
        case "second", "seconds": return seconds
        case "milliseconds", "millisecond": return seconds * 1000
        case "microseconds", "microsecond": return seconds * 1_000_000
        default: throw VireoError(.invalidParameter, "unit \"\(field.lowercased())\" not supported for type interval")
        }
    }
}

extension Functions {
    static func interval(_ value: Value) throws -> Interval {
        guard case .interval(let interval) = value else {
            throw VireoError(.typeMismatch, "expected an interval, got \(SQLType(of: value))")
        }
        return interval
    }

    /// timestamp − timestamp as an interval of days and time.
    static let timestampDifference = ScalarFunction("timestamp_mi", 2...2, [.timestamp, .timestamp], returns: .interval) { arguments in
        .interval(try IntervalMath.difference(try timestampMicros(arguments[0]), try timestampMicros(arguments[1])))
    }

    /// justify_hours, justify_days and justify_interval: whole days of the time moved to days,
    /// whole 30-day months of the days moved to months, signs made to agree, as PostgreSQL 15.
    static func justified(_ interval: Interval, hours: Bool, days: Bool) throws -> Interval {
        var (months, dayCount, micros) = (Int64(interval.months), Int64(interval.days), interval.micros)
        if hours && days && (dayCount > 0 && micros > 0 || dayCount < 0 && micros < 0) {
            months += dayCount / 30
            dayCount %= 30
        }
        if hours {
            dayCount += micros / IntervalMath.microsPerDay
            micros %= IntervalMath.microsPerDay
        }
        if days {
            months += dayCount / 30
            dayCount %= 30
            if months > 0 && (dayCount < 0 || hours && dayCount == 0 && micros < 0) {
                dayCount += 30
                months -= 1
            } else if months < 0 && (dayCount > 0 || hours && dayCount == 0 && micros > 0) {
                dayCount -= 30
                months += 1
            }
        }
        if hours && dayCount > 0 && micros < 0 {
            micros += IntervalMath.microsPerDay
            dayCount -= 1
        } else if hours && dayCount < 0 && micros > 0 {
            micros -= IntervalMath.microsPerDay
            dayCount += 1
        }
        guard let m = Int32(exactly: months), let d = Int32(exactly: dayCount) else { throw IntervalMath.outOfRange }
        return Interval(months: m, days: d, micros: micros)
    }

    static let intervals: [ScalarFunction] = [
        ScalarFunction("justify_hours", 1...1, [.interval], returns: .interval) {
            .interval(try justified(interval($0[0]), hours: true, days: false))
        },
        ScalarFunction("justify_days", 1...1, [.interval], returns: .interval) {
            .interval(try justified(interval($0[0]), hours: false, days: true))
        },
        ScalarFunction("justify_interval", 1...1, [.interval], returns: .interval) {
            .interval(try justified(interval($0[0]), hours: true, days: true))
        },
        ScalarFunction("age", 1...2, [.timestamp], volatile: true, returns: .interval) { arguments in
            let later = arguments.count == 2 ? try timestampMicros(arguments[0]) : DateTime.midnight(of: currentMicros())
            return .interval(try IntervalMath.age(later, try timestampMicros(arguments[arguments.count - 1])))
        },
        ScalarFunction("make_interval", 0...7, [.int, .int, .int, .int, .int, .int, .double], returns: .interval) { arguments in
            let number = { (index: Int) throws -> Double in index < arguments.count ? try double(arguments[index]) : 0 }
            let months = try number(0) * 12 + number(1)
            let days = try number(2) * 7 + number(3)
            let micros = try (number(4) * 3600 + number(5) * 60 + number(6)) * 1_000_000
            return .interval(try IntervalMath.spread(months: months, days: days, micros: micros, text: "make_interval"))
        },
    ]
}
