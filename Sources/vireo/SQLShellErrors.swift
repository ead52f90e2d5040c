import VireoQuery
import VireoStorage

/// Error reports as psql prints them:
///
///     ERROR:  syntax error at or near "FORM": expected ';' or end of input
///     LINE 1: SELECT * FORM t;
///                      ^
enum ErrorFormat {
    /// The report for `error` raised by `statement` (whose text error positions point into).
    static func render(_ error: Error, statement: String?) -> String {
        guard let error = error as? VireoError else { return "ERROR:  \(error)\n" }
        var output = "ERROR:  " + error.message + "\n"
        if let position = error.position, let statement {
            output += caret(statement, byteOffset: position)
        }
        if let detail = error.detail { output += "DETAIL:  " + detail + "\n" }
        if let hint = error.hint { output += "HINT:  " + hint + "\n" }
        return output
    }

    /// `LINE n: text` and a caret under the character at `byteOffset` of `statement`.
    static func caret(_ statement: String, byteOffset: Int) -> String {
        let bytes = Array(statement.utf8)
        let offset = min(max(0, byteOffset), bytes.count)
        let lineStart = bytes[..<offset].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let lineEnd = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        let lineNumber = bytes[..<lineStart].filter { $0 == UInt8(ascii: "\n") }.count + 1
        let line = String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self)
        let before = String(decoding: bytes[lineStart..<offset], as: UTF8.self)
        let prefix = "LINE \(lineNumber): "
        // Tabs keep their width under the caret; other characters become one space each.
        let indent = before.map { $0 == "\t" ? "\t" : " " }.joined()
        return prefix + line + "\n" + String(repeating: " ", count: prefix.count) + indent + "^\n"
    }
}
