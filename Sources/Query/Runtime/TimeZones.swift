import Foundation
import Synchronization
import VireoStorage

/// Time zones: `AT TIME ZONE` (IANA names such as `Europe/Berlin` or abbreviations such as
/// `UTC`, read from the system's time zone data) and the session's zone (`SET TIME ZONE`),
/// in which timestamptz values print and wall clocks (timestamp, date, text without an
/// offset) become instants.
enum TimeZones {
    static func zone(_ name: String) throws -> TimeZone {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if let zone = TimeZone(identifier: trimmed) ?? TimeZone(abbreviation: trimmed.uppercased()) { return zone }
        throw VireoError(.invalidParameter, "time zone \"\(name)\" not recognized")
    }

    /// Seconds east of UTC in `zone` at the instant `micros`.
    static func offsetMicros(_ zone: TimeZone, atInstant micros: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(micros.floorDivided(by: 1_000_000))))) * 1_000_000
    }

    /// The wall clock in `zone` at the instant `micros`.
    static func wall(_ zone: TimeZone, instant micros: Int64) -> Int64 {
        if DateTime.isInfinite(micros) { return micros }
        return micros + offsetMicros(zone, atInstant: micros)
    }

    /// The instant of the wall clock `micros` in `zone`: the offset that holds at
    /// (wall − offset), found by one correction step. Inside a daylight-saving gap this
    /// reads the clock with the offset before the change (02:30 becomes 03:30 summer time),
    /// and an hour that happens twice is read in standard time, as PostgreSQL reads them.
    static func instant(_ zone: TimeZone, wall micros: Int64) -> Int64 {
        if DateTime.isInfinite(micros) { return micros }
        let guess = micros - offsetMicros(zone, atInstant: micros)
        return micros - offsetMicros(zone, atInstant: guess)
    }

    static func conversion(fromInstant: Bool) -> ScalarFunction {
        ScalarFunction("timezone", 2...2, [.text], returns: fromInstant ? .timestamp : .timestamptz) { arguments in
            guard case .timestamp(let micros) = arguments[1] else { return .null }
            let zone = try zone(Cast.textForm(arguments[0]))
            return .timestamp(fromInstant ? wall(zone, instant: micros) : instant(zone, wall: micros))
        }
    }

    /// EXTRACT's time-zone fields, which only a timestamptz has (0A000 for other types).
    static let offsetFields: Set<String> = ["timezone", "timezone_hour", "timezone_minute"]

    /// EXTRACT(timezone | timezone_hour | timezone_minute FROM timestamptz) (numeric when
    /// `exact`, date_part's double otherwise): the session zone's offset east of UTC at the
    /// instant, in seconds, whole hours, and the minutes left, as PostgreSQL 15 gives them
    /// (-9000, -2, -30 in America/St_Johns in July); NULL for an infinity.
    static func offsetField(_ unit: String, exact: Bool) -> ScalarFunction {
        ScalarFunction("extract_" + unit, 1...1, [.timestamptz], returns: exact ? .numeric : .double) { arguments in
            guard case .timestamp(let micros) = arguments[0], !DateTime.isInfinite(micros) else { return .null }
            let seconds = SessionTimeZone.offsetSeconds(atInstant: micros)
            let value = unit == "timezone" ? seconds : unit == "timezone_hour" ? seconds / 3600 : seconds / 60 % 60
            return exact ? .numeric(Numeric(Int64(value))) : .double(Double(value))
        }
    }

    /// A timestamptz as the wall clock in the session's zone (a timestamp).
    static let sessionWall = ScalarFunction("session_wall_clock", 1...1, [.timestamptz], returns: .timestamp) { arguments in
        guard case .timestamp(let micros) = arguments[0] else { return arguments[0] }
        return .timestamp(SessionTimeZone.wall(instant: micros))
    }

    /// A timestamp, read as a wall clock in the session's zone, as an instant (a timestamptz).
    static let sessionInstant = ScalarFunction("session_instant", 1...1, [.timestamp], returns: .timestamptz) { arguments in
        guard case .timestamp(let micros) = arguments[0] else { return arguments[0] }
        return .timestamp(SessionTimeZone.instant(wall: micros))
    }
}

