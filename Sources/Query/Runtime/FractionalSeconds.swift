import VireoStorage

/// The fractional-seconds precision p of `timestamp(p)`, `timestamptz(p)`, `time(p)` and
/// `interval(p)`: a value that takes such a type (a cast, an assignment to a column) keeps p
/// digits of its seconds, rounded half away from zero as PostgreSQL's AdjustTimestampForTypmod,
/// AdjustTimeForTypmod and AdjustIntervalForTypmod round them.
///
/// PostgreSQL counts a timestamp's microseconds from its own epoch, 2000-01-01, and rounds
/// their magnitude, so a tie before 2000 goes towards the earlier instant:
/// `'1999-12-31 23:59:59.995'::timestamp(2)` is `23:59:59.99`, as is the 1960 value of a
/// tie. Vireo's timestamps count from 1970, so they are moved to PostgreSQL's epoch to
/// round. An interval's months and days are kept; only its time part is rounded. A time
/// can round up to `24:00:00`, which PostgreSQL's time holds too.
enum FractionalSeconds {
    /// Microseconds from 1970-01-01 (`Value.timestamp`'s epoch) to 2000-01-01 (PostgreSQL's).
    static let postgresEpochMicros: Int64 = 946_684_800_000_000

    /// `value` kept to `digits` fractional digits of a second: a finite timestamp, or an
    /// interval (time values are intervals); anything else (NULL, an infinity) as it is.
    static func rounded(_ value: Value, digits: Int) -> Value {
        guard (0..<TypeName.fractionalDigitsMax).contains(digits) else { return value }
        let unit = (digits..<TypeName.fractionalDigitsMax).reduce(Int64(1)) { unit, _ in unit * 10 }
        switch value {
        case .timestamp(let micros) where !DateTime.isInfinite(micros):
            let (sincePostgresEpoch, overflow) = micros.subtractingReportingOverflow(postgresEpochMicros)
            guard !overflow, let rounded = roundedAwayFromZero(sincePostgresEpoch, unit: unit) else { return value }
            let (result, beyond) = rounded.addingReportingOverflow(postgresEpochMicros)
            return beyond ? value : .timestamp(result)
        case .interval(var interval):
            guard let rounded = roundedAwayFromZero(interval.micros, unit: unit) else { return value }
            interval.micros = rounded
            return .interval(interval)
        default:
            return value
        }
    }

    /// `micros` to the nearest multiple of `unit`, a tie away from zero; nil when that
    /// leaves Int64 (only next to its ends, where no date or interval is).
    private static func roundedAwayFromZero(_ micros: Int64, unit: Int64) -> Int64? {
        let magnitude = (micros.magnitude + UInt64(unit / 2)) / UInt64(unit) * UInt64(unit)
        guard let rounded = Int64(exactly: magnitude) else { return nil }
        return micros < 0 ? -rounded : rounded
    }

    /// The precision applied by a cast (`x::timestamp(2)`): the value rounded, its type kept.
    static func cast(digits: Int) -> ScalarFunction {
        ScalarFunction("fractional_seconds", 1...1, [], resultType: { $0.first ?? .unknown }) { arguments in
            rounded(arguments[0], digits: digits)
        }
    }
}
