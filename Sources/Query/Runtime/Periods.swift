import VireoStorage

/// Periods of time: `(start, end) OVERLAPS (start, end)` and `date_bin`, as PostgreSQL 15's
/// overlaps_timestamp and timestamp_bin compute them.
enum Periods {
    /// `overlaps(s1, e1, s2, e2)`, its four endpoints of one type (the binder turns a
    /// `(start, interval)` pair into `(start, start + interval)`). Not strict: a NULL end
    /// leaves the answer NULL only where it could change it.
    static let overlaps = ScalarFunction("overlaps", 4...4, [], strict: false, returns: .bool) { arguments in
        try overlapping(arguments[0], arguments[1], arguments[2], arguments[3]).map(Value.bool) ?? .null
    }

    /// PostgreSQL's rule: each pair is put in order (a NULL end counts as unknown), then the
    /// periods overlap when the later start comes before the other's end; equal starts
    /// overlap when both ends are known.
    static func overlapping(_ start1: Value, _ end1: Value, _ start2: Value, _ end2: Value) throws -> Bool? {
        guard let (s1, e1) = try ordered(start1, end1), let (s2, e2) = try ordered(start2, end2) else { return nil }
        let order = try Compare.values(s1, s2) ?? 0
        if order == 0 { return e1 == nil || e2 == nil ? nil : true }
        // The later start, and the end of the period that started earlier.
        let (laterStart, earlierEnd, laterEnd) = order > 0 ? (s1, e2, e1) : (s2, e1, e2)
        guard let earlierEnd else { return nil }
        if try Compare.values(laterStart, earlierEnd)! < 0 { return true }
        return laterEnd == nil ? nil : false
    }

    /// A pair as (lesser, greater or nil): nil when both are NULL; a lone known endpoint is the start.
    private static func ordered(_ start: Value, _ end: Value) throws -> (Value, Value?)? {
        switch (start.isNull, end.isNull) {
        case (true, true): return nil
        case (true, false): return (end, nil)
        case (false, true): return (start, nil)
        case (false, false): return try Compare.values(start, end)! > 0 ? (end, start) : (start, end)
        }
    }

    /// `date_bin(stride, source, origin)` for timestamp and timestamptz alike (both count
    /// microseconds; a timestamptz's from its instant, so no time zone enters).
    static let dateBin = ScalarFunction("date_bin", 3...3, [.interval, .timestamptz, .timestamptz],
                                        resultType: { types in types.count == 3 ? types[1] : .timestamptz }) { arguments in
        guard case .interval(let stride) = arguments[0] else { throw VireoError(.internalError, "date_bin's stride is not an interval") }
        return .timestamp(try bin(stride: stride, source: Functions.timestampMicros(arguments[1]), origin: Functions.timestampMicros(arguments[2])))
    }

    /// PostgreSQL's earliest timestamp, 4714-11-24 BC 00:00 (its latest is past what 64 bits
    /// count from 1970, so the addition's overflow stands for it).
    static let earliestTimestampMicros: Int64 = -210_866_803_200_000_000

    /// The start of the bin of width `stride`, counted from `origin`, that holds `source`.
    static func bin(stride: Interval, source: Int64, origin: Int64) throws -> Int64 {
        if DateTime.isInfinite(source) { return source }
        if DateTime.isInfinite(origin) { throw VireoError(.datetimeFieldOverflow, "origin out of range") }
        guard stride.months == 0 else {
            throw VireoError(.featureNotSupported, "timestamps cannot be binned into intervals containing months or years")
        }
        let (dayMicros, dayOverflow) = Int64(stride.days).multipliedReportingOverflow(by: 86_400_000_000)
        let (strideMicros, strideOverflow) = dayMicros.addingReportingOverflow(stride.micros)
        guard !dayOverflow, !strideOverflow else { throw IntervalMath.outOfRange }
        guard strideMicros > 0 else { throw VireoError(.datetimeFieldOverflow, "stride must be greater than zero") }
        let (difference, differenceOverflow) = source.subtractingReportingOverflow(origin)
        guard !differenceOverflow else { throw IntervalMath.outOfRange }
        var delta = difference - difference % strideMicros
        // The start of the bin even when the origin is later than the source.
        if origin > source && strideMicros > 1 { delta -= strideMicros }
        let (result, resultOverflow) = origin.addingReportingOverflow(delta)
        guard !resultOverflow, result >= earliestTimestampMicros else {
            throw VireoError(.datetimeFieldOverflow, "timestamp out of range")
        }
        return result
    }
}
