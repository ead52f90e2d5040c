import Foundation
import VireoStorage

/// make_date, make_timestamp and make_timestamptz: a date or timestamp from its fields, checked
/// as PostgreSQL 15 checks them (22008 with its messages: `date field value out of range:
/// 2013-02-30`, `time field value out of range: 25:00:00`). Hour 24 with no minutes and seconds
/// is the next midnight, 60 seconds the next minute; seconds round to the microsecond.
/// Years before 1 (PostgreSQL's BC dates) are refused: Vireo has no BC dates.
enum DateConstruction {
    /// The last year a Vireo date or timestamp holds (microseconds since 1970 in 64 bits;
    /// PostgreSQL's timestamps end in 294276 too).
    static let yearMax = 294_276

    /// Midnight of `year`-`month`-`day` as microseconds since 1970.
    static func date(year: Int64, month: Int64, day: Int64) throws -> Int64 {
        let text = "\(year)-\(twoDigits(month))-\(twoDigits(day))"
        guard year != 0 else { throw VireoError(.datetimeFieldOverflow, "date field value out of range: \(text)") }
        guard year > 0 else { throw VireoError(.featureNotSupported, "BC dates are not supported: \(text)") }
        guard year <= Int64(yearMax) else { throw VireoError(.datetimeFieldOverflow, "date out of range: \(text)") }
        guard (1...12).contains(month), (1...Int64(TimestampText.daysInMonth(year: Int(year), month: Int(month)))).contains(day) else {
            throw VireoError(.datetimeFieldOverflow, "date field value out of range: \(text)")
        }
        return DateTime.micros(year: Int(year), month: Int(month), day: Int(day))
    }

    /// The microseconds since midnight of `hour`:`minute`:`seconds`.
    static func timeOfDay(hour: Int64, minute: Int64, seconds: Double) throws -> Int64 {
        let fits = (0...23).contains(hour) && (0...59).contains(minute) && seconds >= 0 && seconds <= 60
            || hour == 24 && minute == 0 && seconds == 0
        guard fits else {
            let text = "\(hour):\(twoDigits(minute)):\(secondsText(seconds))"
            throw VireoError(.datetimeFieldOverflow, "time field value out of range: \(text)")
        }
        return (hour * 3600 + minute * 60) * 1_000_000 + Int64((seconds * 1_000_000).rounded())
    }

    /// Seconds as PostgreSQL's message prints them (`%02g` of its own snprintf): `00`, `61`, `-1`, `23.5`, `NaN`.
    private static func secondsText(_ seconds: Double) -> String {
        if seconds.isNaN { return "NaN" }
        if seconds.isInfinite { return seconds > 0 ? "Infinity" : "-Infinity" }
        return String(format: "%02g", seconds)
    }

    private static func twoDigits(_ number: Int64) -> String { (0...9).contains(number) ? "0\(number)" : "\(number)" }

    /// A wall clock from make_timestamp's six arguments.
    static func wallClock(_ arguments: [Value]) throws -> Int64 {
        let day = try date(year: Functions.int(arguments[0]), month: Functions.int(arguments[1]), day: Functions.int(arguments[2]))
        return day + (try timeOfDay(hour: Functions.int(arguments[3]), minute: Functions.int(arguments[4]),
                                    seconds: Functions.double(arguments[5])))
    }
}

extension Functions {
    static let dateConstruction: [ScalarFunction] = [
        ScalarFunction("make_date", 3...3, [.integer], returns: .date) { arguments in
            .timestamp(try DateConstruction.date(year: int(arguments[0]), month: int(arguments[1]), day: int(arguments[2])))
        },
        ScalarFunction("make_timestamp", 6...6, [.integer, .integer, .integer, .integer, .integer, .double], returns: .timestamp) {
            .timestamp(try DateConstruction.wallClock($0))
        },
        // The wall clock in the session's time zone, or in the zone a seventh argument names.
        ScalarFunction("make_timestamptz", 6...7, [.integer, .integer, .integer, .integer, .integer, .double, .text],
                       returns: .timestamptz) { arguments in
            let wall = try DateConstruction.wallClock(arguments)
            guard arguments.count == 7 else { return .timestamp(SessionTimeZone.instant(wall: wall)) }
            guard let zone = try SessionTimeZone.zone(setting: string(arguments[6])) else { return .timestamp(wall) }
            return .timestamp(TimeZones.instant(zone, wall: wall))
        },
    ]
}
