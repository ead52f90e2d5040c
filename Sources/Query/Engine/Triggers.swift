import VireoStorage

// Triggers: CREATE TRIGGER and DROP TRIGGER, and the firing of a table's triggers by INSERT,
// UPDATE and DELETE, as PostgreSQL fires them. A trigger calls a LANGUAGE plpgsql function
// returning `trigger`, run with NEW, OLD and the TG_ variables (PLpgSQL/PLInterpreter.swift).
//
// - BEFORE … FOR EACH ROW runs before the row is written, in trigger name order; the row its
//   function returns is the one written (NEW changed by assignments), NULL skips the row
//   (and the later triggers). Generated columns and CHECK constraints are computed after it.
// - AFTER … FOR EACH ROW runs once the statement has written all its rows, for each row in
//   the order written; its result is ignored.
// - FOR EACH STATEMENT runs once per statement, before or after it, even when it changes no
//   row.
// - The function's SQL runs in the statement's transaction and sees what it wrote so far;
//   an error in it fails the statement.
// - COPY FROM runs multi-row INSERTs: row triggers fire for each row, statement triggers
//   once per INSERT of a batch.
// - MERGE fires the triggers of each kind of action it has: statement triggers once each,
//   row triggers per row acted on.
// - INSERT … ON CONFLICT DO UPDATE fires the UPDATE triggers too: statement triggers
//   always, row triggers for each existing row it updates.
// - Not fired: by TRUNCATE (which fires no DELETE trigger in PostgreSQL either) and by a
//   foreign key's ON DELETE / ON UPDATE action.

extension Session {
    /// Triggers calling triggers nest at most this deep (PostgreSQL's stack limit, 54001).
    static let triggerDepthMax = 32

    func runTriggerCommand(_ command: FunctionCommand, _ transaction: StoreTransaction) throws {
        switch command {
        case .createTrigger(let statement): try createTrigger(statement, transaction)
        case .dropTrigger(let statement): try dropTrigger(statement, transaction)
        default: throw VireoError(.internalError, "not a trigger command")
        }
    }

    private func createTrigger(_ statement: CreateTrigger, _ transaction: StoreTransaction) throws {
        let catalog = transaction.catalog
        if catalog.view(statement.table) != nil {
            throw VireoError(.wrongObjectType, "\"\(statement.table.name)\" is a view",
                             detail: "Views cannot have row-level BEFORE or AFTER triggers.")
        }
        let table = try catalog.table(statement.table)
        if table.materializedQuery != nil {
            throw VireoError(.wrongObjectType, "\"\(statement.table.name)\" is a materialized view",
                             detail: "This operation is not supported for materialized views.")
        }
        let signature = FunctionDefinition.signature(statement.function, [])
        guard let function = catalog.functions[signature] else {
            throw VireoError(.undefinedFunction, "function \(signature) does not exist")
        }
        guard function.returnType == "trigger" else {
            throw VireoError(.invalidObjectDefinition, "function \(statement.function) must return type trigger")
        }
        for column in statement.updateColumns ?? [] where table.columnIndex(column) == nil {
            throw VireoError(.undefinedColumn, "column \"\(column)\" of relation \"\(table.name)\" does not exist")
        }
        if let condition = statement.condition {
            try Self.checkTriggerCondition(condition, statement)
        }
        var triggers = table.triggers
        let existing = triggers.firstIndex { $0.name == statement.name }
        if existing != nil, !statement.orReplace {
            throw VireoError(.duplicateObject, "trigger \"\(statement.name)\" for relation \"\(table.name)\" already exists")
        }
        let trigger = TriggerDefinition(
            name: statement.name, oid: existing.map { triggers[$0].oid } ?? SystemCatalog.oid(ofObject: "trigger \(table.name).\(statement.name)"),
            timing: statement.timing, events: statement.events, updateColumns: statement.updateColumns,
            forEachRow: statement.forEachRow, condition: statement.condition, function: signature, arguments: statement.arguments)
        if let existing { triggers[existing] = trigger } else { triggers.append(trigger) }
        try transaction.setTriggers(triggers, of: table.name)
    }

    /// PostgreSQL's checks of WHEN: no row values in a statement trigger, no OLD in an INSERT
    /// trigger, no NEW in a DELETE trigger.
    private static func checkTriggerCondition(_ condition: String, _ statement: CreateTrigger) throws {
        _ = try PLProgram("BEGIN RETURN \(condition); END")
        let text = " " + condition.lowercased()
        func mentions(_ record: String) -> Bool { text.contains(" \(record).") || text.contains("(\(record).") }
        if !statement.forEachRow, mentions("new") || mentions("old") {
            throw VireoError(.featureNotSupported, "statement trigger's WHEN condition cannot reference column values")
        }
        if statement.events.contains("insert"), mentions("old") {
            throw VireoError(.invalidObjectDefinition, "INSERT trigger's WHEN condition cannot reference OLD values")
        }
        if statement.events.contains("delete"), mentions("new") {
            throw VireoError(.invalidObjectDefinition, "DELETE trigger's WHEN condition cannot reference NEW values")
        }
    }

