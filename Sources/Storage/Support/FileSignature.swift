/// Describes the first bytes of a file that is not what the engine expected, so that an
/// error can say what the file looks like instead of only what it is not.
enum FileSignature {
    static let shownBytesMax = 16

    /// `the text "my notes"`, `a SQLite database's header`, or hex bytes.
    static func describe(_ bytes: [UInt8]) -> String {
        let prefix = Array(bytes.prefix(shownBytesMax))
        if bytes.starts(with: Array("SQLite format 3\0".utf8)) { return "the header of a SQLite database" }
        if prefix.allSatisfy({ $0 == 0 }) { return "zero bytes" }
        let printable = prefix.prefix { (0x20..<0x7f).contains($0) || $0 == 0x0a || $0 == 0x09 }
        if printable.count >= 4 {
            let text = String(decoding: printable, as: UTF8.self)
            return "the text \"\(text.replacingNewlines())\(printable.count < bytes.count ? "…" : "")\""
        }
        return "the bytes " + prefix.map { hex($0) }.joined(separator: " ")
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        var result = ""
        for character in self { result += character == "\n" ? "\\n" : character == "\t" ? "\\t" : String(character) }
        return result
    }
}
