import Synchronization
import VireoIndex
import VireoStorage

/// The HNSW indexes of a database, kept in memory for search and made durable as a
/// snapshot blob plus a tree of row ids changed since the snapshot (see
/// `IndexDefinition.deltaRoot`). The table is the source of truth: loading an index
/// reads its snapshot and then refreshes every row id of its change tree from the table,
/// so after a crash the index agrees with the committed rows.
final class VectorIndexes: @unchecked Sendable {
    /// A change tree longer than this share of the index (and at least `rewriteRowsMin`)
    /// makes the next commit write a fresh snapshot.
    static let rewriteFraction = 0.2
    static let rewriteRowsMin = 2_000

    let store: Store
    private let lock = Lock()
    /// Held while an index loads (seconds for a million vectors), so that a search arriving
    /// meanwhile waits for that load instead of making a second copy.
    private let loadLock = Lock()
    private var loaded: [String: HNSWIndex] = [:]
    private var pendingRewrite: Set<String> = []
    private var changedSinceSnapshot: [String: Int] = [:]
    /// Counts commits that changed vector indexes, so a load that raced one can tell.
    private var commitCount: UInt64 = 0
    /// Indexes built by CREATE INDEX in a transaction not yet committed: the root of the
    /// snapshot each wrote, by which its commit is recognised.
    private var uncommittedBuilds: [String: PageNumber] = [:]

    /// Changes whenever an index in memory is replaced or dropped (`build`, `forget`), so
    /// that while it holds, the index a look-up by name gives is the one it gave before
    /// (`NearestPlan.index(in:)` keeps it with a prepared query's plan). Loading an index
    /// not in memory leaves it as it is: no look-up found that name before. Its values are
    /// unique across registries.
    var generation: UInt64 { currentGeneration.load(ordering: .acquiring) }
    private let currentGeneration = Atomic<UInt64>(VectorIndexes.newGeneration())
    private static let generations = Atomic<UInt64>(0)

    private static func newGeneration() -> UInt64 {
        generations.add(1, ordering: .relaxed).newValue
    }

    /// Which loaded indexes hold exactly the rows a read snapshot sees.
    let exactness = IndexExactness()

    /// Bitmaps of the rows filters matched, for vector searches repeating a filter.
    let matchingRows = MatchingRowsCache()

    /// Set by `stopCatchingUp`: commits no longer bring loaded indexes up to date.
    private let catchUpStopped = Atomic<Bool>(false)

    init(store: Store) { self.store = store }

    /// Live vectors of each index loaded in memory, by index name (indexes not yet used
    /// since open are not loaded, and not listed).
    var loadedSizes: [String: Int] {
        lock.withLock { loaded }.mapValues(\.count)
    }

    /// The index named `name` if it is already in memory (nil when its first use would have
    /// to load it).
    func loadedIndex(_ name: String) -> HNSWIndex? {
        lock.withLock { loaded[name] }
    }

    /// The in-memory index named `name`, loading it on first use from the committed
    /// catalog's definition (never an open transaction's, whose columns may have moved).
    ///
    /// The index may be newer or older than a reader's snapshot (commits go on while it
    /// reads), so a search checks that the rows it finds exist in the reader's snapshot.
    func index(_ name: String) throws -> HNSWIndex {
        if let cached = lock.withLock({ loaded[name] }) { return cached }
        return try loadLock.withLock { try loadOnce(name) }
    }

    /// Loads every HNSW index of the committed catalog that is not in memory yet, one after
    /// another, until `shouldStop` (`Database.loadVectorIndexes`). An index that fails to
    /// load is left for its first search, which then reports the error.
    func loadAll(shouldStop: () -> Bool) {
        let names = store.catalog.tables.values.flatMap { $0.indexes.filter { $0.method == "hnsw" }.map(\.name) }
        for name in names.sorted() where !shouldStop() { _ = try? index(name) }
    }

    /// `index`'s load, `loadLock` held.
    private func loadOnce(_ name: String) throws -> HNSWIndex {
        let (cached, commitsBefore) = lock.withLock { (loaded[name], commitCount) }
        if let cached { return cached }
        let index = try store.read { snapshot in try load(name, from: snapshot) }
        let (stored, raced) = lock.withLock { () -> (HNSWIndex, Bool) in
            if let other = loaded[name] { return (other, false) }
            loaded[name] = index
            let raced = commitCount != commitsBefore
            if !raced { exactness.markExact(name, index) }
            return (index, raced)
        }
        // A commit between the snapshot and storing the index skipped it (it was not
        // loaded yet); its rows are in the change tree, so read those rows again. Such an
        // index is never marked exact (another commit may apply to it meanwhile).
        if raced { try store.read { snapshot in try refreshChanged(name, index: stored, from: snapshot) } }
        return stored
    }

