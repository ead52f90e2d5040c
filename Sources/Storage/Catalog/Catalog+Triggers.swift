// Triggers (CREATE TRIGGER … EXECUTE FUNCTION f(…)). A trigger belongs to its table and is
// kept in the table's definition, so that DROP TABLE drops it and RENAME keeps it; the
// query layer fires it (Query/Engine/Triggers.swift).
//
// Format: an optional field of TableDefinition; a table without triggers has the catalog
// entry an older build wrote.
//
// Invariants:
//   T1. No two triggers of one table have the same name.
//   T2. `function` names a function of the catalog returning `trigger` when the trigger was
//       made; DROP FUNCTION refuses to drop it while a trigger calls it (CASCADE drops
//       those triggers).

/// One trigger: when it fires, on what, and the function it calls (pg_trigger's row).
public struct TriggerDefinition: Codable, Sendable, Hashable {
    public var name: String
    /// Fixed at CREATE TRIGGER, kept by CREATE OR REPLACE.
    public var oid: Int64
    /// "before" or "after".
    public var timing: String
    /// Some of "insert", "update", "delete", in the order written.
    public var events: [String]
    /// `UPDATE OF a, b`: fires only when the statement sets one of these (absent: any).
    public var updateColumns: [String]?
    /// FOR EACH ROW (else FOR EACH STATEMENT).
    public var forEachRow: Bool
    /// `WHEN (condition)` as SQL text (absent: always).
    public var condition: String?
    /// The signature of the function called, `name()`.
    public var function: String
    /// The literal arguments written after the function's name (TG_ARGV).
    public var arguments: [String]
    /// ALTER TABLE … DISABLE TRIGGER (absent: enabled).
    public var isDisabled: Bool?

    public init(name: String, oid: Int64, timing: String, events: [String], updateColumns: [String]?, forEachRow: Bool,
                condition: String?, function: String, arguments: [String]) {
        self.name = name
        self.oid = oid
        self.timing = timing
        self.events = events
        self.updateColumns = updateColumns
        self.forEachRow = forEachRow
        self.condition = condition
        self.function = function
        self.arguments = arguments
    }
}

extension TableDefinition {
    /// The table's triggers (none when the stored definition has no list), in name order.
    public var triggers: [TriggerDefinition] {
        get { triggerDefinitions ?? [] }
        set { triggerDefinitions = newValue.isEmpty ? nil : newValue.sorted { $0.name < $1.name } }
    }
}

extension StoreTransaction {
    /// Replaces the triggers of table `tableName` (the query layer has checked them).
    public func setTriggers(_ triggers: [TriggerDefinition], of tableName: String) throws {
        try step {
            var table = try catalog.table(tableName)
            table.triggers = triggers
            setTable(table)
        }
    }
}
