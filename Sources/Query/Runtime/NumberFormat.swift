import Foundation
import VireoStorage

/// to_char(number, template): PostgreSQL 15's numeric formatting (formatting.c's
/// NUM_processor), with the C locale's symbols. Template patterns: `9` (a digit, blank when
/// not needed), `0` (a digit, zero when not needed), `.` and `D` (the decimal point), `,` and
/// `G` (a group separator, blank before the first digit), `FM` (no padding), `S` (the sign
/// anchored to the number), `MI` `PL` `SG` (minus, plus, either at that place), `PR` (a
/// negative number in angle brackets), `L` (the currency symbol, a blank in the C locale),
/// `TH`/`th` (an ordinal suffix); other characters and `"quoted"` text are copied. A number
/// with more integer digits than the template has is all `#`. `V`, `EEEE` and `RN` are
/// refused (0A000). to_number reads text with the same templates (`parse`).
enum NumberFormat {
    static func format(_ value: Value, _ template: String) throws -> String {
        var pattern = try Pattern(template)
        let (sign, digits) = try numberText(value, &pattern)
        var writer = Writer(pattern: pattern, sign: sign, number: Array(digits.utf8))
        return writer.run()
    }

    /// A template's parts and what PostgreSQL's NUM_prepare counts of them.
    struct Pattern {
        enum Part: Equatable {
            case nine, zero, point, comma, fillMode, localeSign, minus, plus, signWord, brackets, currency, ordinal(upper: Bool)
            case literal(UInt8)
        }
        var parts: [Part] = []
        var pre = 0, post = 0
        var isDecimal = false, isZero = false, fillMode = false, bracket = false, plus = false, minus = false
        var localeSign = false, localeSignAfter = false, localeSignPreCount = 0
        var zeroStart = 0, zeroEnd = 0

