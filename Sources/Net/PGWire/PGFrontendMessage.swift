import NIOCore
import VireoStorage

/// A message from a PostgreSQL client (protocol 3.0). Startup-phase messages carry no
/// type byte; every later message is a type byte, an Int32 length and its body.
enum PGFrontendMessage: Sendable, Equatable {
    case startup(parameters: [String: String])
    case sslRequest
    case gssEncryptionRequest
    case cancel(processID: Int32, secretKey: Int32)
    /// 'p': a password, or a SASL initial response or response; which one depends on
    /// the authentication exchange under way, so the bytes are kept raw.
    case authentication(ByteBuffer)
    case query(String)
    case parse(name: String, query: String, parameterTypes: [Int32])
    /// A Query ('Q', `isQuery`) or Parse whose statement text is not UTF-8: answered with
    /// 22021 as PostgreSQL does, never repaired into U+FFFD.
    case invalidStatementText(isQuery: Bool, message: String)
    case bind(PGBind)
    case describe(kind: PGObjectKind, name: String)
    case execute(portal: String, rowsMax: Int32)
    case close(kind: PGObjectKind, name: String)
    case sync
    case flush
    case copyData(ByteBuffer)
    case copyDone
    case copyFail(String)
    case terminate
}

/// A prepared statement ('S') or a portal ('P').
enum PGObjectKind: UInt8, Sendable {
    case statement = 0x53
    case portal = 0x50
}

/// The body of a Bind message.
struct PGBind: Sendable, Equatable {
    var portal: String
    var statement: String
    /// Per parameter: 0 text, 1 binary. One code applies to all; none means all text.
    var parameterFormats: [Int16]
    /// nil is SQL NULL.
    var parameters: [ByteBuffer?]
    var resultFormats: [Int16]

    /// One format code, text or binary, for every column or parameter.
    static let allText: [Int16] = [0]
    static let allBinary: [Int16] = [1]

    func parameterFormat(_ index: Int) -> Int16 {
        parameterFormats.count == 1 ? parameterFormats[0] : (index < parameterFormats.count ? parameterFormats[index] : 0)
    }

    func resultFormat(_ index: Int) -> Int16 {
        resultFormats.count == 1 ? resultFormats[0] : (index < resultFormats.count ? resultFormats[index] : 0)
    }
}

/// Splits the byte stream into frontend messages. It starts in the startup phase and
/// leaves it after a StartupMessage; SSLRequest and GSSENCRequest keep it there. The server
/// calls `next(from:)` from `PGChannelPort`.
struct PGFrontendDecoder {
    static let protocolVersion3: Int32 = 196_608
    static let sslRequestCode: Int32 = 80_877_103
    static let gssRequestCode: Int32 = 80_877_104
    static let cancelRequestCode: Int32 = 80_877_102
    /// Startup packets are small; PostgreSQL limits them to 10000 bytes.
    static let startupBytesMax = 10_000

    let messageBytesMax: Int
    var inStartup = true

    /// Takes the next whole message off the front of `buffer`; nil (leaving `buffer` as it
    /// was) until all of its bytes have arrived. `PGChannelPort` calls it on the bytes it
    /// reads, with no handler between the socket and the connection.
    mutating func next(from buffer: inout ByteBuffer) throws -> PGFrontendMessage? {
        let headerBytes = inStartup ? 4 : 5
        guard buffer.readableBytes >= headerBytes else { return nil }
        let start = buffer.readerIndex
        let type: UInt8? = inStartup ? nil : buffer.getInteger(at: start)
        guard let length: Int32 = buffer.getInteger(at: start + headerBytes - 4) else { return nil }
        let limit = inStartup ? Self.startupBytesMax : messageBytesMax
        guard length >= 4, Int(length) <= limit else {
            throw PGProtocolError(sqlState: length < 4 ? "08P01" : "54000",
                                  "invalid message length \(length) (the limit is \(limit) bytes)")
        }
        let total = headerBytes - 4 + Int(length)
        guard buffer.readableBytes >= total else { return nil }
        buffer.moveReaderIndex(forwardBy: headerBytes)
        guard var body = buffer.readSlice(length: Int(length) - 4) else { return nil }
        return try type.map { try Self.typed($0, &body) } ?? startup(&body)
    }

    private mutating func startup(_ body: inout ByteBuffer) throws -> PGFrontendMessage {
        guard let code: Int32 = body.readInteger() else { throw PGProtocolError("startup packet too short") }
        switch code {
        case Self.sslRequestCode: return .sslRequest
        case Self.gssRequestCode: return .gssEncryptionRequest
        case Self.cancelRequestCode:
            guard let processID: Int32 = body.readInteger(), let key: Int32 = body.readInteger() else {
                throw PGProtocolError("cancel request too short")
            }
            return .cancel(processID: processID, secretKey: key)
        case Self.protocolVersion3:
            inStartup = false
            var parameters: [String: String] = [:]
            while let name = try body.readCString(), !name.isEmpty {
                parameters[name] = try body.readCString() ?? ""
            }
            return .startup(parameters: parameters)
        default:
            throw PGProtocolError(sqlState: "0A000", "unsupported frontend protocol \(code >> 16).\(code & 0xffff): server supports 3.0")
        }
    }

