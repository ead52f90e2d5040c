import Foundation
import Synchronization
import VireoStorage

/// PostgreSQL's `~` family: does the text match a regular expression anywhere in it.
/// Patterns are compiled with ICU (NSRegularExpression), which reads the POSIX
/// extended syntax PostgreSQL users write (classes, anchors, alternation, quantifiers).
enum RegexMatch {
    /// Longest pattern accepted, so that a hostile pattern cannot take unbounded memory.
    static let patternBytesMax = 64 << 10
    /// Compiled patterns kept: a `WHERE col ~ 'pattern'` scan compiles its pattern once,
    /// not once per row.
    static let compiledPatternsMax = 64

    private struct Key: Hashable { var pattern: String; var caseInsensitive: Bool }
    private static let compiled = Mutex<[Key: NSRegularExpression]>([:])

    static func apply(_ op: BinaryOperator, _ text: String, _ pattern: String) throws -> Value {
        let insensitive = op == .regexMatchInsensitive || op == .regexNotMatchInsensitive
        let negated = op == .regexNotMatch || op == .regexNotMatchInsensitive
        let expression = try compile(pattern, caseInsensitive: insensitive)
        let range = NSRange(text.startIndex..., in: text)
        let found = expression.firstMatch(in: text, range: range) != nil
        return .bool(found != negated)
    }

    /// The flags regexp_replace, regexp_match and regexp_split_to_array take: `g` (every match),
    /// `i` (case-insensitive), `c` (case-sensitive, the default).
    struct Flags {
        var global = false
        var caseInsensitive = false

        init(_ text: String?, allowsGlobal: Bool, function: String = "regexp_match") throws {
            for flag in text ?? "" {
                switch flag {
                case "g" where allowsGlobal: global = true
                case "i": caseInsensitive = true
                case "c": caseInsensitive = false
                case "g": throw VireoError(.invalidParameter, "\(function)() does not support the \"global\" option",
                                          hint: function == "regexp_match" ? "Use the regexp_matches function instead." : nil)
                default: throw VireoError(.invalidParameter, "invalid regular expression option: \"\(flag)\"")
                }
            }
        }
    }

    /// regexp_replace: the first match (every match with `g`) replaced; `\1`…`\9` in the
    /// replacement are the groups and `\&` the whole match, as in PostgreSQL.
    static func replace(_ text: String, _ pattern: String, _ replacement: String, flags: String?) throws -> String {
        let options = try Flags(flags, allowsGlobal: true)
        let expression = try compile(pattern, caseInsensitive: options.caseInsensitive)
        let nsText = text as NSString
        let matches = expression.matches(in: text, range: NSRange(location: 0, length: nsText.length))
        var result = "", cursor = 0
        for match in options.global ? matches : Array(matches.prefix(1)) {
            result += nsText.substring(with: NSRange(location: cursor, length: match.range.location - cursor))
            result += substituted(replacement, match, nsText)
            cursor = match.range.location + match.range.length
        }
        return result + nsText.substring(from: cursor)
    }

    private static func substituted(_ replacement: String, _ match: NSTextCheckingResult, _ text: NSString) -> String {
        var result = "", characters = Array(replacement)[...]
        func group(_ index: Int) -> String {
            guard index < match.numberOfRanges, match.range(at: index).location != NSNotFound else { return "" }
            return text.substring(with: match.range(at: index))
        }
        while let character = characters.popFirst() {
            guard character == "\\", let next = characters.first else { result.append(character); continue }
            if let digit = next.wholeNumberValue, next.isASCII {
                characters.removeFirst()
                result += group(digit)
            } else if next == "&" {
                characters.removeFirst()
                result += group(0)
            } else {
                characters.removeFirst()
                result.append(next)
            }
        }
        return result
    }

    /// regexp_match: the first match's groups (the whole match when there are none), NULL
    /// when nothing matches; an unmatched group is NULL.
    static func firstMatch(_ text: String, _ pattern: String, flags: String?) throws -> Value {
        let options = try Flags(flags, allowsGlobal: false)
        let expression = try compile(pattern, caseInsensitive: options.caseInsensitive)
        let nsText = text as NSString
        guard let match = expression.firstMatch(in: text, range: NSRange(location: 0, length: nsText.length)) else { return .null }
        return groups(match, nsText)
    }

    /// regexp_matches: each match's groups as regexp_match gives them, for every match with
    /// the `g` flag, else for the first; none when nothing matches.
    static func allMatches(_ text: String, _ pattern: String, flags: String?) throws -> [Value] {
        let options = try Flags(flags, allowsGlobal: true)
        let expression = try compile(pattern, caseInsensitive: options.caseInsensitive)
        let nsText = text as NSString
        let matches = expression.matches(in: text, range: NSRange(location: 0, length: nsText.length))
        return (options.global ? matches : Array(matches.prefix(1))).map { groups($0, nsText) }
    }

