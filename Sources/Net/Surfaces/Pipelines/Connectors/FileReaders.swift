import Foundation
import VireoQuery
import VireoStorage

/// Reads a file in chunks of `chunkBytes`, so no file is held whole.
struct ChunkedFile {
    static let chunkBytes = 64 * 1024
    let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var ended = false

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ConnectorError.unreachable("cannot open \(path)") }
        self.handle = handle
    }

    /// The next byte, or nil at the end of the file.
    mutating func next() throws -> UInt8? {
        if position == buffer.count {
            guard !ended else { return nil }
            let data = try handle.read(upToCount: Self.chunkBytes) ?? Data()
            if data.isEmpty { ended = true; return nil }
            buffer = Array(data)
            position = 0
        }
        defer { position += 1 }
        return buffer[position]
    }

    /// The next line without its terminator (a final line without one counts), or nil.
    mutating func line(bytesMax: Int) throws -> String? {
        var bytes: [UInt8] = []
        while let byte = try next() {
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes.last == 13 ? bytes.dropLast() : bytes[...], as: UTF8.self) }
            bytes.append(byte)
            if bytes.count > bytesMax { throw ConnectorError.invalid("config.path", "a line is longer than \(bytesMax) bytes") }
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}

/// RFC 4180 records: fields split by `delimiter`, `"` quoting (with `""` for a quote) that
/// may span lines, CRLF or LF line ends.
struct CSVRecords {
    static let recordBytesMax = 16 << 20
    var file: ChunkedFile
    let delimiter: UInt8

    enum State { case field, quoted, quoteInQuoted }

    mutating func next() throws -> [String]? {
        var fields: [String] = [], field: [UInt8] = [], state = State.field, sawAny = false, size = 0
        while let byte = try file.next() {
            sawAny = true
            size += 1
            if size > Self.recordBytesMax { throw ConnectorError.invalid("config.path", "a CSV record is longer than \(Self.recordBytesMax) bytes") }
            switch state {
            case .quoted:
                if byte == UInt8(ascii: "\"") { state = .quoteInQuoted } else { field.append(byte) }
                continue
            case .quoteInQuoted:
                state = .field
                if byte == UInt8(ascii: "\"") { field.append(byte); state = .quoted; continue }
            case .field:
                break
            }
            switch byte {
            case UInt8(ascii: "\"") where field.isEmpty:
                state = .quoted
            case delimiter:
                fields.append(String(decoding: field, as: UTF8.self)); field = []
            case UInt8(ascii: "\n"):
                if field.last == 13 { field.removeLast() }
                fields.append(String(decoding: field, as: UTF8.self))
                if fields == [""] { fields = []; field = []; size = 0; continue }  // a blank line
                return fields
            default:
                field.append(byte)
            }
        }
        guard sawAny else { return nil }
        if state == .quoted { throw ConnectorError.invalid("config.path", "the CSV file ends inside a quoted field") }
        if field.last == 13 { field.removeLast() }
        fields.append(String(decoding: field, as: UTF8.self))
        return fields == [""] ? nil : fields
    }
}

/// CSV and JSON-lines files under the configured roots. `path` is a file (one table, named
/// after it) or a folder (each `.csv` / `.jsonl` file in it a table).
struct FileConnector: ConnectorReader {
    enum Format { case csv, jsonl }
    static let sampleRows = 1000
    static let lineBytesMax = 16 << 20

    let format: Format
    /// Resolved, inside a root.
    let path: String
    let delimiter: UInt8
    let hasHeader: Bool

    var extensions: [String] { format == .csv ? ["csv", "tsv", "txt"] : ["jsonl", "ndjson", "json"] }

    func test() throws { _ = try files() }