        /// `forInput`: to_number's template, whose refusals say so.
        init(_ template: String, forInput: Bool = false) throws {
            let bytes = Array(template.utf8)
            var index = 0
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "\"") {
                    // "quoted text" is copied as it is (a backslash keeps a quote in it).
                    index += 1
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                        if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
                        parts.append(.literal(bytes[index]))
                        index += 1
                    }
                    index += 1
                    continue
                }
                let (part, length) = try Self.part(bytes, at: index, forInput: forInput)
                index += length
                try add(part)
            }
            if localeSign && !localeSignAfter && pre == localeSignPreCount { localeSignAfter = true }
            if zeroStart > 0 { zeroStart -= 1 }
        }

        /// The keyword at `index` (upper or lower case, as PostgreSQL lists them) and its length.
        private static func part(_ bytes: [UInt8], at index: Int, forInput: Bool) throws -> (Part, Int) {
            func word(_ text: String) -> Bool {
                let word = Array(text.utf8)
                guard index + word.count <= bytes.count else { return false }
                let slice = Array(bytes[index..<(index + word.count)])
                return slice == word || slice == Array(text.lowercased().utf8)
            }
            for unsupported in ["EEEE", "RN", "V"] where word(unsupported) {
                if forInput { throw VireoError(.featureNotSupported, "\"\(unsupported)\" not supported for input") }
                throw VireoError(.featureNotSupported, "to_char's \"\(unsupported)\" pattern for numbers is not supported")
            }
            let words: [(String, Part)] = [("FM", .fillMode), ("MI", .minus), ("PL", .plus), ("SG", .signWord), ("PR", .brackets),
                                           ("TH", .ordinal(upper: true)), ("S", .localeSign), ("L", .currency), ("D", .point), ("G", .comma)]
            for (text, part) in words where word(text) {
                if case .ordinal = part, bytes[index] == UInt8(ascii: "t") { return (.ordinal(upper: false), 2) }
                return (part, text.utf8.count)
            }
            switch bytes[index] {
            case UInt8(ascii: "9"): return (.nine, 1)
            case UInt8(ascii: "0"): return (.zero, 1)
            case UInt8(ascii: "."): return (.point, 1)
            case UInt8(ascii: ","): return (.comma, 1)
            default: return (.literal(bytes[index]), 1)
            }
        }

        private mutating func add(_ part: Part) throws {
            switch part {
            case .nine:
                if isDecimal { post += 1 } else { pre += 1 }
            case .zero:
                if !isZero && !isDecimal {
                    isZero = true
                    zeroStart = pre + 1
                }
                if isDecimal { post += 1 } else { pre += 1 }
                zeroEnd = pre + post
            case .point:
                guard !isDecimal else { throw VireoError(.syntaxError, "multiple decimal points") }
                isDecimal = true
            case .fillMode: fillMode = true
            case .brackets: bracket = true
            case .plus: plus = true
            case .minus: minus = true
            case .signWord: plus = true; minus = true
            case .localeSign:
                guard !localeSign else { throw VireoError(.syntaxError, "cannot use \"S\" twice") }
                localeSign = true
                if isDecimal { localeSignAfter = true } else { localeSignPreCount = pre }
            default: break
            }
            parts.append(part)
        }
    }

    /// The sign and the digits PostgreSQL's numeric_to_char, int8_to_char and float8_to_char
    /// hand the processor: rounded to the template's fraction digits, `#` when too wide.
    private static func numberText(_ value: Value, _ pattern: inout Pattern) throws -> (UInt8, String) {
        var text: String
        switch value {
        case .int(let number):
            text = String(number)
            if pattern.post > 0 { text += "." + String(repeating: "0", count: pattern.post) }
        case .double(let number):
            let integerDigits = String(format: "%.0f", Swift.abs(number)).count
            if integerDigits >= 15 { pattern.post = 0 } else if integerDigits + pattern.post > 15 { pattern.post = 15 - integerDigits }
            text = String(format: "%.\(pattern.post)f", number)
        default:
            text = try Functions.exactArgument(value).rounded(toScale: pattern.post).description
        }
        let sign = text.hasPrefix("-") ? UInt8(ascii: "-") : UInt8(ascii: "+")
        if text.hasPrefix("-") { text.removeFirst() }
        let integerLength = text.firstIndex(of: ".").map { text.distance(from: text.startIndex, to: $0) } ?? text.count
        if integerLength > pattern.pre {
            text = String(repeating: "#", count: pattern.pre) + "." + String(repeating: "#", count: pattern.post)
        }
        return (sign, text)
    }

    /// NUM_processor and NUM_numpart_to_char, writing one template part at a time.
    private struct Writer {
        var pattern: Pattern
        let sign: UInt8
        let number: [UInt8]
        var output: [UInt8] = []
        var numberIndex = 0, current = 0
        var signWritten: Bool, numberStarted = false
        let prefixBlanks: Int
        var lastRelevant: Int?
        var count: Int

        init(pattern: Pattern, sign: UInt8, number: [UInt8]) {
            self.pattern = pattern
            self.sign = sign
            self.number = number
            let integerLength = number.firstIndex(of: UInt8(ascii: ".")) ?? number.count
            prefixBlanks = max(pattern.pre - integerLength, 0)
            if pattern.plus || pattern.minus {
                signWritten = !(pattern.plus && !pattern.minus)
            } else {
                if sign != UInt8(ascii: "-") && pattern.fillMode { self.pattern.bracket = false }
                signWritten = sign == UInt8(ascii: "+") && pattern.fillMode && !pattern.localeSign
            }
            count = pattern.post + pattern.pre - 1
            if pattern.fillMode && pattern.isDecimal, let point = number.firstIndex(of: UInt8(ascii: ".")) {
                var relevant = point
                for index in (point + 1)..<number.count where number[index] != UInt8(ascii: "0") { relevant = index }
                if pattern.zeroEnd > prefixBlanks { relevant = max(relevant, min(number.count - 1, pattern.zeroEnd - prefixBlanks)) }
                lastRelevant = relevant
            }
            if !signWritten && prefixBlanks == 0 { count += 1 }
        }

        private var character: UInt8 { numberIndex < number.count ? number[numberIndex] : 0 }
        private var lastIsPoint: Bool { lastRelevant.map { number[$0] == UInt8(ascii: ".") } ?? false }
        /// PostgreSQL's IS_PREDEC_SPACE: the integer part is a lone zero that `9` leaves blank.
        private var blankBeforePoint: Bool {
            !pattern.isZero && numberIndex == 0 && number.first == UInt8(ascii: "0") && pattern.post != 0
        }

        mutating func run() -> String {
            for part in pattern.parts {
                switch part {
                case .nine, .zero, .point: numberPart(part)
                case .comma:
                    if numberStarted { output.append(UInt8(ascii: ",")) } else if !pattern.fillMode { output.append(UInt8(ascii: " ")) }
                case .currency: output.append(UInt8(ascii: " "))
                case .minus:
                    if sign == UInt8(ascii: "-") { output.append(sign) } else if !pattern.fillMode { output.append(UInt8(ascii: " ")) }
                case .plus:
                    if sign == UInt8(ascii: "+") { output.append(sign) } else if !pattern.fillMode { output.append(UInt8(ascii: " ")) }
                case .signWord: output.append(sign)
                case .ordinal(let upper): ordinal(upper: upper)
                case .literal(let byte): output.append(byte)
                case .fillMode, .localeSign, .brackets: break
                }
            }
            // A NUL written for a point past the digits ends the C string, as in PostgreSQL.
            let end = output.firstIndex(of: 0) ?? output.count
            return String(decoding: output[..<end], as: UTF8.self)
        }

        private mutating func writeSign() {
            guard !signWritten,
                  current >= prefixBlanks || (pattern.isZero && pattern.zeroStart == current),
                  !blankBeforePoint || lastIsPoint else { return }
            if pattern.localeSign {
                guard !pattern.localeSignAfter else { return }
                output.append(sign)
                signWritten = true
            } else if pattern.bracket {
                output.append(sign == UInt8(ascii: "+") ? UInt8(ascii: " ") : UInt8(ascii: "<"))
                signWritten = true
            } else if sign == UInt8(ascii: "+") {
                if !pattern.fillMode { output.append(UInt8(ascii: " ")) }
                signWritten = true
            } else {
                output.append(sign)
                signWritten = true
            }
        }

        private mutating func numberPart(_ part: Pattern.Part) {
            writeSign()
            if current < prefixBlanks && (pattern.zeroStart > current || !pattern.isZero) {
                if !pattern.fillMode { output.append(UInt8(ascii: " ")) }
            } else if pattern.isZero && current < prefixBlanks && pattern.zeroStart <= current {
                output.append(UInt8(ascii: "0"))
                numberStarted = true
            } else {
                if character == UInt8(ascii: ".") {
                    if !lastIsPoint || pattern.fillMode { output.append(UInt8(ascii: ".")) }
                } else if let lastRelevant, numberIndex > lastRelevant, part != .zero {
                    // FM drops fraction digits after the last one that is not zero.
                } else if blankBeforePoint {
                    if !pattern.fillMode { output.append(UInt8(ascii: " ")) } else if lastIsPoint { output.append(UInt8(ascii: "0")) }
                } else {
                    output.append(character)
                    numberStarted = true
                }
                if numberIndex < number.count { numberIndex += 1 }
            }
            var end = count + (prefixBlanks > 0 ? 1 : 0) + (pattern.isDecimal ? 1 : 0)
            if let lastRelevant, lastRelevant == numberIndex { end = current }
            if current + 1 == end {
                if signWritten && pattern.bracket {
                    output.append(sign == UInt8(ascii: "+") ? UInt8(ascii: " ") : UInt8(ascii: ">"))
                } else if pattern.localeSign && pattern.localeSignAfter {
                    output.append(sign)
                }
            }
            current += 1
        }

        /// `TH`: st, nd, rd or th after the integer, none for a negative or decimal number.
        private mutating func ordinal(upper: Bool) {
            guard sign != UInt8(ascii: "-"), !pattern.isDecimal, number.first != UInt8(ascii: "#") else { return }
            let digits = number.prefix { $0 != UInt8(ascii: ".") }
            let last = digits.last.map { Int($0) - 48 } ?? 0
            let tens = digits.count > 1 ? Int(digits[digits.count - 2]) - 48 : 0
            var suffix = tens == 1 ? "th" : (last == 1 ? "st" : (last == 2 ? "nd" : (last == 3 ? "rd" : "th")))
            if upper { suffix = suffix.uppercased() }
            output += Array(suffix.utf8)
        }
    }
}

