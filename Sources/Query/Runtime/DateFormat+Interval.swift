import VireoStorage

/// to_char(interval, template): the template patterns read an interval's own fields, as
/// PostgreSQL's interval_to_char does: years and months from its months, days as they are,
/// hours not wrapped at 24 (`HH24` of 25 hours is 25), each field negative when the part
/// it comes from is. Names of months and days are errors, since an interval is no date.
extension DateFormat {
    static func format(_ interval: Interval, _ template: String) throws -> String {
        let fields = templateFields(interval)
        return try walk(template) { pattern, fillMode in try field(pattern, fields, fillMode: fillMode) }
    }

    private static func templateFields(_ interval: Interval) -> TemplateFields {
        let (year, month, day) = (Int(interval.months / 12), Int(interval.months % 12), Int(interval.days))
        // PostgreSQL's day of the year for an interval: thirty days a month.
        return TemplateFields(year: year, month: month, day: day, dayOfYear: (year * 12 + month) * 30 + day,
                              hour: Int(interval.micros / 3_600_000_000), minute: Int(interval.micros % 3_600_000_000 / 60_000_000),
                              second: Int(interval.micros % 60_000_000 / 1_000_000), micros: Int(interval.micros % 1_000_000))
    }

    private static func field(_ pattern: String, _ fields: TemplateFields, fillMode: Bool) throws -> String {
        if let text = sharedField(pattern, fields, fillMode: fillMode) { return text }
        switch pattern {
        case "Q": return fields.month == 0 ? "" : number((fields.month - 1) / 3 + 1, 1, fillMode: fillMode)
        case "J":
            let julianDay = TimestampText.daysFromCivil(year: fields.year, month: fields.month, day: fields.day) + 2_440_588
            return number(julianDay, 1, fillMode: fillMode)
        default:
            throw VireoError(.invalidDatetimeFormat, "invalid format specification for an interval value",
                             hint: "Intervals are not tied to specific calendar dates.")
        }
    }
}