    func files() throws -> [(table: String, path: String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConnectorError.unreachable("\(path) does not exist")
        }
        if !isDirectory.boolValue { return [(Self.tableName(path), path)] }
        let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        return names.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }.map { (Self.tableName($0), path + "/" + $0) }
    }

    static func tableName(_ path: String) -> String { ((path as NSString).lastPathComponent as NSString).deletingPathExtension }

    func file(_ table: String) throws -> String {
        guard let match = try files().first(where: { $0.table == table }) else { throw ConnectorError.noTable(table) }
        return match.path
    }

    func tables() throws -> [SourceTable] {
        try files().map { SourceTable(name: $0.table, columns: try columns(of: $0.path)) }
    }

    func count(_ table: String) throws -> Int? { nil }

    func columns(of file: String) throws -> [SourceColumn] {
        switch format {
        case .csv: return try csvColumns(file).map { SourceColumn(name: $0.name, type: $0.type.sqlName) }
        case .jsonl: return try jsonColumns(file)
        }
    }

    func read(_ selection: SourceSelection, parameters: [String: Value], batchRows: Int,
              _ body: ([SourceColumn], [[Value]]) throws -> Bool) throws {
        guard case .table(let table) = selection else {
            throw ConnectorError.invalid("source.query", "a file connector reads whole files: name a table (the file), and filter in a transform step")
        }
        let path = try file(table)
        switch format {
        case .csv: try readCSV(path, batchRows: batchRows, body)
        case .jsonl: try readJSON(path, batchRows: batchRows, body)
        }
    }

    // MARK: CSV

    func records(_ file: String) throws -> CSVRecords { CSVRecords(file: try ChunkedFile(path: file), delimiter: delimiter) }

    func csvColumns(_ file: String) throws -> [(name: String, type: InferredType)] {
        var records = try records(file)
        guard let first = try records.next() else { return [] }
        let names = hasHeader ? first.enumerated().map { $1.isEmpty ? "column\($0 + 1)" : $1 } : first.indices.map { "column\($0 + 1)" }
        var types = [InferredType](repeating: .unknown, count: names.count)
        var sample = hasHeader ? [] : [first]
        while sample.count < Self.sampleRows, let record = try records.next() { sample.append(record) }
        for record in sample { for (index, cell) in record.enumerated() where index < types.count { types[index] = types[index].widened(.of(cell)) } }
        return zip(names, types).map { ($0, $1 == .unknown ? .text : $1) }
    }

    func readCSV(_ file: String, batchRows: Int, _ body: ([SourceColumn], [[Value]]) throws -> Bool) throws {
        let columns = try csvColumns(file)
        let sourceColumns = columns.map { SourceColumn(name: $0.name, type: $0.type.sqlName) }
        var records = try records(file)
        if hasHeader { _ = try records.next() }
        var batch: [[Value]] = [], sent = false
        while let record = try records.next() {
            batch.append(columns.indices.map { $0 < record.count ? columns[$0].type.value(record[$0]) : .null })
            if batch.count == batchRows {
                sent = true
                guard try body(sourceColumns, batch) else { return }
                batch = []
            }
        }
        if !batch.isEmpty || !sent { _ = try body(sourceColumns, batch) }
    }

    // MARK: JSON lines

    func jsonColumns(_ file: String) throws -> [SourceColumn] {
        var reader = try ChunkedFile(path: file)
        var names: [String] = [], types: [String: InferredType] = [:], seen = 0
        while seen < Self.sampleRows, let line = try reader.line(bytesMax: Self.lineBytesMax) {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            seen += 1
            for (key, value) in try Self.object(line, lineNumber: seen) {
                if types[key] == nil { names.append(key) }
                types[key] = (types[key] ?? .unknown).widened(Self.type(value))
            }
        }
        return names.map { name in
            let type = types[name] ?? .unknown
            return SourceColumn(name: name, type: type == .unknown ? "jsonb" : type.sqlName)
        }
    }

    static func object(_ line: String, lineNumber: Int) throws -> [(String, JSONValue)] {
        guard case .object(let fields)? = try? JSONValue.parse(line) else {
            throw ConnectorError.invalid("config.path", "line \(lineNumber) is not a JSON object")
        }
        return fields
    }

    /// Nested values (objects, arrays) count as unknown here and become jsonb columns.
    static func type(_ value: JSONValue) -> InferredType {
        switch value {
        case .null: .unknown
        case .bool: .boolean
        case .number(let number): number == number.rounded() && abs(number) < 9e15 ? .bigint : .double
        case .numeric: .double
        case .string(let text): InferredType.looksLikeTimestamp(text) ? .timestamp : .text
        case .array, .object: .unknown
        }
    }

    func readJSON(_ file: String, batchRows: Int, _ body: ([SourceColumn], [[Value]]) throws -> Bool) throws {
        let columns = try jsonColumns(file)
        var reader = try ChunkedFile(path: file)
        var batch: [[Value]] = [], lineNumber = 0, sent = false
        while let line = try reader.line(bytesMax: Self.lineBytesMax) {
            lineNumber += 1
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            let fields = try Self.object(line, lineNumber: lineNumber)
            batch.append(columns.map { column in Self.value(fields.first { $0.0 == column.name }?.1 ?? .null, column.type) })
            if batch.count == batchRows {
                sent = true
                guard try body(columns, batch) else { return }
                batch = []
            }
        }
        if !batch.isEmpty || !sent { _ = try body(columns, batch) }
    }

    static func value(_ json: JSONValue, _ type: String) -> Value {
        switch json {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .number(let number): return type == "bigint" ? Int64(exactly: number).map(Value.int) ?? .double(number) : .double(number)
        case .numeric(let number): return .numeric(number)
        case .string(let text): return .text(text)
        case .array, .object: return .json(json.text)
        }
    }
}
