import VireoQuery
import VireoStorage

extension VectorStoreService {
    /// How often the background worker looks for expired stores, unless told otherwise.
    public static let expirySweepIntervalMsDefault = 60_000

    /// Deletes, with their chunks and memberships, the stores whose `expires_after` (days
    /// after last activity) or `expires_at` has passed, as OpenAI ends expired stores; the
    /// uploaded files stay; a store used again since the first look lives on. Returns the
    /// ids that were expired at the first look.
    @discardableResult
    func deleteExpiredStores(now: Int64 = VectorStoreSQL.now()) async throws -> [String] {
        let expired = try await session { session in
            let sql = "SELECT \(StoreRecord.columns) FROM \(VectorStoreSchema.stores) WHERE expires_after IS NOT NULL OR expires_at IS NOT NULL"
            return try session.execute(sql).rows.map(StoreRecord.init).filter { $0.status(now: now) == "expired" }.map(\.id)
        }
        for id in expired {
            // Used again since the first look (a search touches it): then it lives on.
            let deleted = try await session { session in
                guard let store = try? VectorStoreSQL.store(session, id, counted: false), store.status(now: now) == "expired" else { return false }
                return try VectorStoreSQL.deleteStore(session, id)
            }
            if deleted { worker.logger.info("vector store \(id) expired and was deleted") }
        }
        return expired
    }
}
