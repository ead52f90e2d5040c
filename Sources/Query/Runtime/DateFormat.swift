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
    static let patterns = ["SSSSS", "YYYY", "HH24", "HH12", "SSSS", "MONTH", "Month", "month", "A.M.", "P.M.", "a.m.", "p.m.",
                           "YYY", "DDD", "MON", "Mon", "mon", "DAY", "Day", "day", "YY", "MM", "DD", "ID", "HH", "MI",
                           "SS", "MS", "US", "AM", "PM", "am", "pm", "DY", "Dy", "dy", "WW", "IW", "Y", "D", "Q", "J"]

    static func format(_ micros: Int64, _ template: String) -> String {
        let fields = DateTime.Fields(micros)
        return walk(template) { pattern, fillMode in field(pattern, fields, micros, fillMode: fillMode) }
    }

    /// The template's text with each pattern (after an optional FM prefix) replaced by
    /// `field(pattern, fillMode)`; double-quoted text and other characters copied.
    static func walk(_ template: String, _ field: (String, Bool) throws -> String) rethrows -> String {
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
                output += try field(pattern, fillMode)
                rest = afterPrefix.dropFirst(pattern.count)
            } else {
                output.append(first)
                rest = rest.dropFirst()
            }
        }
        return output
    }

    /// A number zero-padded to `width` digits (after its sign) unless FM.
    static func number(_ value: Int, _ width: Int, fillMode: Bool) -> String {
        let digits = String(abs(value))
        let padded = fillMode ? digits : String(repeating: "0", count: max(0, width - digits.count)) + digits
        return (value < 0 ? "-" : "") + padded
    }

    /// The fields the numeric patterns read, of a timestamp or of an interval.
    struct TemplateFields {
        var year, month, day, dayOfYear, hour, minute, second, micros: Int
    }

    /// The patterns a timestamp and an interval print alike, from their fields; nil for the
    /// others (names, weekdays, quarters, ISO weeks, Julian days).
    static func sharedField(_ pattern: String, _ fields: TemplateFields, fillMode: Bool) -> String? {
        func number(_ value: Int, _ width: Int) -> String { DateFormat.number(value, width, fillMode: fillMode) }
        let isMorning = fields.hour % 24 < 12
        switch pattern {
        case "YYYY": return number(fields.year, 4)
        case "YYY": return number(fields.year % 1000, 3)
        case "YY": return number(fields.year % 100, 2)
        case "Y": return number(fields.year % 10, 1)
        case "MM": return number(fields.month, 2)
        case "DD": return number(fields.day, 2)
        case "DDD": return number(fields.dayOfYear, 3)
        case "WW": return number((fields.dayOfYear - 1) / 7 + 1, 2)
        case "HH", "HH12": return number(fields.hour % 12 == 0 ? 12 : fields.hour % 12, 2)
        case "HH24": return number(fields.hour, 2)
        case "MI": return number(fields.minute, 2)
        case "SS": return number(fields.second, 2)
        case "SSSS", "SSSSS": return number(fields.hour * 3600 + fields.minute * 60 + fields.second, 1)
        case "MS": return number(fields.micros / 1000, 3)
        case "US": return number(fields.micros, 6)
        case "AM", "PM": return isMorning ? "AM" : "PM"
        case "am", "pm": return isMorning ? "am" : "pm"
        case "A.M.", "P.M.": return isMorning ? "A.M." : "P.M."
        case "a.m.", "p.m.": return isMorning ? "a.m." : "p.m."
        default: return nil
        }
    }

    private static func field(_ pattern: String, _ fields: DateTime.Fields, _ micros: Int64, fillMode: Bool) -> String {
        let shared = TemplateFields(year: fields.year, month: fields.month, day: fields.day, dayOfYear: fields.dayOfYear,
                                    hour: fields.hour, minute: fields.minute, second: fields.second, micros: fields.micros)
        if let text = sharedField(pattern, shared, fillMode: fillMode) { return text }
        func number(_ value: Int, _ width: Int) -> String { DateFormat.number(value, width, fillMode: fillMode) }
        /// A month or day name cased as the pattern is; full names are blank-padded to 9 unless FM.
        func name(_ text: String, _ style: String, isFull: Bool = false) -> String {
            let cased = style == style.uppercased() ? text.uppercased() : (style == style.lowercased() ? text.lowercased() : text)
            return fillMode || !isFull ? cased : cased.padding(toLength: 9, withPad: " ", startingAt: 0)
        }
        switch pattern {
        case "D": return number(fields.dayOfWeek + 1, 1)
        case "ID": return number(fields.dayOfWeek == 0 ? 7 : fields.dayOfWeek, 1)
        case "MONTH", "Month", "month": return name(monthNames[fields.month - 1], pattern, isFull: true)
        case "MON", "Mon", "mon": return name(String(monthNames[fields.month - 1].prefix(3)), pattern)
        case "DAY", "Day", "day": return name(dayNames[fields.dayOfWeek], pattern, isFull: true)
        case "DY", "Dy", "dy": return name(String(dayNames[fields.dayOfWeek].prefix(3)), pattern)
        case "Q": return number((fields.month - 1) / 3 + 1, 1)
        case "IW": return number(DateTime.isoWeek(fields).week, 2)
        default: return number(fields.epochDay + 2_440_588, 1)  // J: the Julian day
        }
    }
}

