import NIOCore
import VireoQuery
import VireoStorage

/// A COPY FROM STDIN under way: the rows arrive in CopyData messages.
struct PGCopyIn {
    var command: PGCopyCommand
    var columns: [String]
    /// The columns' type OIDs, which binary data is read as.
    var oids: [Int32] = []
    var buffer: [UInt8] = []
    var pendingRows: [[Value]] = []
    var rowCount = 0
    /// The text header line was skipped, or the binary format's header read.
    var headerSkipped = false
    /// The binary format's trailer was read: any later data is ignored, as in PostgreSQL.
    var trailerRead = false
    /// A text or CSV stream's `\.` line was read: what follows is ignored, as PostgreSQL
    /// does (pg_restore sends the `\.` and the empty line after it that pg_dump archived).
    var endMarkerRead = false
    /// The first error; later data is ignored until CopyDone or CopyFail.
    var error: VireoError?
    /// Whether COPY opened the transaction (and so commits or rolls it back).
    var ownsTransaction: Bool
}

extension PGConnection {
    /// Rows per INSERT a COPY runs; PostgreSQL allows 65535 parameters per statement.
    static let copyRowsPerInsertMax = 500

    /// Starts COPY: TO STDOUT runs to the end here; FROM STDIN answers CopyInResponse
    /// and leaves the connection in copy-in mode. False when there was nothing to start.
    func startCopy(_ command: PGCopyCommand) async throws -> Bool {
        switch command.direction {
        case .to:
            try await copyOut(command)
            return false
        case .from:
            let described = try await tableColumns(command.quotedTable, command.columns)
            let ownsTransaction = session.transactionStatus == .idle
            if ownsTransaction { try await run("BEGIN") }
            copyIn = PGCopyIn(command: command, columns: described.map(\.name), oids: described.map { PGType($0.type).oid },
                              ownsTransaction: ownsTransaction)
            output.writeCopyResponse("G", columnCount: described.count, binary: command.format.kind == .binary)
            return true
        }
    }

    /// The table's columns (those named, else all) with their types.
    private func tableColumns(_ quotedTable: String, _ names: [String]) async throws -> [ResultColumn] {
        let list = names.isEmpty ? "*" : names.map(PGCopyCommand.quoted).joined(separator: ", ")
        let statement = try Parser.parseStatement("SELECT \(list) FROM \(quotedTable)")
        let session = self.session
        let columns = try await server.executor.run { try session.describe(statement) }.columns
        return names.isEmpty ? columns : zip(names, columns).map { ResultColumn(name: $0, type: $1.type) }
    }

    @discardableResult
    private func run(_ sql: String, _ parameters: [Value] = []) async throws -> QueryResult {
        let session = self.session
        return try await server.executor.run { try session.execute(sql, parameters) }
    }

    /// COPY … TO STDOUT: the rows stream out as the query makes them (`streamRows`).
    private func copyOut(_ command: PGCopyCommand) async throws {
        let columnList = command.columns.isEmpty ? "*" : command.columns.map(PGCopyCommand.quoted).joined(separator: ", ")
        let query = command.query ?? "SELECT \(columnList) FROM \(command.quotedTable)"
        let result = try await streamRows(try Parser.parseStatement(query), [], planCache: PlanCache(), PGCopyRowEncoder(format: command.format))
        if command.format.kind == .binary {
            output.writeCopyData(bytes: (result.rowCount == 0 ? PGCopyBinary.header : []) + PGCopyBinary.trailer)
        }
        output.writeMessage("c") { _ in }
        output.writeCommandComplete("COPY \(result.rowCount)")
    }

    /// A message while in copy-in mode; false when the copy has ended.
    func handleCopyIn(_ message: PGFrontendMessage) async throws {
        guard let copy = copyIn else { return }
        switch message {
        case .copyData(let bytes):
            guard copy.error == nil else { return }
            copyIn?.buffer += bytes.readableBytesView
            await absorbRecords()
        case .copyDone:
            if copy.command.format.kind == .binary {
                if copy.error == nil, !copy.trailerRead {
                    copyIn?.error = PGCopyBinary.badFormat(copy.headerSkipped ? "unexpected EOF in COPY data" : "COPY file signature not recognized")
                }
            } else if copy.error == nil, !copy.buffer.isEmpty {
                copyIn?.buffer.append(UInt8(ascii: "\n"))
                await absorbRecords()
            }
            if copyIn?.error == nil { await insertPending() }
            await finishCopy(failure: nil)
        case .copyFail(let reason):
            await finishCopy(failure: VireoError(.transactionState, "COPY from stdin failed: \(reason)"))
        case .sync, .flush:
            break
        default:
            await finishCopy(failure: VireoError(.transactionState, "unexpected message during COPY from stdin"))
        }
    }

