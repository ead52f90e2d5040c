import Foundation
import Testing
@testable import VireoStorage

/// Intervals in records (exact fields) and in keys (ordered by span, a month being 30 days).
@Suite("Interval in the record and key formats")
struct IntervalCodecTests {
    static let samples: [Interval] = [
        Interval(months: 1), Interval(days: 30), Interval(days: -1, micros: 7_200_000_000), Interval(micros: 90_000_000_000),
        Interval(months: -14, days: 3, micros: -1), Interval(months: .max, days: .max, micros: .max),
        Interval(months: .min, days: .min, micros: .min), Interval(),
    ]

    @Test("a record keeps months, days and microseconds apart")
    func recordRoundTrip() throws {
        let row = Self.samples.map(Value.interval) + [.null, .int(5)]
        #expect(try RecordCodec.decode(RecordCodec.encode(row)) == row)
    }

    @Test("keys sort as spans do, equal spans give equal keys, and descending keys invert")
    func keyOrder() throws {
        for a in Self.samples {
            for b in Self.samples {
                let byKey = compareBytes(KeyCodec.encode([.interval(a)]), KeyCodec.encode([.interval(b)]))
                let bySpan = a.span < b.span ? -1 : (a.span == b.span ? 0 : 1)
                #expect(byKey == bySpan, "\(a) vs \(b): key order \(byKey), span order \(bySpan)")
                let descending = compareBytes(KeyCodec.encode([.interval(a)], descending: [true]), KeyCodec.encode([.interval(b)], descending: [true]))
                #expect(descending == -bySpan)
            }
            guard case .interval(let decoded)? = try KeyCodec.decode(KeyCodec.encode([.interval(a)])).first else {
                Issue.record("no interval decoded for \(a)"); continue
            }
            if abs(a.span) < Int128(Int32.max) * Int128(Interval.microsPerDay) { #expect(decoded.span == a.span) }
        }
    }
}
