import Foundation
import VireoQuery
import VireoStorage

/// How `vireo sql` prints results.
enum OutputFormat: String, CaseIterable {
    /// psql's aligned table, with command tags for statements that return no rows.
    case table
    /// RFC 4180: a header record, CRLF line ends, fields quoted when they need it; NULL is an
    /// empty unquoted field and the empty string is `""`.
    case csv
    /// One JSON array of objects per result; numbers as numbers, NULL as null, vectors as
    /// arrays, json and jsonb values as JSON.
    case json

    /// The text printed for one statement's result.
    func render(_ result: QueryResult) -> String {
        switch self {
        case .table: return TableFormat.render(result)
        case .csv: return result.returnsRows ? CSVFormat.render(result) : ""
        case .json: return result.returnsRows ? JSONFormat.render(result) + "\n" : ""
        }
    }
}

/// psql's aligned format: a centred header, a `-+-` rule, numbers right-aligned, NULL as
/// nothing, a `(N rows)` footer and a blank line; multi-line values continue with `+`.
enum TableFormat {
    /// A result as psql prints it; for a statement without rows, its command tag.
    static func render(_ result: QueryResult, title: String? = nil, footer showsFooter: Bool = true) -> String {
        guard result.returnsRows else { return result.commandTag + "\n" }
        // `SELECT FROM t`: psql prints a bare rule and the count.
        if result.columns.isEmpty { return "--\n" + (showsFooter ? footer(result) : "") }
        let cells = result.rows.map { row in
            zip(row, result.columns).map { ($0.text(as: $1.type) ?? "").components(separatedBy: "\n") }
        }
        let headers = result.columns.map(\.name)
        let rightAligned = result.columns.map { $0.type.isNumeric }
        var widths = headers.map(\.count)
        for row in cells {
            for (column, lines) in row.enumerated() { widths[column] = max(widths[column], lines.map(\.count).max() ?? 0) }
        }
        var output = ""
        if let title {
            let total = widths.reduce(0, +) + 3 * widths.count - 1
            output += centred(title, total).trimmingTrailingSpaces() + "\n"
        }
        output += headerLine(headers, widths) + "\n"
        output += widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "\n"
        for row in cells { output += rowLines(row, widths, rightAligned) }
        return output + (showsFooter ? footer(result) : "")
    }

    private static func footer(_ result: QueryResult) -> String {
        var text = "(\(result.rows.count) \(result.rows.count == 1 ? "row" : "rows"))\n\n"
        let tag = result.commandTag
        // psql shows the tag of INSERT/UPDATE/DELETE … RETURNING after the rows.
        if !["SELECT", "SHOW", "EXPLAIN"].contains(where: { tag.hasPrefix($0) }) { text += tag + "\n" }
        return text
    }

    private static func headerLine(_ headers: [String], _ widths: [Int]) -> String {
        zip(headers, widths).map { " " + centred($0, $1) + " " }.joined(separator: "|")
    }

    /// The printed lines of one row: as many as its tallest cell.
    private static func rowLines(_ row: [[String]], _ widths: [Int], _ rightAligned: [Bool]) -> String {
        let height = row.map(\.count).max() ?? 1
        var output = ""
        for line in 0..<height {
            var text = ""
            for (column, lines) in row.enumerated() {
                let value = line < lines.count ? lines[line] : ""
                let continues = line < lines.count - 1
                let isLast = column == row.count - 1
                // psql pads no trailing blanks after a left-aligned last column.
                let width = isLast && !continues && !rightAligned[column] ? 0 : widths[column]
                let padded = rightAligned[column] ? padLeft(value, width) : padRight(value, width)
                text += (column == 0 ? " " : "| ") + padded + (continues ? "+" : (isLast ? "" : " "))
            }
            output += text + "\n"
        }
        return output
    }

    static func centred(_ text: String, _ width: Int) -> String {
        let space = max(0, width - text.count)
        return String(repeating: " ", count: space / 2) + text + String(repeating: " ", count: space - space / 2)
    }

    static func padLeft(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    static func padRight(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}

/// RFC 4180 comma-separated values.
enum CSVFormat {
    static func render(_ result: QueryResult) -> String {
        var lines = [result.columns.map { field($0.name) }.joined(separator: ",")]
        // Each value as its column's type prints it (a date without a time, a real's float4
        // digits, a timestamptz's offset), as psql --csv prints what the server sends.
        for row in result.rows { lines.append(zip(row, result.columns).map { $0.text(as: $1.type).map(field) ?? "" }.joined(separator: ",")) }
        return lines.map { $0 + "\r\n" }.joined()
    }

    /// A field, quoted (with `""` for `"`) when it holds a comma, a quote or a line break,
    /// or is empty (so that it differs from NULL).
    static func field(_ text: String) -> String {
        let needsQuotes = text.isEmpty || text.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        return needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}

/// JSON output: `[{"column": value, …}, …]`.
enum JSONFormat {
    static func render(_ result: QueryResult) -> String {
        let objects = result.rows.map { row in
            "{" + zip(result.columns, row).map { string($0.name) + ":" + value($1, as: $0.type) }.joined(separator: ",") + "}"
        }
        return "[" + objects.joined(separator: ",") + "]"
    }

    /// A value as JSON, in its column type's text (a real's float4 digits, a date without a
    /// time): NaN and infinities, which JSON cannot spell, become strings.
    static func value(_ value: Value, as type: SQLType) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .numeric(let number): return number.description
        case .double(let number): return number.isFinite ? (value.text(as: type) ?? "null") : string(value.text(as: type) ?? "")
        case .json(let text): return text
        case .vector(let elements):
            guard elements.allSatisfy(\.isFinite) else { return string(value.text ?? "") }
            return value.text ?? "[]"
        default: return string(value.text(as: type) ?? "")
        }
    }

    /// A JSON string literal.
    static func string(_ text: String) -> String { JSONValue.quote(text) }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = Substring(self)
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
