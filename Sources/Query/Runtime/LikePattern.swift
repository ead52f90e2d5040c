import VireoStorage

/// SQL LIKE matching: `%` any run of characters, `_` one character, `\` (or the ESCAPE
/// character) makes the next character literal. Characters are code points, as in
/// PostgreSQL (`E'e\u0301' LIKE '__'`), not Swift's grapheme clusters.
enum LikePattern {
    static func matches(_ text: String, pattern: String, escape: String?, caseInsensitive: Bool) throws -> Bool {
        let subject = Array((caseInsensitive ? text.lowercased() : text).unicodeScalars)
        let tokens = try compile(Array((caseInsensitive ? pattern.lowercased() : pattern).unicodeScalars), escape: escape)
        return match(subject[...], tokens[...])
    }

    private enum Token: Equatable {
        case literal(Unicode.Scalar), one, any
    }

    private static func compile(_ pattern: [Unicode.Scalar], escape: String?) throws -> [Token] {
        let escapeCharacter: Unicode.Scalar?
        switch escape {
        case nil: escapeCharacter = "\\"
        case let text? where text.isEmpty: escapeCharacter = nil
        case let text? where text.unicodeScalars.count == 1: escapeCharacter = text.unicodeScalars.first
        default: throw VireoError(.invalidParameter, "invalid escape string: the ESCAPE string must be empty or one character")
        }
        var tokens: [Token] = []
        var index = 0
        while index < pattern.count {
            let character = pattern[index]
            if character == escapeCharacter {
                guard index + 1 < pattern.count else {
                    throw VireoError(.invalidParameter, "LIKE pattern must not end with escape character")
                }
                tokens.append(.literal(pattern[index + 1]))
                index += 2
                continue
            }
            tokens.append(character == "%" ? .any : character == "_" ? .one : .literal(character))
            index += 1
        }
        return tokens
    }

    /// Iterative matcher with backtracking to the last `%` (linear for most patterns).
    private static func match(_ subject: ArraySlice<Unicode.Scalar>, _ tokens: ArraySlice<Token>) -> Bool {
        var s = subject.startIndex, t = tokens.startIndex
        var starToken: Int?, starSubject = 0
        while s < subject.endIndex {
            if t < tokens.endIndex, tokens[t] == .any {
                starToken = t
                starSubject = s
                t += 1
            } else if t < tokens.endIndex, tokens[t] == .one || tokens[t] == .literal(subject[s]) {
                s += 1
                t += 1
            } else if let star = starToken {
                t = star + 1
                starSubject += 1
                s = starSubject
            } else {
                return false
            }
        }
        while t < tokens.endIndex, tokens[t] == .any { t += 1 }
        return t == tokens.endIndex
    }
}