extension NumberFormat {
    /// to_number(text, template): PostgreSQL 15's NUM_processor reading text (formatting.c).
    /// Each `9`, `0`, `.`/`D` place reads one digit or the decimal point, after one blank,
    /// and a leading sign (`-`, `+`, `<` under `PR`); fraction digits past the template's are
    /// dropped. `,`/`G` consume a comma if one is there (never in FM mode); `MI` `PL` `SG`
    /// read a sign there, `S` one after the digits; `L` and `TH` skip that many characters
    /// that are not digits, points, commas or signs; other template characters skip one
    /// input character each. The digits read are a numeric of the template's precision and
    /// of as many fraction digits as were read (22003 past it, 22P02 for no digits).
    static func parse(_ text: String, _ template: String) throws -> Value {
        guard !template.isEmpty else { return .null }
        var reader = Reader(pattern: try Pattern(template, forInput: true), input: Array(text.utf8))
        let numberText = reader.run()
        guard let number = Numeric(numberText.trimmingCharacters(in: .whitespaces)) else {
            throw VireoError(.invalidTextRepresentation, "invalid input syntax for type numeric: \"\(numberText)\"")
        }
        let precision = reader.pattern.pre + reader.readPost
        return .numeric(precision > 0 ? try number.fitted(precision: precision, scale: reader.readPost) : number)
    }

