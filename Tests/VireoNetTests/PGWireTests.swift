import Foundation
import NIOCore
import NIOEmbedded
import Testing
@testable import VireoNet
import VireoQuery
import VireoStorage

@Suite("pgwire: message decoding and SCRAM")
struct PGWireTests {
    @Test("DEALLOCATE is recognised in its PostgreSQL spellings; other statements are left to the engine")
    func deallocateParsing() throws {
        #expect(try PGDeallocate.parse("DEALLOCATE ALL") == .all)
        #expect(try PGDeallocate.parse("  deallocate prepare _pg3_0 ;") == .named("_pg3_0"))
        #expect(try PGDeallocate.parse("DEALLOCATE \"Mixed\"") == .named("Mixed"))
        #expect(try PGDeallocate.parse("DEALLOCATE Stmt") == .named("stmt"))
        #expect(try PGDeallocate.parse("DEALLOCATE prepare") == .named("prepare"), "PREPARE alone is the statement's name")
        #expect(try PGDeallocate.parse("SELECT 1") == nil)
        #expect(try PGDeallocate.parse("deallocated x") == nil, "another word starting with deallocate is the engine's to parse")
        #expect(startsWithWord("  COPY t FROM STDIN", "copy") && !startsWithWord("co", "copy"))
        #expect(throws: VireoError.self) { try PGDeallocate.parse("DEALLOCATE a b") }
    }

    @Test("binary COPY rows are read whatever the CopyData messages split them at; bad data is 22P04")
    func binaryCopyRows() throws {
        var stream = ByteBuffer(bytes: PGCopyBinary.header)
        let rows: [[Value]] = [[.int(1), .text("one")], [.int(-2), .null], [.null, .text("")]]
        for row in rows { stream.writeBinaryCopyRow(row, types: [.int8, .text], after: []) }
        // writeBinaryCopyRow frames each row as a CopyData message: keep only its payload.
        var data = Array(PGCopyBinary.header)
        var messages = stream
        messages.moveReaderIndex(forwardBy: PGCopyBinary.header.count)
        while messages.readableBytes > 0 {
            _ = messages.readInteger(as: UInt8.self)
            let length = Int(messages.readInteger(as: Int32.self)!) - 4
            data += messages.readBytes(length: length)!
        }
        data += PGCopyBinary.trailer + Array("ignored".utf8)
        for chunk in [1, 2, 3, 7, 1000] {
            var buffer: [UInt8] = [], headerRead = false, read: [[Value]] = [], ended = false
            for start in stride(from: 0, to: data.count, by: chunk) where !ended {
                buffer += data[start..<min(start + chunk, data.count)]
                let found = try PGCopyBinary.takeRows(from: &buffer, headerRead: &headerRead, oids: [PGType.int8.oid, PGType.text.oid])
                read += found.rows
                ended = found.ended
            }
            #expect(read == rows && ended, "chunks of \(chunk) bytes")
        }
        var bad = Array("PGCOPY\nwrong".utf8) + [UInt8](repeating: 0, count: 8), headerRead = false
        #expect(throws: VireoError.self) { try PGCopyBinary.takeRows(from: &bad, headerRead: &headerRead, oids: []) }
        var short = PGCopyBinary.header + [0, 1, 0, 0, 0, 0]
        headerRead = false
        do {
            _ = try PGCopyBinary.takeRows(from: &short, headerRead: &headerRead, oids: [PGType.int8.oid, PGType.text.oid])
            Issue.record("a row of one field was read as two")
        } catch let error as VireoError {
            #expect(error.sqlState == "22P04")
        }
    }