    private func load(_ name: String, from snapshot: StoreSnapshot) throws -> HNSWIndex {
        guard let (table, definition) = snapshot.catalog.index(name) else {
            throw VireoError(.undefinedObject, "vector index \"\(name)\" does not exist")
        }
        let index: HNSWIndex
        if definition.root != 0 {
            index = try HNSWIndex(deserializing: Blob.read(first: definition.root, in: snapshot.pages),
                                  source: "index \(definition.name)")
        } else {
            index = try Self.makeEmpty(definition, table: table)
        }
        try refreshChanged(name, index: index, from: snapshot)
        return index
    }

    /// Brings every row of the index's change tree up to date from `snapshot`.
    private func refreshChanged(_ name: String, index: HNSWIndex, from snapshot: StoreSnapshot) throws {
        guard let (table, definition) = snapshot.catalog.index(name), let deltaRoot = definition.deltaRoot else { return }
        var changed: [Int64] = []
        try BTree(root: deltaRoot).scan(in: snapshot.pages) { key, _ in
            changed.append(try KeyCodec.decodeRowID(key, form: .fixed))
            return true
        }
        try refresh(index, definition: definition, table: table, rowIDs: changed, data: .snapshot(snapshot))
    }

    static func makeEmpty(_ definition: IndexDefinition, table: TableDefinition) throws -> HNSWIndex {
        let options = try VectorIndexOptions(definition, table: table)
        return try HNSWIndex(dimension: options.dimension, metric: options.metric, m: options.m,
                             efConstruction: options.efConstruction, quantization: options.quantization)
    }

    /// Brings the rows `rowIDs` of the index up to date with the table; throws
    /// `CatchUpStopped` as soon as `shouldStop` says so.
    func refresh(_ index: HNSWIndex, definition: IndexDefinition, table: TableDefinition, rowIDs: [Int64], data: DataAccess,
                 shouldStop: () -> Bool = { false }) throws {
        guard let column = table.columnIndex(definition.columns[0]) else { return }
        for rowID in rowIDs {
            if shouldStop() { throw CatchUpStopped() }
            let vector = try data.withRow(table, rowID: rowID) { record -> [Float]? in
                guard column < record.columnCount else { return nil }
                return IndexedVector.floats(try record.value(at: column))
            }
            if let vector = vector ?? nil {
                // A binary index links by exact distances over its neighbours' rows.
                try index.insert(label: rowID, vector: vector,
                                 source: index.quantization == .binary ? data.vectorSource(table, column: column) : nil)
            } else {
                _ = index.remove(label: rowID)
            }
        }
    }

    /// Builds the index over the table's rows inside `transaction` (CREATE INDEX) and
    /// returns the definition with its snapshot and change tree. A cancel stops the scan
    /// and the graph build (57014); the half-built index is dropped.
    func build(_ definition: IndexDefinition, table: TableDefinition, in transaction: StoreTransaction,
               cancel: StatementCancel) throws -> IndexDefinition {
        let index = try Self.makeEmpty(definition, table: table)
        guard let column = table.columnIndex(definition.columns[0]) else {
            throw VireoError(.undefinedColumn, "column \"\(definition.columns[0])\" does not exist")
        }
        var labels: [Int64] = []
        var vectors: [Float] = []
        try transaction.scanRows(table) { rowID, record in
            try cancel.check()
            guard column < record.columnCount else { return true }
            let value = try record.value(at: column)
            try IndexedVector.checkIndexable(value)
            if let vector = IndexedVector.floats(value) {
                labels.append(rowID)
                vectors += vector
            }
            return true
        }
        try index.insert(labels: labels, vectors: vectors, threads: 2, shouldStop: { cancel.isRaised })
        try cancel.check()
        var result = definition
        result.root = try writeSnapshot(index, in: transaction)
        result.deltaRoot = try BTree.create(in: transaction.pages).root
        lock.withLock {
            loaded[definition.name] = index
            currentGeneration.store(Self.newGeneration(), ordering: .releasing)
            uncommittedBuilds[definition.name] = result.root
            exactness.forget(definition.name)
        }
        return result
    }

    private func writeSnapshot(_ index: HNSWIndex, in transaction: StoreTransaction) throws -> PageNumber {
        try Blob.write(in: transaction.pages) { append in try index.serialize(to: append) }
    }

    /// After a commit published as `version`, under the writer gate (between the commit's
    /// `exactness.begin` and `end`): applies the committed changes of `rowIDs` to the loaded
    /// indexes. It cannot fail the commit, which is durable already: an index it cannot
    /// bring up to date is dropped from memory and loads again (snapshot plus change tree)
    /// when next used. An index this commit built (CREATE INDEX) now holds committed rows.
    func applyCommitted(_ changes: [String: Set<Int64>], catalog: Catalog, version: UInt64) {
        defer { markCommittedBuilds(catalog: catalog); exactness.applied(version: version) }
        lock.withLock { commitCount &+= 1 }
        for (name, rowIDs) in changes {
            guard let (table, definition) = catalog.index(name), let index = lock.withLock({ loaded[name] }) else { continue }
            do {
                try store.read { snapshot in
                    try refresh(index, definition: definition, table: table, rowIDs: Array(rowIDs), data: .snapshot(snapshot),
                                shouldStop: { catchUpStopped.load(ordering: .relaxed) })
                }
                noteChanges(name, count: rowIDs.count, indexCount: index.count)
            } catch {
                forget(name)
            }
        }
    }