extension DateFormat {
    /// to_timestamp(text, pattern) and to_date: reads `text` by the same template patterns
    /// (YYYY YY MM DD DDD HH HH12 HH24 MI SS MS US AM/PM Mon/Month; FM and quoted text
    /// allowed). A separator in the template skips one non-digit in the input (PostgreSQL
    /// is as loose); a number field takes digits up to its width, or up to the next non-digit
    /// for YYYY. Fields not given default to 1 (month, day) and 0.
    static func parse(_ text: String, _ template: String, typeName: String) throws -> Int64 {
        var input = Substring(text), rest = Substring(template)
        var year = 1, month = 1, day = 1, dayOfYear: Int?, hour = 0, minute = 0, second = 0, micros = 0
        var isPM: Bool?, hour12 = false
        func bad(_ detail: String) -> VireoError {
            VireoError(.invalidDatetimeFormat, "invalid value \"\(input.prefix(12))\" for \"\(detail)\"")
        }
        func digits(_ width: Int, _ field: String, open: Bool = false) throws -> Int {
            input = input.drop { $0 == " " }
            var taken = "" as String
            if input.first == "-" || input.first == "+" { taken.append(input.removeFirst()) }
            while let character = input.first, character.isASCII, character.isNumber, open || taken.filter(\.isNumber).count < width {
                taken.append(input.removeFirst())
            }
            guard let number = Int(taken) else { throw bad(field) }
            return number
        }
        func name(_ names: [String], _ field: String, abbreviated: Bool) throws -> Int {
            for (index, full) in names.enumerated() {
                let candidate = abbreviated ? String(full.prefix(3)) : full
                if input.lowercased().hasPrefix(candidate.lowercased()) {
                    input = input.dropFirst(candidate.count)
                    return index + 1
                }
            }
            throw bad(field)
        }
        while let first = rest.first {
            if first == "\"" {
                rest = rest.dropFirst()
                while let character = rest.first, character != "\"" { rest = rest.dropFirst(); if input.first == character { input = input.dropFirst() } }
                rest = rest.dropFirst()
                continue
            }
            let afterPrefix = rest.hasPrefix("FM") || rest.hasPrefix("fm") ? rest.dropFirst(2) : rest
            guard let pattern = patterns.first(where: { afterPrefix.hasPrefix($0) }) else {
                rest = rest.dropFirst()
                if first == " " { input = input.drop { $0 == " " }; continue }
                if let character = input.first, !(character.isASCII && character.isNumber) { input = input.dropFirst() }
                continue
            }
            rest = afterPrefix.dropFirst(pattern.count)
            switch pattern.uppercased() {
            // YYYY takes more than four digits only when no field follows it directly (YYYYMMDD).
            case "YYYY": year = try digits(4, pattern, open: !(rest.first?.isLetter ?? false))
            case "YYY": year = 2000 + (try digits(3, pattern)) % 1000
            case "YY":
                let short = try digits(2, pattern)
                year = short < 70 ? 2000 + short : 1900 + short
            case "Y": year = 2000 + (try digits(1, pattern))
            case "MM": month = try digits(2, pattern)
            case "DD": day = try digits(2, pattern)
            case "DDD": dayOfYear = try digits(3, pattern)
            case "HH", "HH12": hour = try digits(2, pattern); hour12 = true
            case "HH24": hour = try digits(2, pattern)
            case "MI": minute = try digits(2, pattern)
            case "SS": second = try digits(2, pattern)
            case "MS": micros = try digits(3, pattern) * 1000
            case "US": micros = try digits(6, pattern)
            case "AM", "PM", "A.M.", "P.M.":
                let marker = input.prefix(pattern.count).uppercased()
                guard ["AM", "PM", "A.M.", "P.M."].contains(marker) else { throw bad(pattern) }
                isPM = marker.hasPrefix("P")
                input = input.dropFirst(pattern.count)
            case "MONTH": month = try name(monthNames, pattern, abbreviated: false)
            case "MON": month = try name(monthNames, pattern, abbreviated: true)
            case "DAY": _ = try name(dayNames, pattern, abbreviated: false)
            case "DY": _ = try name(dayNames, pattern, abbreviated: true)
            default: throw VireoError(.featureNotSupported, "the pattern \"\(pattern)\" is not supported in \(typeName) input")
            }
        }
        guard input.allSatisfy({ $0 == " " }) || typeName == "date" else {
            throw VireoError(.invalidDatetimeFormat, "trailing characters remain in input string after datetime format")
        }
        if hour12 || isPM != nil {
            guard (1...12).contains(hour) else {
                throw VireoError(.datetimeFieldOverflow, "hour \"\(hour)\" is invalid for the 12-hour clock", hint: "Use the 24-hour clock, or give an hour between 1 and 12.")
            }
            hour = hour % 12 + (isPM == true ? 12 : 0)
        }
        let fieldsOK = (1...12).contains(month) && (0...23).contains(hour) && (0...59).contains(minute) && (0...60).contains(second)
        guard fieldsOK, year != 0 else { throw VireoError(.datetimeFieldOverflow, "date/time field value out of range: \"\(text)\"") }
        var days: Int
        if let dayOfYear {
            guard (1...366).contains(dayOfYear) else { throw VireoError(.datetimeFieldOverflow, "date/time field value out of range: \"\(text)\"") }
            days = TimestampText.daysFromCivil(year: year, month: 1, day: 1) + dayOfYear - 1
        } else {
            guard (1...TimestampText.daysInMonth(year: year, month: month)).contains(day) else {
                throw VireoError(.datetimeFieldOverflow, "date/time field value out of range: \"\(text)\"")
            }
            days = TimestampText.daysFromCivil(year: year, month: month, day: day)
        }
        let time = Int64(hour * 3600 + minute * 60 + second) * 1_000_000 + Int64(micros)
        return Int64(days) * DateTime.microsPerDay + time
    }
}

