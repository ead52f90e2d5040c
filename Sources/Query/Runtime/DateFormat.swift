import VireoStorage

/// to_char(timestamp, pattern) with PostgreSQL's template patterns: YYYY YYY YY Y, MM, DD,
/// DDD, D, ID, HH HH12 HH24, MI, SS, MS, US, AM/PM (and a.m./p.m. spellings), Month/Mon,
/// Day/Dy in their three capitalisations, Q, WW, IW, J; the FM prefix drops padding; text in
/// double quotes and characters that are not patterns are copied.
enum DateFormat {
    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                             "October", "November", "December"]
    static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// Patterns, longest first so that `HH24` wins over `HH` and `MONTH` over `MON`.
    static let patterns = ["YYYY", "HH24", "HH12", "MONTH", "Month", "month", "A.M.", "P.M.", "a.m.", "p.m.",
                           "YYY", "DDD", "MON", "Mon", "mon", "DAY", "Day", "day", "YY", "MM", "DD", "ID", "HH", "MI",
                           "SS", "MS", "US", "AM", "PM", "am", "pm", "DY", "Dy", "dy", "WW", "IW", "Y", "D", "Q", "J"]

    static func format(_ micros: Int64, _ template: String) -> String {
        let fields = DateTime.Fields(micros)
        var output = ""
        var rest = Substring(template)
        while let first = rest.first {
            if first == "\"" {
                rest = rest.dropFirst()
                while let character = rest.first, character != "\"" {
                    if character == "\\", rest.count > 1 { rest = rest.dropFirst() }
                    output.append(rest.removeFirst())
                }
                rest = rest.dropFirst()
                continue
            }
            let fillMode = rest.hasPrefix("FM") || rest.hasPrefix("fm")
            let afterPrefix = fillMode ? rest.dropFirst(2) : rest
            if let pattern = patterns.first(where: { afterPrefix.hasPrefix($0) }) {
                output += field(pattern, fields, micros, fillMode: fillMode)
                rest = afterPrefix.dropFirst(pattern.count)
            } else {
                output.append(first)
                rest = rest.dropFirst()
            }
        }
        return output
    }

    private static func field(_ pattern: String, _ fields: DateTime.Fields, _ micros: Int64, fillMode: Bool) -> String {
        func number(_ value: Int, _ width: Int) -> String {
            let digits = String(abs(value))
            let padded = fillMode ? digits : String(repeating: "0", count: max(0, width - digits.count)) + digits
            return (value < 0 ? "-" : "") + padded
        }
        /// A month or day name cased as the pattern is; full names are blank-padded to 9 unless FM.
        func name(_ text: String, _ style: String, isFull: Bool = false) -> String {
            let cased = style == style.uppercased() ? text.uppercased() : (style == style.lowercased() ? text.lowercased() : text)
            return fillMode || !isFull ? cased : cased.padding(toLength: 9, withPad: " ", startingAt: 0)
        }
        let hour12 = fields.hour % 12 == 0 ? 12 : fields.hour % 12
        let isMorning = fields.hour < 12
        switch pattern {
        case "YYYY": return number(fields.year, 4)
        case "YYY": return number(fields.year % 1000, 3)
        case "YY": return number(fields.year % 100, 2)
        case "Y": return number(fields.year % 10, 1)
        case "MM": return number(fields.month, 2)
        case "DD": return number(fields.day, 2)
        case "DDD": return number(fields.dayOfYear, 3)
        case "D": return number(fields.dayOfWeek + 1, 1)
        case "ID": return number(fields.dayOfWeek == 0 ? 7 : fields.dayOfWeek, 1)
        case "HH", "HH12": return number(hour12, 2)
        case "HH24": return number(fields.hour, 2)
        case "MI": return number(fields.minute, 2)
        case "SS": return number(fields.second, 2)
        case "MS": return number(fields.micros / 1000, 3)
        case "US": return number(fields.micros, 6)
        case "AM", "PM": return isMorning ? "AM" : "PM"
        case "am", "pm": return isMorning ? "am" : "pm"
        case "A.M.", "P.M.": return isMorning ? "A.M." : "P.M."
        case "a.m.", "p.m.": return isMorning ? "a.m." : "p.m."
        case "MONTH", "Month", "month": return name(monthNames[fields.month - 1], pattern, isFull: true)
        case "MON", "Mon", "mon": return name(String(monthNames[fields.month - 1].prefix(3)), pattern)
        case "DAY", "Day", "day": return name(dayNames[fields.dayOfWeek], pattern, isFull: true)
        case "DY", "Dy", "dy": return name(String(dayNames[fields.dayOfWeek].prefix(3)), pattern)
        case "Q": return number((fields.month - 1) / 3 + 1, 1)
        case "WW": return number((fields.dayOfYear - 1) / 7 + 1, 2)
        case "IW": return number(DateTime.isoWeek(fields).week, 2)
        default: return number(fields.epochDay + 2_440_588, 1)  // J: the Julian day
        }
    }
}

extension Functions {
    static let dateFormatting: [ScalarFunction] = [
        ScalarFunction("to_char", 2...2, [.timestamp, .text], returns: .text) { arguments in
            .text(DateFormat.format(try timestampMicros(arguments[0]), string(arguments[1])))
        },
    ]
}
