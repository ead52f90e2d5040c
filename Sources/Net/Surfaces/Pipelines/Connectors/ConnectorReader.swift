import Foundation
import VireoQuery
import VireoStorage

/// A column a connector found: its name and the SQL type Vireo stores it as.
struct SourceColumn: Sendable, Equatable {
    var name: String
    /// A Vireo type name: bigint, double precision, boolean, text, timestamp, jsonb, bytea.
    var type: String
}

/// A table (or file) a connector can read.
struct SourceTable: Sendable {
    var name: String
    var columns: [SourceColumn]
}

/// What to read: a whole table, or a query in the source's own SQL with `:name` parameters.
enum SourceSelection: Sendable {
    case table(String)
    case query(String)
}

/// Reads from one configured source. Everything is synchronous and runs on the engine's
/// pool; `read` hands over rows in batches of at most `batchRows`, so a large source is
/// never held whole. `body` returning false stops the read (a preview's limit).
protocol ConnectorReader {
    /// Opens what the configuration names (a file, a database) and throws a clear error if
    /// it cannot be reached.
    func test() throws
    /// Tables with their columns and types.
    func tables() throws -> [SourceTable]
    /// Rows of `selection` in batches; `parameters` bind a query's `:name` placeholders.
    func read(_ selection: SourceSelection, parameters: [String: Value], batchRows: Int,
              _ body: (_ columns: [SourceColumn], _ rows: [[Value]]) throws -> Bool) throws
    /// The number of rows of a table when the source knows it cheaply (nil for files).
    func count(_ table: String) throws -> Int?
}

/// Errors of connectors, in the surface's envelope.
enum ConnectorError {
    static func unreachable(_ message: String) -> RESTError { RESTError(.badRequest, code: "connection_failed", message, field: "config") }
    static func noTable(_ name: String) -> RESTError { RESTError(.notFound, code: "table_not_found", "the source has no table \(name)", field: "table") }
    static func invalid(_ field: String, _ message: String) -> RESTError { RESTError.invalid(field, message) }
}

/// Types inferred from text (CSV cells), widened as more rows are seen.
enum InferredType: Int, Comparable {
    case unknown, boolean, bigint, double, timestamp, text
    static func < (a: InferredType, b: InferredType) -> Bool { a.rawValue < b.rawValue }

    var sqlName: String {
        switch self {
        case .unknown, .text: "text"
        case .boolean: "boolean"
        case .bigint: "bigint"
        case .double: "double precision"
        case .timestamp: "timestamp"
        }
    }

    static func of(_ cell: String) -> InferredType {
        if cell.isEmpty { return .unknown }
        if Int64(cell) != nil { return .bigint }
        if Double(cell) != nil, cell.rangeOfCharacter(from: .letters) == nil { return .double }
        let lower = cell.lowercased()
        if lower == "true" || lower == "false" { return .boolean }
        if looksLikeTimestamp(cell) { return .timestamp }
        return .text
    }

    /// 2024-01-26, 2024-01-26 10:00:00, 2024-01-26T10:00:00Z.
    static func looksLikeTimestamp(_ cell: String) -> Bool {
        let bytes = Array(cell.utf8)
        guard bytes.count >= 10, bytes.count <= 35, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
        let digits = [0, 1, 2, 3, 5, 6, 8, 9]
        return digits.allSatisfy { bytes[$0] >= UInt8(ascii: "0") && bytes[$0] <= UInt8(ascii: "9") }
    }

    /// A type wide enough for both (an int column with a fraction becomes double, with a
    /// word becomes text).
    func widened(_ other: InferredType) -> InferredType {
        if self == .unknown { return other }
        if other == .unknown || other == self { return self }
        if (self == .bigint && other == .double) || (self == .double && other == .bigint) { return .double }
        return .text
    }

    /// The cell as a value of this type; an empty cell is NULL.
    func value(_ cell: String) -> Value {
        if cell.isEmpty { return .null }
        switch self {
        case .bigint: return Int64(cell).map(Value.int) ?? .text(cell)
        case .double: return Double(cell).map(Value.double) ?? .text(cell)
        case .boolean: return .bool(cell.lowercased() == "true")
        case .unknown, .text, .timestamp: return .text(cell)
        }
    }
}

/// `:name` placeholders of a query, found outside quotes and `::` casts, rewritten to the
/// positional `$n` Vireo binds (names in order of first use).
enum NamedParameters {
    /// `requireAll` false: a name without a value binds NULL (to check a query's shape before a run).
    static func positional(_ sql: String, _ values: [String: Value], requireAll: Bool = true) throws -> (sql: String, parameters: [Value]) {
        var output = "", names: [String] = []
        var characters = Array(sql)[...]
        var quote: Character?
        while let character = characters.popFirst() {
            if let open = quote {
                output.append(character)
                if character == open { quote = nil }
                continue
            }
            if character == "'" || character == "\"" { quote = character; output.append(character); continue }
            if character == ":", characters.first == ":" { output += "::"; characters.removeFirst(); continue }
            guard character == ":", let first = characters.first, first.isLetter || first == "_" else { output.append(character); continue }
            var name = ""
            while let next = characters.first, next.isLetter || next.isNumber || next == "_" { name.append(next); characters.removeFirst() }
            guard values[name] != nil || !requireAll else { throw RESTError.invalid("params.\(name)", "the SQL uses :\(name) but no such parameter was given") }
            if !names.contains(name) { names.append(name) }
            output += "$\((names.firstIndex(of: name) ?? 0) + 1)"
        }
        return (output, names.map { values[$0] ?? .null })
    }
}
