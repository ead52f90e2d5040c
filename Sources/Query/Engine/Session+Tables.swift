import VireoStorage

extension Session {
    /// The tables this session sees (its own uncommitted DDL included), sorted by name:
    /// what a server lists and describes without reaching into storage itself.
    public func tableDefinitions() throws -> [TableDefinition] {
        try read { $0.catalog }.tables.values.sorted { $0.name < $1.name }
    }

    /// The table called `name`; an `undefined_table` error when there is none.
    public func tableDefinition(_ name: String) throws -> TableDefinition {
        try read { $0.catalog }.table(name, schema: nil)
    }
}
