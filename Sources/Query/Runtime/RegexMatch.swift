import Foundation
import VireoStorage

/// PostgreSQL's `~` family: does the text match a regular expression anywhere in it.
/// Patterns are compiled with ICU (NSRegularExpression), which reads the POSIX
/// extended syntax PostgreSQL users write (classes, anchors, alternation, quantifiers).
enum RegexMatch {
    /// Longest pattern accepted, so that a hostile pattern cannot take unbounded memory.
    static let patternBytesMax = 64 << 10

    static func apply(_ op: BinaryOperator, _ text: String, _ pattern: String) throws -> Value {
        let insensitive = op == .regexMatchInsensitive || op == .regexNotMatchInsensitive
        let negated = op == .regexNotMatch || op == .regexNotMatchInsensitive
        let expression = try compile(pattern, caseInsensitive: insensitive)
        let range = NSRange(text.startIndex..., in: text)
        let found = expression.firstMatch(in: text, range: range) != nil
        return .bool(found != negated)
    }

    private static func compile(_ pattern: String, caseInsensitive: Bool) throws -> NSRegularExpression {
        guard pattern.utf8.count <= patternBytesMax else {
            throw VireoError(.limitExceeded, "regular expression is longer than \(patternBytesMax) bytes")
        }
        do {
            return try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            throw VireoError(.invalidParameter, "invalid regular expression: \(pattern)")
        }
    }
}
