import Foundation

/// The date spellings of PostgreSQL's date input table other than ISO 8601's `1999-01-08`,
/// read as PostgreSQL reads them with its default DateStyle (ISO, MDY), and rewritten to ISO
/// text for the timestamp parser, which then checks the fields (22008) and reads any time and
/// offset after the date:
///
/// - a month's name or its abbreviation with a day and a year, in any order PostgreSQL takes:
///   `January 8, 1999`, `1999-Jan-08`, `08-Jan-1999`, `Jan-08-99`, `8 January 1999`
///   (a number of more than two digits is the year, else the first number is the day)
/// - three numbers: month/day/year (`1/8/1999`, `01/02/03`), or year/month/day when the
///   first has four digits (`1999/01/08`)
/// - `19990108` and `990108`; `1999.008` (a year and a day of it); `J2451187` (a Julian day)
///
/// A two-digit year is 1970 to 2069, as in PostgreSQL. BC dates and words other than months
/// (weekdays, AM/PM, zone names) are not read: such text stays 22007.
enum DateSpelling {
    /// `YYYY-MM-DD` and whatever followed the date (` 04:05:06+02`); nil when `text` is no
    /// spelling this reads.
    static func isoText(_ text: String) -> String? {
        let (datePart, rest) = split(text)
        guard let (year, month, day) = date(tokens(datePart)) else { return nil }
        guard (0...9999).contains(year), (0...99).contains(month), (0...99).contains(day) else { return nil }
        return String(format: "%04d-%02d-%02d", year, month, day) + rest
    }

    /// The date before a time (`… 04:05:06`) and the rest, its leading blank kept.
    private static func split(_ text: String) -> (Substring, Substring) {
        guard let colon = text.firstIndex(of: ":"), let blank = text[..<colon].lastIndex(of: " ") else {
            return (text[...], "")
        }
        return (text[..<blank], text[blank...])
    }

    private enum Token: Equatable {
        case number(Int, digits: Int)
        case word(String)
        case point
    }

    /// Numbers and words; blanks, commas, `-` and `/` separate them; nil for anything else.
    private static func tokens(_ text: Substring) -> [Token]? {
        var result: [Token] = []
        var characters = text[...]
        while let first = characters.first {
            if first.isASCII && first.isNumber {
                let digits = characters.prefix { $0.isASCII && $0.isNumber }
                guard digits.count <= 9, let value = Int(digits) else { return nil }
                result.append(.number(value, digits: digits.count))
                characters = characters.dropFirst(digits.count)
            } else if first.isASCII && first.isLetter {
                let word = characters.prefix { $0.isASCII && $0.isLetter }
                result.append(.word(word.lowercased()))
                characters = characters.dropFirst(word.count)
            } else if first == "." {
                result.append(.point)
                characters = characters.dropFirst()
            } else if first == " " || first == "," || first == "-" || first == "/" {
                characters = characters.dropFirst()
            } else {
                return nil
            }
        }
        return result
    }

    private static func date(_ tokens: [Token]?) -> (Int, Int, Int)? {
        guard let tokens else { return nil }
        let numbers = tokens.compactMap { token -> (value: Int, digits: Int)? in
            if case .number(let value, let digits) = token { return (value, digits) }
            return nil
        }
        if tokens.count == 1, let only = numbers.first, only.digits == 8 || only.digits == 6 {
            // 19990108, 990108
            let year = only.value / 10_000
            return (only.digits == 6 ? twoDigitYear(year) : year, only.value / 100 % 100, only.value % 100)
        }
        if tokens.count == 3, tokens[1] == .point, numbers.count == 2, numbers[0].digits == 4, numbers[1].digits == 3 {
            // 1999.008: the year and the day of it
            let (year, dayOfYear) = (numbers[0].value, numbers[1].value)
            guard (1...(TimestampText.daysInMonth(year: year, month: 2) == 29 ? 366 : 365)).contains(dayOfYear) else { return nil }
            return DateTime.civil(fromDays: TimestampText.daysFromCivil(year: year, month: 1, day: 1) + dayOfYear - 1)
        }
        if tokens.count == 2, tokens[0] == .word("j"), let julianDay = numbers.first {
            return DateTime.civil(fromDays: julianDay.value - 2_440_588)
        }
        if tokens.count == 3, numbers.count == 3 {
            if numbers[0].digits == 4 { return (numbers[0].value, numbers[1].value, numbers[2].value) }
            return (numbers[2].digits == 2 ? twoDigitYear(numbers[2].value) : numbers[2].value, numbers[0].value, numbers[1].value)
        }
        return namedMonthDate(tokens)
    }

    /// A month's name and two numbers, the day and the year.
    private static func namedMonthDate(_ tokens: [Token]) -> (Int, Int, Int)? {
        var month: Int?
        var numbers: [(value: Int, digits: Int)] = []
        for token in tokens {
            switch token {
            case .word(let word):
                guard month == nil, let named = monthNumber(word) else { return nil }
                month = named
            case .number(let value, let digits): numbers.append((value, digits))
            case .point: return nil
            }
        }
        guard let month, numbers.count == 2 else { return nil }
        let (day, year) = numbers[0].digits > 2 ? (numbers[1], numbers[0]) : (numbers[0], numbers[1])
        return (year.digits == 2 ? twoDigitYear(year.value) : year.value, month, day.value)
    }

    /// January … December by name or by the first three letters (and `sept`).
    private static func monthNumber(_ word: String) -> Int? {
        if word == "sept" { return 9 }
        guard word.count >= 3 else { return nil }
        return monthNames.firstIndex { $0.hasPrefix(word) && (word.count == 3 || word == $0) }.map { $0 + 1 }
    }

    private static let monthNames = ["january", "february", "march", "april", "may", "june", "july", "august",
                                     "september", "october", "november", "december"]

    /// PostgreSQL's reading of a two-digit year: 70 to 99 are 1970 to 1999, 00 to 69 2000 to 2069.
    private static func twoDigitYear(_ year: Int) -> Int { year < 70 ? 2000 + year : 1900 + year }
}
