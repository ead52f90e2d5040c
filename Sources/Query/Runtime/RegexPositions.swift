import Foundation
import VireoStorage

/// PostgreSQL 15's regexp_count, regexp_instr, regexp_like and regexp_substr: the matches of
/// a pattern from a character position on (`start`, 1 by default), counted and located in
/// characters as PostgreSQL counts them (code points), not in UTF-16 units.
struct RegexPositions {
    let text: NSString
    let matches: [NSTextCheckingResult]
    private let source: String

    /// The matches in `arguments[0]` of the pattern `arguments[1]`, from the start position
    /// at index `start` and with the flags at index `flags` when given.
    init(_ arguments: [Value], start: Int?, flags: Int?, _ function: String) throws {
        source = Functions.string(arguments[0])
        text = source as NSString
        let options = try RegexMatch.Flags(flags.flatMap { $0 < arguments.count ? Functions.string(arguments[$0]) : nil },
                                           allowsGlobal: false, function: function)
        let expression = try RegexMatch.compile(Functions.string(arguments[1]), caseInsensitive: options.caseInsensitive)
        let first = try start.map { try Self.parameter(arguments, $0, "start", default: 1, allowed: 1...Int64.max) } ?? 1
        let scalars = source.unicodeScalars
        let from = scalars.index(scalars.startIndex, offsetBy: Int(min(first - 1, Int64(scalars.count))))
        let location = from.utf16Offset(in: source)
        matches = expression.matches(in: source, range: NSRange(location: location, length: text.length - location))
    }

    /// The integer argument at `position` (or `default` when absent); 22023 outside `allowed`,
    /// with PostgreSQL's wording.
    static func parameter(_ arguments: [Value], _ position: Int, _ name: String, default value: Int64,
                          allowed: ClosedRange<Int64>) throws -> Int64 {
        guard position < arguments.count else { return value }
        let given = try Functions.int(arguments[position])
        guard allowed.contains(given) else { throw VireoError(.invalidParameter, "invalid value for parameter \"\(name)\": \(given)") }
        return given
    }

    /// The range of the `N`th match (argument `occurrence`, 1 by default), or of its
    /// `subexpression`th group; nil when there is no such match or the group did not take part.
    func range(_ arguments: [Value], occurrence: Int, subexpression: Int) throws -> NSRange? {
        let n = try Self.parameter(arguments, occurrence, "n", default: 1, allowed: 1...Int64.max)
        let group = try Self.parameter(arguments, subexpression, "subexpr", default: 0, allowed: 0...Int64.max)
        guard n <= matches.count else { return nil }
        let match = matches[Int(n - 1)]
        guard group < match.numberOfRanges else { return nil }
        let range = match.range(at: Int(group))
        return range.location == NSNotFound ? nil : range
    }

    /// The 0-based character position of a UTF-16 offset.
    func characterPosition(_ utf16Offset: Int) -> Int {
        source.unicodeScalars.distance(from: source.startIndex, to: String.Index(utf16Offset: utf16Offset, in: source))
    }
}