    /// Parses the complete records received so far and inserts them in batches.
    private func absorbRecords() async {
        guard var copy = copyIn else { return }
        copyIn = nil  // so that `copy` owns the buffer it trims (no copy of it)
        if copy.command.format.kind == .binary {
            absorbBinaryRows(&copy)
            copyIn = copy
            if copy.pendingRows.count >= Self.copyRowsPerInsertMax { await insertPending() }
            return
        }
        let records = copy.command.format.takeRecords(from: &copy.buffer)
        do {
            for record in records {
                if copy.command.format.header && !copy.headerSkipped { copy.headerSkipped = true; continue }
                if copy.endMarkerRead { continue }
                if record.elementsEqual("\\.".utf8) { copy.endMarkerRead = true; continue }  // the old end-of-data marker
                let fields = try copy.command.format.fields(record)
                guard fields.count == copy.columns.count else {
                    throw VireoError(.dataException, "COPY row \(copy.rowCount + copy.pendingRows.count + 1) has \(fields.count) fields, the table's column list has \(copy.columns.count)")
                }
                copy.pendingRows.append(fields.map { $0.map(Value.text) ?? .null })
            }
        } catch let error as VireoError {
            copy.error = error
        } catch {
            copy.error = VireoError(.internalError, "\(error)")
        }
        copyIn = copy
        if copy.pendingRows.count >= Self.copyRowsPerInsertMax { await insertPending() }
    }

    /// Takes the complete binary rows received so far; data after the trailer is ignored.
    private func absorbBinaryRows(_ copy: inout PGCopyIn) {
        guard !copy.trailerRead else { return copy.buffer.removeAll() }
        do {
            let found = try PGCopyBinary.takeRows(from: &copy.buffer, headerRead: &copy.headerSkipped, oids: copy.oids)
            copy.pendingRows += found.rows
            if found.ended {
                copy.trailerRead = true
                copy.buffer.removeAll()
            }
        } catch let error as VireoError {
            copy.error = error
        } catch {
            copy.error = VireoError(.internalError, "\(error)")
        }
    }

    /// Inserts the rows parsed so far with multi-row INSERTs. As PostgreSQL's COPY FROM, the
    /// values given for a GENERATED ALWAYS identity column are written (pg_dump's output
    /// restores such tables with their ids).
    private func insertPending() async {
        guard var copy = copyIn, copy.error == nil, !copy.pendingRows.isEmpty, copy.command.table != nil else { return }
        let columns = copy.columns.map(PGCopyCommand.quoted).joined(separator: ", ")
        let rowsPerInsert = max(1, min(Self.copyRowsPerInsertMax, 65_535 / max(1, copy.columns.count)))
        do {
            for start in stride(from: 0, to: copy.pendingRows.count, by: rowsPerInsert) {
                let rows = copy.pendingRows[start..<min(start + rowsPerInsert, copy.pendingRows.count)]
                var number = 0
                let tuples = rows.map { row in
                    "(" + row.map { _ in number += 1; return "$\(number)" }.joined(separator: ", ") + ")"
                }
                try await run("INSERT INTO \(copy.command.quotedTable) (\(columns)) OVERRIDING SYSTEM VALUE VALUES \(tuples.joined(separator: ", "))",
                              rows.flatMap { $0 })
                copy.rowCount += rows.count
            }
        } catch let error as VireoError {
            copy.error = error
        } catch {
            copy.error = VireoError(.internalError, "\(error)")
        }
        copy.pendingRows = []
        copyIn = copy
    }

    /// Ends copy-in: commits (when COPY opened the transaction) and reports COPY n, or
    /// reports the error and rolls back.
    private func finishCopy(failure: VireoError?) async {
        guard let copy = copyIn else { return }
        copyIn = nil
        if let error = failure ?? copy.error {
            writeError(error, query: nil)
            if copy.ownsTransaction { _ = try? await run("ROLLBACK") }
        } else {
            do {
                if copy.ownsTransaction { try await run("COMMIT") }
                output.writeCommandComplete("COPY \(copy.rowCount)")
            } catch let error as VireoError {
                writeError(error, query: nil)
            } catch {
                output.writeError(sqlState: "XX000", message: "\(error)")
            }
        }
        writeReadyForQuery()
    }
}
