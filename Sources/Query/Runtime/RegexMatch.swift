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

    private static func compile(_ pattern: String, caseInsensitive: Bool) throws -> NSRegularExpression {
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
            return try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            throw VireoError(.invalidParameter, "invalid regular expression: \(pattern)")
        }
    }
}