    /// A match's parenthesized groups (the whole match when there are none); an unmatched
    /// group is NULL.
    private static func groups(_ match: NSTextCheckingResult, _ text: NSString) -> Value {
        let indexes = match.numberOfRanges > 1 ? Array(1..<match.numberOfRanges) : [0]
        return .array(indexes.map { index in
            let range = match.range(at: index)
            return range.location == NSNotFound ? .null : .text(text.substring(with: range))
        })
    }

    /// regexp_split_to_array: the text between matches; an empty match splits between characters.
    static func split(_ text: String, _ pattern: String, flags: String?) throws -> [String] {
        let options = try Flags(flags, allowsGlobal: false)
        let expression = try compile(pattern, caseInsensitive: options.caseInsensitive)
        let nsText = text as NSString
        var parts: [String] = [], cursor = 0
        for match in expression.matches(in: text, range: NSRange(location: 0, length: nsText.length)) {
            if match.range.length == 0 {
                // An empty match at the start or end splits nothing, as in PostgreSQL.
                guard match.range.location > cursor, match.range.location < nsText.length else { continue }
            } else if match.range.location == nsText.length && match.range.location == cursor {
                continue
            }
            parts.append(nsText.substring(with: NSRange(location: cursor, length: match.range.location - cursor)))
            cursor = match.range.location + match.range.length
        }
        parts.append(nsText.substring(from: cursor))
        return parts
    }

    static func compile(_ pattern: String, caseInsensitive: Bool) throws -> NSRegularExpression {
        let key = Key(pattern: pattern, caseInsensitive: caseInsensitive)
        if let expression = compiled.withLock({ $0[key] }) { return expression }
        let expression = try compileUncached(pattern, caseInsensitive: caseInsensitive)
        compiled.withLock { cache in
            if cache.count >= compiledPatternsMax { cache.removeAll() }
            cache[key] = expression
        }
        return expression
    }

    private static func compileUncached(_ pattern: String, caseInsensitive: Bool) throws -> NSRegularExpression {
        guard pattern.utf8.count <= patternBytesMax else {
            throw VireoError(.limitExceeded, "regular expression is longer than \(patternBytesMax) bytes")
        }
        do {
            // ICU refuses an empty pattern; PostgreSQL's matches the empty string everywhere.
            return try NSRegularExpression(pattern: pattern.isEmpty ? "(?:)" : pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            throw VireoError(.invalidParameter, "invalid regular expression: \(pattern)")
        }
    }
}

extension Functions {
    /// `substring(text FROM pattern)`: the part of the first match of the POSIX regular
    /// expression that its first parenthesized group matched (the whole match without one);
    /// NULL without a match.
    static let substringMatching = ScalarFunction("substring", 2...2, [.text], returns: .text) { arguments in
        guard case .array(let groups) = try RegexMatch.firstMatch(string(arguments[0]), string(arguments[1]), flags: nil) else { return .null }
        return groups.first ?? .null
    }

    static let regex: [ScalarFunction] = [
        ScalarFunction("regexp_replace", 3...4, [.text], returns: .text) { arguments in
            .text(try RegexMatch.replace(string(arguments[0]), string(arguments[1]), string(arguments[2]),
                                         flags: arguments.count > 3 ? string(arguments[3]) : nil))
        },
        ScalarFunction("regexp_match", 2...3, [.text], returns: .array(.text)) { arguments in
            try RegexMatch.firstMatch(string(arguments[0]), string(arguments[1]), flags: arguments.count > 2 ? string(arguments[2]) : nil)
        },
        ScalarFunction("regexp_count", 2...4, [.text, .text, .integer, .text], returns: .integer) { arguments in
            .int(Int64(try RegexPositions(arguments, start: 2, flags: 3, "regexp_count").matches.count))
        },
        ScalarFunction("regexp_like", 2...3, [.text, .text, .text], returns: .bool) { arguments in
            .bool(!(try RegexPositions(arguments, start: nil, flags: 2, "regexp_like").matches.isEmpty))
        },
        ScalarFunction("regexp_instr", 2...7, [.text, .text, .integer, .integer, .integer, .text, .integer], returns: .integer) { arguments in
            let found = try RegexPositions(arguments, start: 2, flags: 5, "regexp_instr")
            let atEnd = try RegexPositions.parameter(arguments, 4, "endoption", default: 0, allowed: 0...1) == 1
            guard let range = try found.range(arguments, occurrence: 3, subexpression: 6) else { return .int(0) }
            return .int(Int64(found.characterPosition(range.location + (atEnd ? range.length : 0)) + 1))
        },
        ScalarFunction("regexp_substr", 2...6, [.text, .text, .integer, .integer, .text, .integer], returns: .text) { arguments in
            let found = try RegexPositions(arguments, start: 2, flags: 4, "regexp_substr")
            guard let range = try found.range(arguments, occurrence: 3, subexpression: 5) else { return .null }
            return .text(found.text.substring(with: range))
        },
        ScalarFunction("regexp_split_to_array", 2...3, [.text], returns: .array(.text)) { arguments in
            .array(try RegexMatch.split(string(arguments[0]), string(arguments[1]), flags: arguments.count > 2 ? string(arguments[2]) : nil)
                .map(Value.text))
        },
    ]
}
