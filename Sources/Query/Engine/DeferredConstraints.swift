import VireoStorage

/// The open transaction's FOREIGN KEY checks put off to its commit, and SET CONSTRAINTS'
/// modes, as PostgreSQL 15 keeps them:
///
///   D1. A key declared DEFERRABLE is checked when the statement ends (INITIALLY IMMEDIATE)
///       or at the commit (INITIALLY DEFERRED); `SET CONSTRAINTS … DEFERRED | IMMEDIATE`
///       changes that for the rest of the transaction (ALL, then names, last one wins).
///   D2. Only the checks are put off: that a referencing row's key is present, and NO
///       ACTION's "still referenced". CASCADE, SET NULL, SET DEFAULT and RESTRICT act when
///       the statement ends, deferrable or not.
///   D3. A put-off check looks at the transaction's rows as they are when it runs (at the
///       commit, or at a SET CONSTRAINTS … IMMEDIATE): a row fixed in between passes, a
///       row gone is not checked.
///   D4. A failed check at COMMIT rolls the transaction back (23503).
///   D5. ROLLBACK TO SAVEPOINT restores the queue and the modes as they were at the
///       savepoint (`Snapshot`): the checks queued after it are dropped, a SET CONSTRAINTS
///       made after it is undone, and checks a SET CONSTRAINTS … IMMEDIATE after it took
///       (and failed) are queued again. RELEASE keeps everything.
final class DeferredConstraints {
    struct Reference {
        var table: String
        var key: ForeignKeyDefinition
        var rowID: Int64
    }

    struct StillReferenced {
        var child: String
        var key: ForeignKeyDefinition
        var parent: String
        var oldKey: [Value]
    }

    private(set) var references: [Reference] = []
    private(set) var stillReferenced: [StillReferenced] = []
    /// `SET CONSTRAINTS ALL …`: deferred (true) or immediate, for every deferrable key.
    private var allDeferred: Bool?
    /// `SET CONSTRAINTS name …` since the last ALL, by constraint name.
    private var deferredByName: [String: Bool] = [:]

    var isEmpty: Bool { references.isEmpty && stillReferenced.isEmpty }

    /// The queue and the modes as a savepoint keeps them (D5).
    struct Snapshot {
        fileprivate let references: [Reference]
        fileprivate let stillReferenced: [StillReferenced]
        fileprivate let allDeferred: Bool?
        fileprivate let deferredByName: [String: Bool]
    }

    func snapshot() -> Snapshot {
        Snapshot(references: references, stillReferenced: stillReferenced, allDeferred: allDeferred, deferredByName: deferredByName)
    }

    func restore(_ snapshot: Snapshot) {
        references = snapshot.references
        stillReferenced = snapshot.stillReferenced
        allDeferred = snapshot.allDeferred
        deferredByName = snapshot.deferredByName
    }

    /// Whether `key`'s checks wait for the commit now (D1).
    func defers(_ key: ForeignKeyDefinition) -> Bool {
        key.deferrable && (deferredByName[key.name] ?? allDeferred ?? key.initiallyDeferred)
    }

    func add(_ reference: Reference) { references.append(reference) }
    func add(_ check: StillReferenced) { stillReferenced.append(check) }

    /// SET CONSTRAINTS: `names` nil is ALL.
    func set(_ names: Set<String>?, deferred: Bool) {
        guard let names else {
            allDeferred = deferred
            deferredByName = [:]
            return
        }
        for name in names { deferredByName[name] = deferred }
    }

    /// Takes the put-off checks whose keys are no longer deferred (all of them at commit).
    func takeDue(all: Bool) -> (references: [Reference], stillReferenced: [StillReferenced]) {
        let isDue = { (key: ForeignKeyDefinition) in all || !self.defers(key) }
        let due = (references.filter { isDue($0.key) }, stillReferenced.filter { isDue($0.key) })
        references.removeAll { isDue($0.key) }
        stillReferenced.removeAll { isDue($0.key) }
        return due
    }

    /// Forgets checks and modes, at the transaction's end.
    func reset() {
        references = []
        stillReferenced = []
        allDeferred = nil
        deferredByName = [:]
    }
}

extension Session {
    /// `SET CONSTRAINTS`: outside a block it does nothing (PostgreSQL warns); a name must
    /// be a constraint (42704) that is deferrable (42809). Checks made immediate run now.
    func setConstraints(_ names: [TableName]?, deferred: Bool) throws -> QueryResult {
        guard inTransactionBlock else { return QueryResult(commandTag: "SET CONSTRAINTS") }
        blockHasRunStatement = true
        let catalog = transaction?.catalog ?? database.store.catalog
        let chosen = try names.map { try Set($0.map { try deferrableConstraint($0.name, in: catalog) }) }
        deferredConstraints.set(chosen, deferred: deferred)
        if !deferred, let transaction { try runDeferredChecks(transaction, all: false) }
        return QueryResult(commandTag: "SET CONSTRAINTS")
    }

    private func deferrableConstraint(_ name: String, in catalog: Catalog) throws -> String {
        let tables = catalog.tables.values
        if tables.contains(where: { $0.foreignKeys.contains { $0.name == name && $0.deferrable } }) { return name }
        let exists = tables.contains { table in
            table.foreignKeys.contains { $0.name == name } || table.checks.contains { $0.name == name }
                || SystemCatalog.indexEntries(table).contains { $0.name == name && $0.constraintType != nil }
        }
        guard exists else { throw VireoError(.undefinedObject, "constraint \"\(name)\" does not exist") }
        throw VireoError(.wrongObjectType, "constraint \"\(name)\" is not deferrable")
    }

    /// Runs the put-off checks that are due: those made immediate, or all before a commit (D4:
    /// the caller rolls back when this throws).
    func runDeferredChecks(_ transaction: StoreTransaction, all: Bool) throws {
        guard !deferredConstraints.isEmpty else { return }
        let due = deferredConstraints.takeDue(all: all)
        try withContext(.transaction(transaction), []) { context in
            let enforcer = ForeignKeyEnforcer(transaction, context) { _, _ in }
            try enforcer.check(due.references, due.stillReferenced)
        }
    }
}
