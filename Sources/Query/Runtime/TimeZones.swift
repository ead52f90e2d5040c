import Foundation
import VireoStorage

/// `AT TIME ZONE`: instants and wall clocks in a named zone (IANA names such as
/// `Europe/Berlin` or abbreviations such as `UTC`, read from the system's time zone data).
/// Sessions themselves stay in UTC.
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

    static func conversion(fromInstant: Bool) -> ScalarFunction {
        ScalarFunction("timezone", 2...2, [.text], returns: fromInstant ? .timestamp : .timestamptz) { arguments in
            guard case .timestamp(let micros) = arguments[1] else { return .null }
            let zone = try zone(Cast.textForm(arguments[0]))
            if fromInstant { return .timestamp(micros + offsetMicros(zone, atInstant: micros)) }
            // The wall clock's instant: the offset that holds at (wall − offset), found by one
            // correction step (exact except inside a daylight-saving gap or overlap).
            let guess = micros - offsetMicros(zone, atInstant: micros)
            return .timestamp(micros - offsetMicros(zone, atInstant: guess))
        }
    }
}
