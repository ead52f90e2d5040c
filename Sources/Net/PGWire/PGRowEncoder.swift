import NIOCore
import VireoQuery
import VireoStorage

/// How a streamed result's rows become protocol messages (`PGConnection.streamRows`): one
/// value per stream, used on the engine thread that runs the query.
protocol PGRowEncoder: Sendable {
    /// Called once, before the first row, with the result's columns.
    mutating func begin(_ columns: [ResultColumn], into buffer: inout ByteBuffer) throws
    mutating func write(_ row: [Value], into buffer: inout ByteBuffer)
}

/// A query's rows as DataRows, after its RowDescription when `describe`.
struct PGDataRowEncoder: PGRowEncoder {
    let resultFormats: [Int16]
    let describe: Bool
    /// The columns a Describe of the portal already sent; the query fails if they changed.
    var described: [ResultColumn]? = nil
    private var types: [PGType] = []
    private var formats: [Int16] = []
    private var records = PGRecordColumns()

    init(resultFormats: [Int16], describe: Bool, described: [ResultColumn]? = nil) {
        self.resultFormats = resultFormats
        self.describe = describe
        self.described = described
    }

    mutating func begin(_ columns: [ResultColumn], into buffer: inout ByteBuffer) throws {
        // PostgreSQL's words when a plan's columns change between Describe and Execute.
        if let described, described != columns {
            throw VireoError(.featureNotSupported, "cached plan must not change result type")
        }
        types = columns.map { PGType($0.type) }
        formats = PGConnection.expandedFormats(resultFormats, columns.count)
        records = PGRecordColumns(columns)
        if describe { buffer.writeRowDescription(columns, formats: formats) }
    }

    func write(_ row: [Value], into buffer: inout ByteBuffer) {
        buffer.writeDataRow(records.printed(row), types: types, formats: formats)
    }
}

/// COPY … TO STDOUT: CopyOutResponse, the header line if asked for, then a CopyData per
/// row. In the binary format the header goes in the first row's CopyData, as PostgreSQL
/// sends it (psycopg reads the signature and the first row from one message); the trailer
/// (with the header, when no row came) is the caller's to write.
struct PGCopyRowEncoder: PGRowEncoder {
    let format: PGCopyFormat
    private var types: [PGType] = []
    private var headerPending = false
    private var records = PGRecordColumns()

    init(format: PGCopyFormat) { self.format = format }

    mutating func begin(_ columns: [ResultColumn], into buffer: inout ByteBuffer) throws {
        let binary = format.kind == .binary
        buffer.writeCopyResponse("H", columnCount: columns.count, binary: binary)
        types = columns.map { PGType($0.type) }
        records = PGRecordColumns(columns)
        if binary {
            headerPending = true
        } else if format.header {
            buffer.writeCopyData(format.headerLine(columns.map(\.name)))
        }
    }

    mutating func write(_ row: [Value], into buffer: inout ByteBuffer) {
        guard format.kind == .binary else { return buffer.writeCopyData(format.line(records.printed(row), types: types)) }
        buffer.writeBinaryCopyRow(row, types: types, after: headerPending ? PGCopyBinary.header : [])
        headerPending = false
    }
}

/// The columns of a result that hold records. A record is sent as its text, whose fields each
/// print as their own type does (a date field as `2024-01-02`); PGType keeps only the record's
/// OID, so those values are printed here, with the fields' types, before the row is written.
struct PGRecordColumns: Sendable {
    private var columns: [(index: Int, type: SQLType)] = []

    init() {}

    init(_ result: [ResultColumn]) {
        columns = result.enumerated().compactMap { index, column in
            if case .record = column.type { (index, column.type) } else { nil }
        }
    }

    /// `row` with its record values as text (the row itself when it has none).
    func printed(_ row: [Value]) -> [Value] {
        guard !columns.isEmpty else { return row }
        var row = row
        for (index, type) in columns where index < row.count && !row[index].isNull {
            row[index] = row[index].text(as: type).map(Value.text) ?? .null
        }
        return row
    }
}