    /// NUM_processor and NUM_numpart_from_char, reading one template part at a time.
    private struct Reader {
        let pattern: Pattern
        let input: [UInt8]
        var position = 0
        /// The sign read, blank until one is.
        var sign = UInt8(ascii: " ")
        var digits: [UInt8] = []
        var readPre = 0, readPost = 0, readDecimal = false

        private var atEnd: Bool { position >= input.count }
        private var character: UInt8 { position < input.count ? input[position] : 0 }

        private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        private static func isSign(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") }

        /// The number as PostgreSQL hands it to numeric_in: the sign (or a blank), the digits.
        mutating func run() -> String {
            for part in pattern.parts where !atEnd {
                switch part {
                case .nine, .zero, .point:
                    numberPart(part)
                    position += 1
                case .comma:
                    if !pattern.fillMode && character == UInt8(ascii: ",") { position += 1 }
                case .currency: skipNonData(1)
                case .ordinal: if !pattern.isDecimal { skipNonData(2) }
                case .minus: readSign(character == UInt8(ascii: "-"))
                case .plus: readSign(character == UInt8(ascii: "+"))
                case .signWord: readSign(Self.isSign(character))
                case .literal: skipCharacter()
                case .fillMode, .localeSign, .brackets: break
                }
            }
            if digits.last == UInt8(ascii: ".") { digits.removeLast() }
            return String(decoding: [sign] + digits, as: UTF8.self)
        }

        /// `MI`, `PL`, `SG`: the sign at this place when `present`, else one non-data character skipped.
        private mutating func readSign(_ present: Bool) {
            guard present else { return skipNonData(1) }
            sign = character
            position += 1
        }

        private mutating func skipNonData(_ count: Int) {
            for _ in 0..<count {
                guard !atEnd, !Array("0123456789.,+-".utf8).contains(character) else { return }
                skipCharacter()
            }
        }

        /// One UTF-8 character, as pg_mblen steps.
        private mutating func skipCharacter() {
            let lead = character
            position += lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        }

        private mutating func numberPart(_ part: Pattern.Part) {
            if character == UInt8(ascii: " ") { position += 1 }
            guard !atEnd else { return }
            if sign == UInt8(ascii: " ") && part != .point && readPre + readPost == 0 { readLeadingSign() }
            guard !atEnd else { return }
            var isRead = false
            if Self.isDigit(character) {
                if readDecimal && readPost == pattern.post { return }
                digits.append(character)
                if readDecimal { readPost += 1 } else { readPre += 1 }
                isRead = true
            } else if pattern.isDecimal && !readDecimal && character == UInt8(ascii: ".") {
                digits.append(character)
                readDecimal = true
                isRead = true
            }
            guard !atEnd, sign == UInt8(ascii: " "), readPre + readPost > 0 else { return }
            if pattern.localeSign {
                // `S` after the digits: a sign right after the last one.
                if isRead, position + 1 < input.count, !Self.isDigit(input[position + 1]), Self.isSign(input[position + 1]) {
                    position += 1
                    sign = character
                }
            } else if !isRead && (pattern.plus || pattern.minus) && Self.isSign(character) {
                sign = character
            }
        }

        private mutating func readLeadingSign() {
            if character == UInt8(ascii: "-") || (pattern.bracket && !pattern.localeSign && character == UInt8(ascii: "<")) {
                sign = UInt8(ascii: "-")
                position += 1
            } else if character == UInt8(ascii: "+") {
                sign = UInt8(ascii: "+")
                position += 1
            }
        }
    }
}
