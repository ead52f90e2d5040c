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
        if describe { buffer.writeRowDescription(columns, formats: formats) }
    }

    func write(_ row: [Value], into buffer: inout ByteBuffer) {
        buffer.writeDataRow(row, types: types, formats: formats)
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

    init(format: PGCopyFormat) { self.format = format }

    mutating func begin(_ columns: [ResultColumn], into buffer: inout ByteBuffer) throws {
        let binary = format.kind == .binary
        buffer.writeCopyResponse("H", columnCount: columns.count, binary: binary)
        if binary {
            types = columns.map { PGType($0.type) }
            headerPending = true
        } else if format.header {
            buffer.writeCopyData(format.headerLine(columns.map(\.name)))
        }
    }

    mutating func write(_ row: [Value], into buffer: inout ByteBuffer) {
        guard format.kind == .binary else { return buffer.writeCopyData(format.line(row)) }
        buffer.writeBinaryCopyRow(row, types: types, after: headerPending ? PGCopyBinary.header : [])
        headerPending = false
    }
}