/// The session's time zone (`SET TIME ZONE`, the `TimeZone` startup parameter), nil for UTC.
/// A task-local value: a session binds it around each request and statement from its
/// settings, and a server binds it around writing a result as text, so that conversions deep
/// in casts and functions read it without every call passing it along.
public enum SessionTimeZone {
    @TaskLocal private static var bound: TimeZone?
    /// Bindings (`withZone`) in progress, in every thread and task. A thread counts its own
    /// before it binds, so while it reads 0 it has none of its own in progress, and `current`
    /// answers nil without the task-local look-up (a runtime call that every request made to
    /// compare its session's zone with the caller's: 36 of the 927 samples a prepared k-NN
    /// query spent outside the index search, docs/benchmarks-sql.md). Only `withZone` binds,
    /// and no task is spawned inside one to outlive it.
    private static let bindings = Atomic<Int>(0)

    /// The zone bound now (`withZone`), nil when none is (UTC).
    public static var current: TimeZone? {
        bindings.load(ordering: .relaxed) == 0 ? nil : bound
    }

    /// Runs `body` with `zone` as the session's zone (nil: UTC).
    public static func withZone<R>(_ zone: TimeZone?, _ body: () throws -> R) rethrows -> R {
        bindings.wrappingAdd(1, ordering: .relaxed)
        defer { bindings.wrappingSubtract(1, ordering: .relaxed) }
        return try $bound.withValue(zone, operation: body)
    }

    /// The wall clock in the session's zone at the instant `micros`.
    public static func wall(instant micros: Int64) -> Int64 {
        guard let zone = current else { return micros }
        return TimeZones.wall(zone, instant: micros)
    }

    /// The instant of the wall clock `micros` in the session's zone.
    public static func instant(wall micros: Int64) -> Int64 {
        guard let zone = current else { return micros }
        return TimeZones.instant(zone, wall: micros)
    }

    /// Seconds east of UTC in the session's zone at the instant `micros`.
    static func offsetSeconds(atInstant micros: Int64) -> Int {
        guard let zone = current else { return 0 }
        return Int(TimeZones.offsetMicros(zone, atInstant: micros) / 1_000_000)
    }

    /// A timestamptz as PostgreSQL prints it in the session's zone: the wall clock and the
    /// offset (`+02`, `+05:30`, `-03:30`, seconds only when the zone has them).
    public static func format(instant micros: Int64) -> String {
        if let infinity = DateTime.infinityText(micros) { return infinity }
        let offset = offsetSeconds(atInstant: micros)
        let magnitude = abs(offset)
        var text = TimestampText.format(micros + Int64(offset) * 1_000_000) + (offset < 0 ? "-" : "+") + twoDigits(magnitude / 3600)
        if magnitude % 3600 != 0 { text += ":" + twoDigits(magnitude / 60 % 60) }
        if magnitude % 60 != 0 { text += ":" + twoDigits(magnitude % 60) }
        return text
    }

    private static func twoDigits(_ number: Int) -> String { number < 10 ? "0" + String(number) : String(number) }

    /// The zone a `timezone` setting names; 22023 for one the system's time zone data lacks.
    /// PostgreSQL also accepts a number of hours east of UTC there (`SET TIME ZONE -5`).
    public static func zone(setting text: String) throws -> TimeZone? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if ["utc", "gmt", "z", "zulu", "etc/utc", "universal"].contains(trimmed.lowercased()) { return nil }
        if let hours = Double(trimmed), hours.magnitude <= 15, let zone = TimeZone(secondsFromGMT: Int((hours * 3600).rounded())) {
            // PostgreSQL reads a bare number as hours east of UTC (the POSIX sign is the other way).
            return zone
        }
        guard let zone = TimeZone(identifier: trimmed) else {
            throw VireoError(.invalidParameter, "invalid value for parameter \"TimeZone\": \"\(text)\"")
        }
        return zone
    }
}
