import VireoStorage

/// Cuts SQL text fed line by line into statements at each `;` that ends one: a `;` inside a
/// string (`'…'`, `E'…'` with backslash escapes), a quoted identifier, a dollar-quoted string
/// (`$$…$$`, `$tag$…$tag$`), a `--` comment or a nested `/* */` comment does not.
///
/// A scanner of quoting states, not a parser: the engine's lexer still reads each statement.
/// It works on UTF-8 bytes, so every state change happens on an ASCII byte.
struct StatementSplitter {
    /// A statement cut from the input: its text, or the error refusing bytes that are not UTF-8.
    enum SplitStatement {
        case text(String)
        case notUTF8(Error)
    }

    enum State: Equatable {
        case normal
        case singleQuoted(backslashEscapes: Bool)
        case doubleQuoted
        case dollarQuoted(tag: [UInt8])
        case lineComment
        case blockComment(depth: Int)
    }

    /// Bytes of the statement being gathered (complete statements are handed out).
    private(set) var pending: [UInt8] = []
    private(set) var state: State = .normal
    /// Whether `pending` holds anything but blanks and comments.
    private(set) var hasContent = false
    /// The byte before the current one in `normal` state, to tell `E'` and `a$b` apart.
    private var previous: UInt8 = 0
    /// Set after a backslash inside an `E'…'` string: the next byte is taken as is.
    private var escaping = false

    /// Whether a line given now starts outside any string or comment, so a `\` at its start
    /// is a shell command.
    var atTopLevel: Bool { state == .normal }

    /// Whether nothing but blanks and comments is pending.
    var isBlank: Bool { !hasContent }

    /// Adds one line (a newline is appended) and returns the statements it completes, each
    /// ending with its `;`, without surrounding blanks.
    mutating func feed(line: String) -> [SplitStatement] {
        feed(bytes: Array(line.utf8) + [UInt8(ascii: "\n")])
    }

    /// Adds raw input bytes and returns the statements they complete. The bytes need not be
    /// UTF-8: a statement that is not is handed out as `.notUTF8`, to be refused (22021).
    mutating func feed(bytes: [UInt8]) -> [SplitStatement] {
        var statements: [SplitStatement] = []
        var index = 0
        while index < bytes.count {
            let consumed = step(bytes, index)
            pending.append(contentsOf: bytes[index..<(index + consumed)])
            if state == .normal, bytes[index] == UInt8(ascii: ";"), consumed == 1 {
                if let statement = takeStatement() { statements.append(statement) }
            }
            index += consumed
        }
        return statements
    }

    /// The unterminated statement left at the end of input, if it holds anything; the
    /// splitter is empty afterwards.
    mutating func finish() -> SplitStatement? {
        defer { reset() }
        return hasContent ? Self.trimmed(pending) : nil
    }

    /// Forgets whatever is pending (Ctrl-C, `\r`).
    mutating func reset() {
        pending = []
        state = .normal
        hasContent = false
        previous = 0
        escaping = false
    }

    private mutating func takeStatement() -> SplitStatement? {
        let statement = hasContent ? Self.trimmed(pending) : nil
        pending = []
        hasContent = false
        previous = 0
        return statement
    }

    static func trimmed(_ bytes: [UInt8]) -> SplitStatement {
        do {
            return .text(try VireoError.utf8Text(bytes).trimmingBlanks())
        } catch {
            return .notUTF8(error)
        }
    }

    // MARK: - Scanning

    /// Advances the state over the byte at `index`; returns how many bytes were consumed.
    private mutating func step(_ bytes: [UInt8], _ index: Int) -> Int {
        let byte = bytes[index]
        let next: UInt8? = index + 1 < bytes.count ? bytes[index + 1] : nil
        switch state {
        case .normal: return stepNormal(bytes, index, byte, next)
        case .singleQuoted(let backslashEscapes):
            if escaping {
                escaping = false
            } else if backslashEscapes, byte == UInt8(ascii: "\\") {
                escaping = true
            } else if byte == UInt8(ascii: "'") {
                state = .normal
            }
        case .doubleQuoted:
            if byte == UInt8(ascii: "\"") { state = .normal }
        case .dollarQuoted(let tag):
            if byte == UInt8(ascii: "$"), Self.matches(bytes, index, delimiter: tag) {
                state = .normal
                return tag.count + 2
            }
        case .lineComment:
            if byte == UInt8(ascii: "\n") { state = .normal }
        case .blockComment(let depth):
            if byte == UInt8(ascii: "*"), next == UInt8(ascii: "/") {
                state = depth > 1 ? .blockComment(depth: depth - 1) : .normal
                return 2
            }
            if byte == UInt8(ascii: "/"), next == UInt8(ascii: "*") {
                state = .blockComment(depth: depth + 1)
                return 2
            }
        }
        return 1
    }

    private mutating func stepNormal(_ bytes: [UInt8], _ index: Int, _ byte: UInt8, _ next: UInt8?) -> Int {
        defer { previous = byte }
        switch byte {
        case UInt8(ascii: "-") where next == UInt8(ascii: "-"):
            state = .lineComment
            return 2
        case UInt8(ascii: "/") where next == UInt8(ascii: "*"):
            state = .blockComment(depth: 1)
            return 2
        case UInt8(ascii: "'"):
            let escapes = (previous | 0x20) == UInt8(ascii: "e") && !Self.isWordByte(index >= 2 ? bytes[index - 2] : 0)
            state = .singleQuoted(backslashEscapes: escapes)
        case UInt8(ascii: "\""):
            state = .doubleQuoted
        case UInt8(ascii: "$") where !Self.isWordByte(previous):
            if let tag = Self.dollarTag(bytes, index) {
                state = .dollarQuoted(tag: tag)
                hasContent = true
                return tag.count + 2
            }
        default: break
        }
        if !Self.isBlank(byte) { hasContent = true }
        return 1
    }

    /// The tag of a dollar-quote opening at `index` (`$$` → empty, `$abc$` → abc); nil when
    /// the `$` starts something else (a parameter `$1`).
    private static func dollarTag(_ bytes: [UInt8], _ index: Int) -> [UInt8]? {
        var end = index + 1
        while end < bytes.count, bytes[end] != UInt8(ascii: "$") {
            let byte = bytes[end]
            let allowed = isWordByte(byte) && !(end == index + 1 && isDigitByte(byte))
            guard allowed else { return nil }
            end += 1
        }
        guard end < bytes.count else { return nil }
        return Array(bytes[(index + 1)..<end])
    }

    private static func matches(_ bytes: [UInt8], _ index: Int, delimiter tag: [UInt8]) -> Bool {
        let end = index + tag.count + 1
        guard end < bytes.count, bytes[end] == UInt8(ascii: "$") else { return false }
        return Array(bytes[(index + 1)..<end]) == tag
    }

    static func isWordByte(_ byte: UInt8) -> Bool {
        (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) || isDigitByte(byte)
            || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    private static func isDigitByte(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C || byte == 0x0B
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line breaks.
    func trimmingBlanks() -> String {
        let blanks: Set<Character> = [" ", "\t", "\n", "\r", "\r\n", "\u{0B}", "\u{0C}"]
        var characters = Substring(self)
        while let first = characters.first, blanks.contains(first) { characters.removeFirst() }
        while let last = characters.last, blanks.contains(last) { characters.removeLast() }
        return String(characters)
    }
}