    private func dropTrigger(_ statement: DropTrigger, _ transaction: StoreTransaction) throws {
        let table = try transaction.catalog.table(statement.table)
        guard table.triggers.contains(where: { $0.name == statement.name }) else {
            if statement.ifExists {
                raise(Notice(.notice, "trigger \"\(statement.name)\" for relation \"\(table.name)\" does not exist, skipping"))
                return
            }
            throw VireoError(.undefinedObject, "trigger \"\(statement.name)\" for table \"\(table.name)\" does not exist")
        }
        try transaction.setTriggers(table.triggers.filter { $0.name != statement.name }, of: table.name)
    }

    /// ALTER TABLE … ENABLE / DISABLE TRIGGER name (nil: every trigger of the table; FOREIGN
    /// KEYs, which PostgreSQL's ALL also turns off, are still checked).
    func enableTriggers(_ name: String?, enabled: Bool, of table: TableDefinition, _ transaction: StoreTransaction) throws {
        if let name, !table.triggers.contains(where: { $0.name == name }) {
            throw VireoError(.undefinedObject, "trigger \"\(name)\" for table \"\(table.name)\" does not exist")
        }
        try transaction.setTriggers(table.triggers.map { trigger in
            var trigger = trigger
            if name == nil || trigger.name == name { trigger.isDisabled = enabled ? nil : true }
            return trigger
        }, of: table.name)
    }

    /// DROP FUNCTION of a function triggers call: 2BP01, or with CASCADE those triggers go too.
    func dropTriggersCalling(_ signature: String, cascade: Bool, _ transaction: StoreTransaction) throws {
        let callers = transaction.catalog.tables.values.sorted { $0.name < $1.name }.flatMap { table in
            table.triggers.filter { $0.function == signature }.map { (table: table.name, trigger: $0.name) }
        }
        guard !callers.isEmpty else { return }
        let lines = callers.map { "trigger \($0.trigger) on table \($0.table) depends on function \(signature)" }
        guard cascade else {
            throw VireoError(.dependentObjectsStillExist, "cannot drop function \(signature) because other objects depend on it",
                             hint: "Use DROP ... CASCADE to drop the dependent objects too.", detail: lines.joined(separator: "\n"))
        }
        for caller in callers {
            raise(Notice(.notice, "drop cascades to trigger \(caller.trigger) on table \(caller.table)"))
            let table = try transaction.catalog.table(caller.table)
            try transaction.setTriggers(table.triggers.filter { $0.name != caller.trigger }, of: table.name)
        }
    }

    /// Runs `body` (a trigger's function) with `transaction` as the session's, so that the SQL
    /// it runs joins the statement that fired it: outside a transaction block that statement
    /// has a transaction of its own, which the function must neither leave nor commit.
    func joiningStatement<R>(_ transaction: StoreTransaction, _ body: () throws -> R) throws -> R {
        guard triggerDepth < Self.triggerDepthMax else {
            throw VireoError(.statementTooComplex, "stack depth limit exceeded",
                             hint: "Triggers nest \(Self.triggerDepthMax) deep at most: does a trigger change its own table?")
        }
        triggerDepth += 1
        defer { triggerDepth -= 1 }
        if inTransactionBlock { return try body() }
        let saved = (blockModes, blockHasRunStatement)
        inTransactionBlock = true
        self.transaction = transaction
        blockModes = defaultTransactionModes
        blockHasRunStatement = true
        defer {
            inTransactionBlock = false
            self.transaction = nil
            (blockModes, blockHasRunStatement) = saved
        }
        return try body()
    }
}

/// The triggers one statement fires on its table, loaded once per statement (nil for a
/// table with none for the event, which is most tables: they pay a filter of an empty list).
final class StatementTriggers {
    private struct Loaded {
        let definition: TriggerDefinition
        let function: PLProgram
        let condition: PLProgram?
    }

    private let session: Session
    private let transaction: StoreTransaction
    private let table: TableDefinition
    private let event: String
    private let beforeRow: [Loaded], afterRow: [Loaded], beforeStatement: [Loaded], afterStatement: [Loaded]
    /// TG_RELID.
    private let relationID: Int64
    /// NEW's and OLD's fields, and the types an assignment to one casts to.
    private let columns: [ResultColumn]
    private let fieldTypes: [TypeName?]
    /// The rows AFTER … FOR EACH ROW fires for at the end of the statement.
    private var written: [(old: [Value]?, new: [Value]?)] = []

