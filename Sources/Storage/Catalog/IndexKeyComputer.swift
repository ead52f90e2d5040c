/// The keys of indexes over expressions and of partial indexes. Storage keeps every index
/// in the row's own transaction but cannot evaluate SQL, so the query layer installs the
/// computation once per process (it depends only on the definitions, never on data).
public protocol IndexKeyComputer: Sendable {
    /// The key values `row` (one value per column of `table`) puts in `index`, or nil when
    /// the row is not in it (a partial index whose predicate is not true for it).
    func keyValues(_ index: IndexDefinition, table: TableDefinition, row: [Value]) throws -> [Value]?

    /// The terms a gin index over a non-tsvector key (jsonb) lists `key` under, each at most
    /// `InvertedIndex.termSizeBytesMax` bytes; a query's terms are derived the same way.
    func invertedTerms(_ index: IndexDefinition, key: Value) throws -> [String]
}

/// Where the process's IndexKeyComputer is installed.
public enum IndexKeys {
    private static let lock = Lock()
    nonisolated(unsafe) private static var installed: IndexKeyComputer?

    /// Installs the computation (the query layer does, when it opens a database).
    public static func install(_ computer: IndexKeyComputer) {
        lock.withLock { installed = computer }
    }

    /// The key values of `row` in `index` (nil: the row is not in it). Plain column keys
    /// are read directly; expressions and predicates go to the installed computer.
    public static func values(_ index: IndexDefinition, table: TableDefinition, row: [Value]) throws -> [Value]? {
        guard index.isComputed else {
            return index.columns.map { name in table.columnIndex(name).map { row[$0] } ?? .null }
        }
        guard let computer = lock.withLock({ installed }) else {
            throw VireoError(.featureNotSupported, "index \"\(index.name)\" has expressions or a predicate, which only the query layer evaluates")
        }
        return try computer.keyValues(index, table: table, row: row)
    }

    /// The terms of `key` in a gin index with an operator class other than tsvector_ops.
    public static func invertedTerms(_ index: IndexDefinition, key: Value) throws -> [String] {
        guard let computer = lock.withLock({ installed }) else {
            throw VireoError(.featureNotSupported, "index \"\(index.name)\" is a gin index over jsonb, whose terms only the query layer computes")
        }
        return try computer.invertedTerms(index, key: key)
    }
}
