import Logging

/// The storage engine's public face: a database file with its schema, row tables and
/// B+tree indexes, read through snapshots and changed through one write transaction
/// at a time.
public final class Store: @unchecked Sendable {
    public let pager: Pager
    private let catalogLock = Lock()
    private var publishedCatalog: Catalog
    let catalogTree: BTree

    /// Opens (creating if absent) the database at `path`, recovering it after a crash.
    public static func open(path: String, options: StorageOptions = StorageOptions()) throws -> Store {
        try Store(pager: Pager.open(path: path, options: options))
    }

    private init(pager: Pager) throws {
        self.pager = pager
        let root: PageNumber = try pager.read { view in try view.withPage(0) { $0.loadLE(at: MetaPage.catalogRootOffset) } }
        catalogTree = BTree(root: root)
        publishedCatalog = try pager.read { try Catalog.load(tree: BTree(root: root), from: $0) }
    }

    /// The schema as last committed.
    public var catalog: Catalog { catalogLock.withLock { publishedCatalog } }

    /// Runs `body` on a consistent snapshot of committed data and schema.
    public func read<R>(_ body: (StoreSnapshot) throws -> R) throws -> R {
        try pager.read { view in try body(StoreSnapshot(pages: view, catalog: catalog)) }
    }

    /// Starts the write transaction, waiting for a running one to finish (or, with
    /// `waiting: false`, throwing if one is running).
    public func beginWrite(waiting: Bool = true) throws -> StoreTransaction {
        let pages = try pager.beginWrite(waiting: waiting)
        return StoreTransaction(store: self, pages: pages, catalog: catalog)
    }

    /// Starts the write transaction, waiting at most `timeoutMs` for a running one (nil:
    /// without limit); 55P03 past it. What `checkCancel` throws while it waits ends the wait.
    public func beginWrite(timeoutMs: Int?, checkCancel: () throws -> Void = {}) throws -> StoreTransaction {
        let pages = try pager.beginWrite(timeoutMs: timeoutMs, checkCancel: checkCancel)
        return StoreTransaction(store: self, pages: pages, catalog: catalog)
    }

    /// Runs `body` in a write transaction: commits when it returns, rolls back on a throw.
    public func write<R>(_ body: (StoreTransaction) throws -> R) throws -> R {
        let transaction = try beginWrite()
        do {
            let result = try body(transaction)
            try transaction.commit()
            return result
        } catch {
            transaction.rollback()
            throw error
        }
    }

    func publish(_ catalog: Catalog) {
        catalogLock.withLock { publishedCatalog = catalog }
    }

    /// Writes every committed page to the database file and resets the WAL.
    public func checkpoint() throws { try pager.checkpoint() }

    /// Checkpoints and closes the files.
    public func close() throws { try pager.close() }
}

/// Committed data and schema, consistent with each other, for the length of a read.
public struct StoreSnapshot: RowSource {
    public let pages: ReadView
    public let catalog: Catalog
}