extension Functions {
    static let dateFormatting: [ScalarFunction] = [
        // to_char of a number (NumberFormat.swift) or of a date/time; an infinity has no text (NULL).
        ScalarFunction("to_char", 2...2, [.timestamp, .text], returns: .text) { arguments in
            switch arguments[0] {
            case .int, .double, .numeric: return .text(try NumberFormat.format(arguments[0], string(arguments[1])))
            case .interval(let interval): return .text(try DateFormat.format(interval, string(arguments[1])))
            default:
                let micros = try timestampMicros(arguments[0])
                return DateTime.isInfinite(micros) ? .null : .text(DateFormat.format(micros, string(arguments[1])))
            }
        },
        ScalarFunction("to_number", 2...2, [.text, .text], returns: .numeric) { arguments in
            try NumberFormat.parse(string(arguments[0]), string(arguments[1]))
        },
        // to_timestamp(seconds since 1970) or to_timestamp(text, template).
        ScalarFunction("to_timestamp", 1...2, [.text, .text], returns: .timestamptz) { arguments in
            if arguments.count == 2 {
                return .timestamp(try DateFormat.parse(string(arguments[0]), string(arguments[1]), typeName: "timestamp"))
            }
            let seconds = try double(arguments[0])
            guard seconds.isFinite, abs(seconds) < 9.2e12 else {
                if seconds.isInfinite { throw VireoError(.featureNotSupported, "infinite timestamps are not supported") }
                throw VireoError(.datetimeFieldOverflow, "timestamp out of range: \"\(seconds)\"")
            }
            return .timestamp(Int64((seconds * 1_000_000).rounded()))
        },
        ScalarFunction("to_date", 2...2, [.text, .text], returns: .date) { arguments in
            .timestamp(DateTime.midnight(of: try DateFormat.parse(string(arguments[0]), string(arguments[1]), typeName: "date")))
        },
    ]
}
