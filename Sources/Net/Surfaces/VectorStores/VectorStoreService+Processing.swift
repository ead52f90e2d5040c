import Foundation
import VireoQuery
import VireoStorage

extension VectorStoreService {
    /// The membership row of a file in a store, with its chunks when it has them.
    static func insertMembership(_ session: Session, store storeID: String, file fileID: String, attributes: JSONValue?,
                                 chunking: ChunkingStrategy, batchID: String?, outcome: Outcome, filename: String,
                                 contentType: String) throws {
        let exists = try session.execute("SELECT 1 FROM \(VectorStoreSchema.storeFiles) WHERE store_id = $1 AND file_id = $2",
                                         [.text(storeID), .text(fileID)])
        guard exists.rows.isEmpty else {
            throw RESTError(.conflict, code: "file_already_in_store", "file \(fileID) is already in vector store \(storeID)", field: "file_id")
        }
        let (status, chunkCount, errorCode, error): (String, Int, Value, Value) = switch outcome {
        case .chunks(let prepared): (FileStatus.completed, prepared.texts.count, .null, .null)
        case .queued: (FileStatus.inProgress, 0, .null, .null)
        case .failed(let code, let message): (FileStatus.failed, 0, .text(code), .text(message))
        }
        try session.execute("""
            INSERT INTO \(VectorStoreSchema.storeFiles) (store_id, file_id, batch_id, status, chunk_count, attributes, error_code, error,
              chunk_size, chunk_overlap, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """, [.text(storeID), .text(fileID), batchID.map(Value.text) ?? .null, .text(status), .int(Int64(chunkCount)),
                  attributes.map { .json($0.text) } ?? .null, errorCode, error, .int(Int64(chunking.sizeTokens)),
                  .int(Int64(chunking.overlapTokens)), .int(VectorStoreSQL.now())])
        if case .chunks(let prepared) = outcome {
            try insertChunks(session, store: storeID, file: fileID, filename: filename, contentType: contentType,
                             attributes: attributes, prepared)
        }
        try touch(session, storeID)
    }

    /// The chunk rows of one file, a batch of rows per INSERT.
    static func insertChunks(_ session: Session, store storeID: String, file fileID: String, filename: String, contentType: String,
                             attributes: JSONValue?, _ prepared: PreparedChunks) throws {
        let columns = "store_id, file_id, filename, chunk_index, content, metadata, attributes, embedding"
        let attributesValue = attributes.map { Value.json($0.text) } ?? .null
        for start in stride(from: 0, to: prepared.texts.count, by: insertRowsMax) {
            let end = min(prepared.texts.count, start + insertRowsMax)
            var parameters: [Value] = []
            var tuples: [String] = []
            for index in start..<end {
                let metadata = JSONValue.fields(("filename", .string(filename)), ("content_type", .string(contentType)),
                                                ("chunk_index", .integer(index)))
                let row: [Value] = [.text(storeID), .text(fileID), .text(filename), .int(Int64(index)), .text(prepared.texts[index]),
                                    .json(metadata.text), attributesValue, .vector(prepared.vectors[index])]
                tuples.append("(" + row.indices.map { "$\(parameters.count + $0 + 1)" }.joined(separator: ", ") + ")")
                parameters += row
            }
            try session.execute("INSERT INTO \(VectorStoreSchema.chunks) (\(columns)) VALUES \(tuples.joined(separator: ", "))", parameters)
        }
    }

    /// Marks the store as just used.
    static func touch(_ session: Session, _ storeID: String) throws {
        try session.execute("UPDATE \(VectorStoreSchema.stores) SET last_active_at = $2 WHERE id = $1", [.text(storeID), .int(VectorStoreSQL.now())])
    }

    // MARK: Background processing

    /// One queued file: extract, chunk, embed, then write chunks and status together. A file
    /// removed or cancelled meanwhile is left alone; a document without text, a failing
    /// embedder or a job that crashed its worker `attemptsMax` times makes a failed file.
    func process(_ job: BackgroundQueue.Job) async throws {
        let parts = job.key.split(separator: " ").map(String.init)
        guard parts.count == 2 else { return }
        let (storeID, fileID) = (parts[0], parts[1])
        guard let (record, bytes) = try await session({ session -> (StoreFileRecord, [UInt8])? in
            guard let record = try? VectorStoreSQL.storeFile(session, store: storeID, file: fileID),
                  record.status == FileStatus.inProgress else { return nil }
            return (record, try Self.uploadContent(session, fileID))
        }) else { return }
        let outcome: Outcome
        if job.attempts > BackgroundQueue.attemptsMax {
            outcome = .failed(code: "server_error", message: "processing stopped the server \(BackgroundQueue.attemptsMax) times")
        } else {
            outcome = await processedOutcome(record, bytes)
        }
        try await session { session in
            try TableSQL.transaction(session) {
                try Self.finish(session, record, outcome)
            }
        }
    }

    private func processedOutcome(_ record: StoreFileRecord, _ bytes: [UInt8]) async -> Outcome {
        do {
            let format = try Self.format(record.filename)
            return .chunks(try await chunksAndVectors(bytes, format, record.chunking))
        } catch let error as ExtractionError {
            return .failed(code: error.isServerFault ? "server_error" : "invalid_file", message: error.message)
        } catch let error as RESTError {
            return .failed(code: error.code, message: error.message)
        } catch {
            return .failed(code: "server_error", message: "\(error)")
        }
    }

    /// Writes a background outcome if the file is still waiting for it.
    static func finish(_ session: Session, _ record: StoreFileRecord, _ outcome: Outcome) throws {
        let current = try? VectorStoreSQL.storeFile(session, store: record.storeID, file: record.fileID)
        guard current?.status == FileStatus.inProgress else { return }
        let keys: [Value] = [.text(record.storeID), .text(record.fileID)]
        try session.execute("DELETE FROM \(VectorStoreSchema.chunks) WHERE store_id = $1 AND file_id = $2", keys)
        switch outcome {
        case .chunks(let prepared):
            try insertChunks(session, store: record.storeID, file: record.fileID, filename: record.filename,
                             contentType: record.contentType ?? "", attributes: record.attributes.nonNull, prepared)
            try session.execute("UPDATE \(VectorStoreSchema.storeFiles) SET status = $3, chunk_count = $4 WHERE store_id = $1 AND file_id = $2",
                                keys + [.text(FileStatus.completed), .int(Int64(prepared.texts.count))])
        case .failed(let code, let message):
            try session.execute("UPDATE \(VectorStoreSchema.storeFiles) SET status = $3, error_code = $4, error = $5 WHERE store_id = $1 AND file_id = $2",
                                keys + [.text(FileStatus.failed), .text(code), .text(message)])
        case .queued:
            return
        }
        try touch(session, record.storeID)
    }
}

extension JSONValue {
    /// Nil for JSON null, else the value.
    var nonNull: JSONValue? { if case .null = self { nil } else { self } }
}