    private static func typed(_ type: UInt8, _ body: inout ByteBuffer) throws -> PGFrontendMessage {
        switch type {
        case UInt8(ascii: "Q"):
            let query = try body.requireStatementText()
            return query.text.map(PGFrontendMessage.query) ?? .invalidStatementText(isQuery: true, message: query.error)
        case UInt8(ascii: "P"):
            let name = try body.requireCString(), query = try body.requireStatementText()
            guard let text = query.text else { return .invalidStatementText(isQuery: false, message: query.error) }
            return .parse(name: name, query: text, parameterTypes: try body.readInt32Array())
        case UInt8(ascii: "B"): return .bind(try bind(&body))
        case UInt8(ascii: "D"): return .describe(kind: try body.readObjectKind(), name: try body.requireCString())
        case UInt8(ascii: "E"):
            let portal = try body.requireCString()
            return .execute(portal: portal, rowsMax: body.readInteger() ?? 0)
        case UInt8(ascii: "C"): return .close(kind: try body.readObjectKind(), name: try body.requireCString())
        case UInt8(ascii: "S"): return .sync
        case UInt8(ascii: "H"): return .flush
        case UInt8(ascii: "X"): return .terminate
        case UInt8(ascii: "p"): return .authentication(body)
        case UInt8(ascii: "d"): return .copyData(body)
        case UInt8(ascii: "c"): return .copyDone
        case UInt8(ascii: "f"): return .copyFail(try body.requireCString())
        default: throw PGProtocolError("invalid frontend message type \(type)")
        }
    }

    private static func bind(_ body: inout ByteBuffer) throws -> PGBind {
        let portal = try body.requireCString(), statement = try body.requireCString()
        let formats = try body.readInt16Array()
        guard let count: Int16 = body.readInteger(), count >= 0 else { throw PGProtocolError("bind message too short") }
        var parameters: [ByteBuffer?] = []
        parameters.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let length: Int32 = body.readInteger() else { throw PGProtocolError("bind message too short") }
            if length < 0 { parameters.append(nil); continue }
            guard let value = body.readSlice(length: Int(length)) else { throw PGProtocolError("bind parameter runs past the message") }
            parameters.append(value)
        }
        return PGBind(portal: portal, statement: statement, parameterFormats: formats, parameters: parameters,
                      resultFormats: try body.readInt16Array())
    }
}

/// A violation of the protocol by the client (SQLSTATE 08P01 unless said otherwise).
struct PGProtocolError: Error, CustomStringConvertible {
    var sqlState = "08P01"
    var message: String

    init(sqlState: String = "08P01", _ message: String) {
        self.sqlState = sqlState
        self.message = message
    }

    var description: String { message }
}

extension ByteBuffer {
    /// A zero-terminated UTF-8 string; nil when no terminator is left.
    mutating func readCString() throws -> String? {
        guard let end = readableBytesView.firstIndex(of: 0) else { return nil }
        let string = readString(length: end - readerIndex)
        moveReaderIndex(forwardBy: 1)
        return string
    }

    /// A zero-terminated statement: its text, or (when the bytes are not UTF-8) nil and the
    /// message of the 22021 error that refuses it.
    mutating func requireStatementText() throws -> (text: String?, error: String) {
        guard let end = readableBytesView.firstIndex(of: 0) else { throw PGProtocolError("a string in the message is not terminated") }
        let raw = readBytes(length: end - readerIndex) ?? []
        moveReaderIndex(forwardBy: 1)
        do {
            return (try VireoError.utf8Text(raw), "")
        } catch let error as VireoError {
            return (nil, error.message)
        }
    }

    mutating func requireCString() throws -> String {
        guard let string = try readCString() else { throw PGProtocolError("a string in the message is not terminated") }
        return string
    }

    mutating func readObjectKind() throws -> PGObjectKind {
        guard let byte: UInt8 = readInteger(), let kind = PGObjectKind(rawValue: byte) else {
            throw PGProtocolError("expected 'S' or 'P'")
        }
        return kind
    }

    mutating func readInt16Array() throws -> [Int16] {
        guard let count: Int16 = readInteger(), count >= 0 else { throw PGProtocolError("message too short") }
        if count == 1, let only: Int16 = getInteger(at: readerIndex), only == 0 || only == 1 {
            // One format code for all (what libpq sends with every Bind): shared, not allocated.
            moveReaderIndex(forwardBy: 2)
            return only == 0 ? PGBind.allText : PGBind.allBinary
        }
        return try (0..<count).map { _ in
            guard let value: Int16 = readInteger() else { throw PGProtocolError("message too short") }
            return value
        }
    }

    mutating func readInt32Array() throws -> [Int32] {
        guard let count: Int16 = readInteger(), count >= 0 else { throw PGProtocolError("message too short") }
        return try (0..<count).map { _ in
            guard let value: Int32 = readInteger() else { throw PGProtocolError("message too short") }
            return value
        }
    }
}
