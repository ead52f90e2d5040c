import VireoStorage

/// SQL's `SIMILAR TO` patterns, read as PostgreSQL reads them: the parser turns
/// `a SIMILAR TO p [ESCAPE e]` into `a ~ similar_to_escape(p [, e])`, and this translates the
/// pattern into a POSIX regular expression matching the whole text, as PostgreSQL 15's
/// similar_escape_internal does: `%` is `.*`, `_` is `.`, `.`, `^` and `$` are literal, a
/// bracket expression is copied, `(` groups without capturing, and the escape character
/// (backslash unless ESCAPE says otherwise; none for ESCAPE '') makes the next character literal.
enum SimilarTo {
    static func regex(_ pattern: String, escape: String?) throws -> String {
        let escapeCharacter = try escapeCharacter(escape)
        var result = "^(?:"
        var afterEscape = false, inBrackets = false, bracketStart = false
        for character in pattern {
            if afterEscape {
                // The escape's `"` marks what substring(… SIMILAR …) returns: no meaning in a match.
                if character != "\"" || inBrackets { result += "\\" + String(character) }
                afterEscape = false
                continue
            }
            if character == escapeCharacter {
                afterEscape = true
                continue
            }
            if inBrackets {
                result += character == "\\" ? "\\\\" : String(character)
                if character == "]" && !bracketStart { inBrackets = false }
                bracketStart = bracketStart && character == "^"
                continue
            }
            switch character {
            case "[":
                inBrackets = true
                bracketStart = true
                result += "["
            case "%": result += ".*"
            case "_": result += "."
            case "(": result += "(?:"
            case "\\", ".", "^", "$": result += "\\" + String(character)
            default: result += String(character)
            }
        }
        return result + ")$"
    }

    /// ESCAPE's character: nil for ''; 22025 for more than one character.
    private static func escapeCharacter(_ escape: String?) throws -> Character? {
        guard let escape else { return "\\" }
        guard escape.count <= 1 else {
            throw VireoError(.invalidEscapeSequence, "invalid escape string", hint: "Escape string must be empty or one character.")
        }
        return escape.first
    }
}

extension Functions {
    static let similarTo = ScalarFunction("similar_to_escape", 1...2, [.text], returns: .text) { arguments in
        .text(try SimilarTo.regex(string(arguments[0]), escape: arguments.count > 1 ? string(arguments[1]) : nil))
    }
}