    /// From now on a commit drops the loaded indexes it changed from memory instead of
    /// bringing them up to date (one it is bringing up to date stops at its next row): for
    /// a server shutting down, which must not wait for an index catch-up (thousands of
    /// graph inserts after a large file's last commit). Nothing is lost: a dropped index
    /// loads again from its snapshot and change tree, which the commit wrote, when next used.
    func stopCatchingUp() { catchUpStopped.store(true, ordering: .relaxed) }

    private struct CatchUpStopped: Error {}

    private func markCommittedBuilds(catalog: Catalog) {
        lock.withLock {
            for (name, root) in uncommittedBuilds {
                guard catalog.index(name)?.index.root == root, let index = loaded[name] else { continue }
                uncommittedBuilds[name] = nil
                exactness.markExact(name, index)
            }
        }
    }

    /// Counts changes since the last snapshot; past a share of the index, the next commit
    /// writes a fresh snapshot (and the change tree starts empty).
    private func noteChanges(_ name: String, count: Int, indexCount: Int) {
        lock.withLock {
            changedSinceSnapshot[name, default: 0] += count
            if changedSinceSnapshot[name, default: 0] >= max(Self.rewriteRowsMin, Int(Double(indexCount) * Self.rewriteFraction)) {
                pendingRewrite.insert(name)
            }
        }
    }

    /// Writes fresh snapshots for indexes whose change trees have grown (or all of them,
    /// with `all`, at close), each in its own transaction. After a commit it does not wait
    /// for the writer gate (a schema change may hold it): it throws, and a later commit
    /// tries again; at close (`all`) it waits.
    func rewriteSnapshots(all: Bool = false) throws {
        let names = lock.withLock { all ? Set(loaded.keys) : pendingRewrite }
        for name in names {
            try store.write(waiting: all) { transaction in
                guard let (_, definition) = transaction.catalog.index(name), let index = lock.withLock({ loaded[name] }),
                      let deltaRoot = definition.deltaRoot else { return }
                if try BTree(root: deltaRoot).count(in: transaction.pages) == 0 { return }
                var updated = definition
                if definition.root != 0 { try Blob.free(first: definition.root, in: transaction.pages) }
                try BTree(root: deltaRoot).destroy(in: transaction.pages)
                updated.root = try writeSnapshot(index, in: transaction)
                updated.deltaRoot = try BTree.create(in: transaction.pages).root
                try transaction.updateIndex(updated)
            }
            lock.withLock {
                _ = pendingRewrite.remove(name)
                changedSinceSnapshot[name] = 0
            }
        }
    }

    /// Forgets an index (DROP INDEX, DROP TABLE, or a rolled-back CREATE INDEX).
    func forget(_ name: String) {
        lock.withLock {
            _ = loaded.removeValue(forKey: name)
            currentGeneration.store(Self.newGeneration(), ordering: .releasing)
            pendingRewrite.remove(name)
            uncommittedBuilds[name] = nil
            exactness.forget(name)
        }
    }
}

/// The settings of an HNSW index, from its definition and its column.
struct VectorIndexOptions {
    var metric: VectorMetric
    var m: Int
    var efConstruction: Int
    var dimension: Int
    /// int8 or binary keeps codes in the graph and re-ranks from the table's rows (`vectorSource`).
    var quantization: VectorQuantization

    init(_ definition: IndexDefinition, table: TableDefinition) throws {
        guard let column = table.columns.first(where: { $0.name == definition.columns.first }),
              let dimension = IndexedVector.dimension(of: column.type) else {
            throw VireoError(.dataException, "column \"\(definition.columns.first ?? "")\" is not a vector column")
        }
        self.dimension = dimension
        metric = IndexedVector.graphMetric(definition.options["metric"] ?? "l2")
        m = Int(definition.options["m"] ?? "") ?? 16
        efConstruction = Int(definition.options["ef_construction"] ?? "") ?? 64
        quantization = VectorQuantization(rawValue: definition.options["quantization"] ?? "none") ?? .none
    }
}

extension DataAccess {
    /// The vectors an int8 or binary index re-ranks with (a binary one also links by): column `column` of `table`'s rows as this
    /// statement sees them (its snapshot, or its transaction with its own changes), read
    /// from the table's pages; so a row deleted or updated since the index saw it is
    /// skipped or re-ranked by its current vector.
    func vectorSource(_ table: TableDefinition, column: Int) -> (any VectorSource)? {
        switch self {
        case .snapshot(let snapshot): TableVectorSource(rows: snapshot, table: table, column: column)
        case .transaction(let transaction): TableVectorSource(rows: transaction, table: table, column: column)
        case .none: nil
        }
    }
}