    @Test("statements are counted by their tag's first word, common kinds and others alike")
    func statementCounts() throws {
        let metrics = ServerMetrics()
        for tag in ["SELECT 1", "SELECT 0", "INSERT 0 3", "CREATE TABLE", "SELECTED 1", ""] { metrics.recordStatement(commandTag: tag) }
        let text = metrics.render(storage: try Database.inMemory().store.pager.statistics)
        for line in ["command=\"SELECT\"} 2", "command=\"INSERT\"} 1", "command=\"CREATE\"} 1", "command=\"SELECTED\"} 1", "command=\"OTHER\"} 1"] {
            #expect(text.contains("vireo_pgwire_statements_total{" + line), "\(line)")
        }
        #expect(!text.contains("command=\"UPDATE\""), "kinds never run are not listed")
    }

    @Test("SCRAM-SHA-256 reproduces RFC 7677's exchange and refuses a wrong proof")
    func scramMatchesTheRFC() throws {
        let salt = try #require(Data(base64Encoded: "W22ZaJ0SNY7soEsUEjb6gQ=="))
        var exchange = SCRAMExchange(verifier: SCRAMVerifier(passwords: ["other", "pencil"], salt: Array(salt)))
        let serverFirst = try exchange.serverFirstMessage(clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
                                                          serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
        #expect(serverFirst == "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
        let clientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        #expect(try exchange.serverFinalMessage(clientFinal: clientFinal) == "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
        let wrongProof = clientFinal.replacingOccurrences(of: "p=dHzb", with: "p=eHzb")
        #expect(try exchange.serverFinalMessage(clientFinal: wrongProof) == nil)
    }

    @Test("the decoder splits a startup packet and typed messages, however the bytes arrive")
    func decoderSplitsMessages() throws {
        var bytes = ByteBuffer()
        bytes.writeInteger(Int32(8)); bytes.writeInteger(PGFrontendDecoder.sslRequestCode)
        let startupBody: [UInt8] = Array("user\0vireo\0database\0db\0\0".utf8)
        bytes.writeInteger(Int32(8 + startupBody.count)); bytes.writeInteger(PGFrontendDecoder.protocolVersion3); bytes.writeBytes(startupBody)
        bytes.writeMessage("Q") { $0.writeCString("SELECT 1") }
        bytes.writeMessage("E") { $0.writeCString("p1"); $0.writeInteger(Int32(10)) }
        bytes.writeMessage("S") { _ in }
        var decoder = PGFrontendDecoder(messageBytesMax: 1 << 20)
        var received = ByteBuffer()
        var messages: [PGFrontendMessage] = []
        while bytes.readableBytes > 0 {  // one byte at a time: every split point
            var byte = bytes.readSlice(length: 1)!
            received.writeBuffer(&byte)
            while let message = try decoder.next(from: &received) { messages.append(message) }
        }
        #expect(messages == [.sslRequest, .startup(parameters: ["user": "vireo", "database": "db"]), .query("SELECT 1"),
                             .execute(portal: "p1", rowsMax: 10), .sync])
    }

    @Test("the channel's port decodes messages from reads split anywhere, then fails with a message over the limit")
    func portDecodesSplitReads() async throws {
        let loop = EmbeddedEventLoop()
        let port = PGChannelPort(eventLoop: loop, messageBytesMax: 64)
        let channel = EmbeddedChannel(handler: port, loop: loop)
        var bytes = ByteBuffer()
        let startupBody: [UInt8] = Array("user\0vireo\0\0".utf8)
        bytes.writeInteger(Int32(8 + startupBody.count)); bytes.writeInteger(PGFrontendDecoder.protocolVersion3); bytes.writeBytes(startupBody)
        bytes.writeMessage("B") { buffer in
            buffer.writeCString(""); buffer.writeCString("s1")
            buffer.writeInteger(Int16(0)); buffer.writeInteger(Int16(1))
            buffer.writeInteger(Int32(2)); buffer.writeString("42")
            buffer.writeInteger(Int16(1)); buffer.writeInteger(Int16(1))
        }
        bytes.writeMessage("E") { $0.writeCString(""); $0.writeInteger(Int32(0)) }
        bytes.writeMessage("S") { _ in }
        bytes.writeInteger(UInt8(ascii: "Q")); bytes.writeInteger(Int32(1_000_000))
        while bytes.readableBytes > 0 {  // reads of 3 bytes: messages and length fields split
            try channel.writeInbound(bytes.readSlice(length: min(3, bytes.readableBytes))!)
        }
        var messages: [PGFrontendMessage?] = []
        for _ in 0..<4 { messages.append(try await port.next()) }
        let bind = PGBind(portal: "", statement: "s1", parameterFormats: [], parameters: [ByteBuffer(string: "42")], resultFormats: [1])
        #expect(messages == [.startup(parameters: ["user": "vireo"]), .bind(bind), .execute(portal: "", rowsMax: 0), .sync])
        await #expect(throws: PGProtocolError.self) { _ = try await port.next() }
    }

    @Test("a text parameter of a declared type is read as that type at Bind: 22P02, 22008 or 22003 for bad input, as PostgreSQL 15 answers")
    func declaredTextParameters() throws {
        func decode(_ text: String, _ oid: Int32, _ type: SQLType?) throws -> Value {
            try PGParameterDecoder.decode(ByteBuffer(string: text), oid: oid, binary: false, declared: type)
        }
        func sqlState(_ text: String, _ oid: Int32, _ type: SQLType) -> String? {
            do {
                _ = try decode(text, oid, type)
                return nil
            } catch let error as VireoError {
                return error.sqlState
            } catch {
                return "\(error)"
            }
        }
        #expect(try decode("42", 23, .integer) == .int(42))
        #expect(try decode("42", 0, nil) == .text("42"))  // undeclared: the use decides
        #expect(try decode("x", 25, .text) == .text("x"))
        #expect(try decode("t", 16, .bool) == .bool(true))
        #expect(try decode("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", 2950, .uuid) == .text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
        #expect(sqlState("abc", 23, .integer) == "22P02")
        #expect(sqlState("99999999999", 23, .integer) == "22003")
        #expect(sqlState("maybe", 16, .bool) == "22P02")
        #expect(sqlState("nope", 2950, .uuid) == "22P02")
        #expect(sqlState("2024-13-01", 1082, .date) == "22008")
    }

    @Test("a Query or Parse whose statement is not UTF-8 decodes to a 22021 refusal, not to repaired text")
    func statementTextNotUTF8() throws {
        var decoder = PGFrontendDecoder(messageBytesMax: 1 << 20)
        decoder.inStartup = false
        var bytes = ByteBuffer()
        bytes.writeMessage("Q") { $0.writeBytes(Array("SELECT 'caf".utf8) + [0xE9, 0x27, 0]) }
        bytes.writeMessage("P") { $0.writeCString("s1"); $0.writeBytes([0x53, 0xFF, 0]); $0.writeInteger(Int16(0)) }
        bytes.writeMessage("Q") { $0.writeCString("SELECT 'café'") }
        var messages: [PGFrontendMessage] = []
        while let message = try decoder.next(from: &bytes) { messages.append(message) }
        #expect(messages == [.invalidStatementText(isQuery: true, message: "invalid byte sequence for encoding \"UTF8\": 0xe9"),
                             .invalidStatementText(isQuery: false, message: "invalid byte sequence for encoding \"UTF8\": 0xff"),
                             .query("SELECT 'café'")])
    }

    @Test("a message longer than the limit is refused with 54000 before it is buffered")
    func oversizedMessageIsRefused() throws {
        var decoder = PGFrontendDecoder(messageBytesMax: 64)
        decoder.inStartup = false
        var bytes = ByteBuffer()
        bytes.writeInteger(UInt8(ascii: "Q")); bytes.writeInteger(Int32(1_000_000))
        #expect(throws: PGProtocolError.self) { try decoder.next(from: &bytes) }
    }

    @Test("NotificationResponse carries the sender's pid, the channel and the payload as C strings")
    func notificationResponse() throws {
        var buffer = ByteBuffer()
        buffer.writeNotification(ChannelNotification(processID: 42, channel: "jobs", payload: "done é"))
        #expect(buffer.readInteger(as: UInt8.self) == UInt8(ascii: "A"))
        #expect(buffer.readInteger(as: Int32.self) == Int32(4 + 4 + 5 + 8))
        #expect(buffer.readInteger(as: Int32.self) == 42)
        #expect(try buffer.readCString() == "jobs")
        #expect(try buffer.readCString() == "done é")
        #expect(buffer.readableBytes == 0)
    }

    @Test("a prepared statement's RowDescription is the one encoded afresh, after its columns or formats change too")
    func rowDescriptionKeptPerStatement() {
        let prepared = PGPreparedStatement(statement: nil, declaredTypes: [])
        let origin = ColumnOrigin(tableOID: 16_384, attributeNumber: 2, declaredType: nil)
        let narrow = [ResultColumn(name: "v", type: .text, origin: origin)]
        let wide = narrow + [ResultColumn(name: "id", type: .int)]
        // Each case after another, with bytes already in the buffer, as a batch's answer has.
        for (columns, formats) in [(narrow, PGBind.allText), (narrow, PGBind.allText), (narrow, PGBind.allBinary), (wide, [0, 1]),
                                   (wide, [0, 1]), (narrow, PGBind.allText)] as [([ResultColumn], [Int16])] {
            var output = ByteBuffer()
            output.writeBindComplete()
            var expected = output
            prepared.writeRowDescription(columns, formats: formats, into: &output)
            expected.writeRowDescription(columns, formats: formats)
            #expect(output == expected, "columns \(columns.map(\.name)), formats \(formats)")
            #expect(prepared.types(of: columns) == columns.map { PGType($0.type) })
        }
    }

    @Test("prepared statements by name: the one named last is found until it is replaced or removed")
    func statementsByName() {
        var statements = PGStatements()
        let first = PGPreparedStatement(statement: nil, declaredTypes: []), second = PGPreparedStatement(statement: nil, declaredTypes: [1])
        statements["P0_0"] = first
        statements[""] = second
        var found = statements.named("P0_0")
        #expect(found === first)
        #expect(statements[""] === second)
        statements["P0_0"] = second
        found = statements.named("P0_0")
        #expect(found === second, "a statement parsed again under the name replaces the one kept")
        let removed = statements.removeValue(forKey: "P0_0")
        #expect(removed === second)
        found = statements.named("P0_0")
        #expect(found == nil && statements["P0_0"] == nil, "a closed statement is not found")
        found = statements.named("")
        #expect(found === second)
        statements[""] = nil
        #expect(statements[""] == nil)
        statements["a"] = first
        _ = statements.named("a")
        statements.removeAll()
        found = statements.named("a")
        #expect(found == nil, "DEALLOCATE ALL leaves none")
    }

    @Test("pg_stat_activity lists each registered connection's activity until it is removed")
    func registryActivities() throws {
        let database = try Database.inMemory()
        let registry = PGConnectionRegistry(connectionsMax: 2)
        let port = PGChannelPort(eventLoop: EmbeddedEventLoop())
        let client = SessionActivity.Client(user: "u", database: "d", applicationName: "app", address: "10.0.0.1", port: 5000)
        let first = try #require(registry.register(database.session(), port, client))
        let second = try #require(registry.register(database.session(), port, client))
        #expect(registry.register(database.session(), port, client) == nil, "the limit")
        #expect(Set(registry.activities.map(\.processID)) == [first.processID, second.processID])
        #expect(first.activity.processID == first.processID)
        registry.remove(first.processID)
        #expect(registry.activities.map(\.processID) == [second.processID])
        database.sessionActivities.install { registry.activities }
        second.activity.statementStarted("SELECT 42")
        let rows = try database.session().execute("SELECT pid, state, query, client_addr, client_port, datname FROM pg_stat_activity ORDER BY pid").rows
        #expect(rows.first == [.int(Int64(second.processID)), .text("active"), .text("SELECT 42"), .text("10.0.0.1"), .int(5000), .text("d")])
        #expect(rows.count == 2, "and the reading session's own row")
    }
}
