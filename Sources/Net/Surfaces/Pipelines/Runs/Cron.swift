import Foundation

/// A five-field cron schedule (minute hour day-of-month month day-of-week) in a time zone:
/// numbers, `*`, ranges `a-b`, lists `a,b`, steps `*/n` and `a-b/n`, month and day names
/// (`jan`, `mon`), and 7 for Sunday. As in Vixie cron, when both day fields are restricted
/// a day matches either. A sixth field in front, seconds (as Quartz and Spring write it),
/// is taken too, for schedules finer than a minute.
struct CronSchedule: Sendable, Equatable {
    let seconds: Set<Int>
    let minutes: Set<Int>, hours: Set<Int>, days: Set<Int>, months: Set<Int>, weekdays: Set<Int>
    let dayRestricted: Bool, weekdayRestricted: Bool
    let timeZone: TimeZone
    /// How far `next` looks ahead before deciding the schedule never fires (Feb 30).
    static let searchDaysMax = 366 * 5

    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    init(_ text: String, timeZone name: String = "UTC") throws {
        var fields = text.split(whereSeparator: \.isWhitespace).map { String($0).lowercased() }
        guard fields.count == 5 || fields.count == 6 else {
            throw RESTError.invalid("schedule", "a cron schedule has 5 fields (minute hour day month weekday), or 6 with seconds first; not \(fields.count)")
        }
        seconds = fields.count == 6 ? try Self.field(fields.removeFirst(), 0...59, [], "second") : [0]
        guard let zone = TimeZone(identifier: name) else { throw RESTError.invalid("timezone", "unknown time zone \(name)") }
        timeZone = zone
        minutes = try Self.field(fields[0], 0...59, [], "minute")
        hours = try Self.field(fields[1], 0...23, [], "hour")
        days = try Self.field(fields[2], 1...31, [], "day of month")
        months = try Self.field(fields[3], 1...12, Self.monthNames, "month", namesFrom: 1)
        let weekdaySet = try Self.field(fields[4], 0...7, Self.dayNames, "day of week")
        weekdays = Set(weekdaySet.map { $0 % 7 })
        dayRestricted = fields[2] != "*" && !fields[2].hasPrefix("*/")
        weekdayRestricted = fields[4] != "*" && !fields[4].hasPrefix("*/")
    }

    static func field(_ text: String, _ range: ClosedRange<Int>, _ names: [String], _ what: String, namesFrom: Int = 0) throws -> Set<Int> {
        var values = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2 else { throw invalid(what, text) }
            let step = pieces.count == 2 ? Int(pieces[1]) : 1
            guard let step, step > 0 else { throw invalid(what, text) }
            let bounds: ClosedRange<Int>
            if pieces[0] == "*" {
                bounds = range
            } else {
                let ends = pieces[0].split(separator: "-", omittingEmptySubsequences: false).map { number(String($0), names, namesFrom) }
                guard ends.count <= 2, let low = ends[0], let high = ends.count == 2 ? ends[1] : (pieces.count == 2 ? range.upperBound : low),
                      low <= high, range.contains(low), range.contains(high) else { throw invalid(what, text) }
                bounds = low...high
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }

    static func number(_ text: String, _ names: [String], _ namesFrom: Int) -> Int? {
        if let value = Int(text) { return value }
        return names.firstIndex(of: text).map { $0 + namesFrom }
    }

    static func invalid(_ what: String, _ text: String) -> RESTError { RESTError.invalid("schedule", "bad \(what) field \"\(text)\"") }

    /// The first time strictly after `date` that the schedule fires, or nil if none within
    /// five years.
    func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard var day = calendar.date(from: calendar.dateComponents([.year, .month, .day], from: date)) else { return nil }
        for _ in 0..<Self.searchDaysMax {
            let parts = calendar.dateComponents([.month, .day, .weekday], from: day)
            if let month = parts.month, let dayOfMonth = parts.day, let weekday = parts.weekday, months.contains(month),
               dayMatches(dayOfMonth, weekday - 1) {
                for hour in hours.sorted() {
                    for minute in minutes.sorted() {
                        for second in seconds.sorted() {
                            guard let time = calendar.date(bySettingHour: hour, minute: minute, second: second, of: day) else { continue }
                            // A local time skipped by a daylight-saving jump is moved on by Foundation; keep only real matches.
                            if time > date, calendar.component(.hour, from: time) == hour { return time }
                        }
                    }
                }
            }
            guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = following
        }
        return nil
    }

    func dayMatches(_ day: Int, _ weekday: Int) -> Bool {
        switch (dayRestricted, weekdayRestricted) {
        case (true, true): days.contains(day) || weekdays.contains(weekday)
        case (true, false): days.contains(day)
        case (false, true): weekdays.contains(weekday)
        case (false, false): true
        }
    }
}