    /// The triggers of `table` for `event` ("insert", "update", "delete"); for an UPDATE,
    /// `assigned` are the columns its SET list names (UPDATE OF fires only for those).
    init?(_ session: Session, _ table: TableDefinition, event: String, assigned: Set<Int> = [], _ transaction: StoreTransaction) throws {
        let fired = table.triggers.filter { trigger in
            guard trigger.isDisabled != true, trigger.events.contains(event) else { return false }
            guard event == "update", let columns = trigger.updateColumns else { return true }
            return columns.contains { table.columnIndex($0).map(assigned.contains) ?? false }
        }
        guard !fired.isEmpty else { return nil }
        let loaded = try fired.map { trigger -> Loaded in
            guard let function = transaction.catalog.functions[trigger.function] else {
                throw VireoError(.undefinedFunction, "function \(trigger.function) does not exist")
            }
            let condition = try trigger.condition.map { try PLProgram("BEGIN RETURN \($0); END") }
            return Loaded(definition: trigger, function: try PLProgram(function.body), condition: condition)
        }
        func part(_ timing: String, row: Bool) -> [Loaded] {
            loaded.filter { $0.definition.timing == timing && $0.definition.forEachRow == row }
        }
        (beforeRow, afterRow) = (part("before", row: true), part("after", row: true))
        (beforeStatement, afterStatement) = (part("before", row: false), part("after", row: false))
        self.session = session
        self.transaction = transaction
        self.table = table
        self.event = event
        relationID = SystemCatalog.relationOID(table.name, transaction.catalog) ?? 0
        columns = table.columns.map { ResultColumn(name: $0.name, type: SQLType($0.type)) }
        fieldTypes = table.columns.map(PLRun.typeName)
    }

    /// BEFORE … FOR EACH STATEMENT.
    func statementStarts() throws {
        for trigger in beforeStatement { _ = try fire(trigger, old: nil, new: nil) }
    }

    /// BEFORE … FOR EACH ROW: the row to write (`new`, as the functions changed it, or `old`
    /// for a DELETE), or nil when one of them returned NULL and the row is skipped.
    func rowStarts(old: [Value]?, new: [Value]?) throws -> [Value]? {
        var row = new ?? old
        for trigger in beforeRow {
            guard let current = row else { return nil }
            switch try fire(trigger, old: old, new: new == nil ? nil : current) {
            case .returnedRow(let returned):
                guard var returned else { return nil }
                guard returned.count == columns.count else {
                    throw VireoError(.typeMismatch, "returned row structure does not match the structure of the triggering table")
                }
                if new == nil { returned = current }
                row = returned
            case nil: continue
            default:
                throw VireoError.raised(sqlState: "2F005", "control reached end of trigger procedure without RETURN")
            }
        }
        return row
    }

    /// A row written: AFTER … FOR EACH ROW fires for it when the statement ends.
    func rowWritten(old: [Value]?, new: [Value]?) {
        if !afterRow.isEmpty { written.append((old, new)) }
    }

    /// The end of the statement: AFTER … FOR EACH ROW for each row written, in order, then
    /// AFTER … FOR EACH STATEMENT.
    func statementEnds() throws {
        let rows = written
        written = []
        for row in rows {
            for trigger in afterRow { _ = try fire(trigger, old: row.old, new: row.new) }
        }
        for trigger in afterStatement { _ = try fire(trigger, old: nil, new: nil) }
    }

    /// Runs one trigger's function; nil when its WHEN condition is not true.
    private func fire(_ trigger: Loaded, old: [Value]?, new: [Value]?) throws -> PLFlow? {
        let variables = self.variables(trigger.definition, old: old, new: new)
        return try session.joiningStatement(transaction) {
            if let condition = trigger.condition {
                let flow = try PLRun(condition.syntax, session: session, triggerVariables: variables, returnsRow: false).run(condition.body)
                guard case .returned(let result?) = flow, result.0 == .bool(true) else { return nil }
            }
            try session.statementCancel.check()
            return try PLRun(trigger.function.syntax, session: session, triggerVariables: variables).run(trigger.function.body)
        }
    }

    /// NEW, OLD and the TG_ variables of one firing.
    private func variables(_ trigger: TriggerDefinition, old: [Value]?, new: [Value]?) -> [String: PLVariable] {
        func record(_ values: [Value]?) -> PLVariable {
            var variable = PLVariable()
            variable.row = (columns, values.map { Array($0.prefix(columns.count)) } ?? columns.map { _ in .null })
            variable.isNullRecord = values == nil
            variable.fieldTypes = fieldTypes
            return variable
        }
        func text(_ value: String) -> PLVariable { PLVariable(type: .text, typeName: .text, value: .text(value)) }
        return [
            "new": record(new), "old": record(old),
            "tg_name": text(trigger.name), "tg_when": text(trigger.timing.uppercased()),
            "tg_level": text(trigger.forEachRow ? "ROW" : "STATEMENT"), "tg_op": text(event.uppercased()),
            "tg_relid": PLVariable(type: .oid, typeName: .other(name: "oid", modifiers: []), value: .int(relationID)),
            "tg_relname": text(table.name), "tg_table_name": text(table.name), "tg_table_schema": text("public"),
            "tg_nargs": PLVariable(type: .integer, typeName: .integer, value: .int(Int64(trigger.arguments.count))),
            "tg_argv": PLVariable(type: .array(.text), typeName: .array(.text), value: .array(trigger.arguments.map(Value.text))),
        ]
    }
}
