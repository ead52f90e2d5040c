// Temporary tables (CREATE TEMP TABLE) are stored as ordinary tables whose name carries
// their session's schema: `pg_temp_<session>.<name>`, as PostgreSQL keeps them in a schema
// of their session. They are written through the WAL like any table (PostgreSQL does not
// log them; nothing requires that they are not), and they never outlive their session:
// the session drops them when it ends, and opening a database drops every one left by a
// process that died (no session of a closed process can still use them).
//
// A name written without a schema is looked up in the running session's temporary schema
// first (`TemporarySchema.current`, bound by the session while its statements run), so a
// temporary table hides a permanent one of the same name for that session only.

/// The temporary schema of the session whose statement runs on this thread (nil: the
/// session has no temporary tables, and names mean permanent relations only).
public enum TemporarySchema {
    @TaskLocal public static var current: String?

    /// What every temporary schema's name begins with.
    public static let prefix = "pg_temp_"

    /// The schema of session number `session`.
    public static func name(session: Int) -> String { prefix + String(session) }

    /// The stored name of the temporary table `name` in `schema`.
    public static func storedName(_ name: String, schema: String) -> String { schema + "." + name }

    /// `(schema, name)` of a stored temporary table's name, nil for a permanent relation.
    public static func split(_ storedName: String) -> (schema: String, name: String)? {
        guard storedName.hasPrefix(prefix), let dot = storedName.firstIndex(of: ".") else { return nil }
        return (String(storedName[..<dot]), String(storedName[storedName.index(after: dot)...]))
    }
}

extension TableDefinition {
    /// The name as SQL writes it: without the temporary schema of a temporary table.
    public var visibleName: String { TemporarySchema.split(name)?.name ?? name }

    /// Whether the table is a session's temporary table.
    public var isTemporary: Bool { TemporarySchema.split(name) != nil }
}

extension Catalog {
    /// The stored name `name` refers to in the running session: its temporary table of
    /// that name when it has one (PostgreSQL searches pg_temp first), else `name`.
    public func resolve(_ name: String) -> String {
        guard let schema = TemporarySchema.current else { return name }
        let temporary = TemporarySchema.storedName(name, schema: schema)
        return tables[temporary] != nil ? temporary : name
    }

    /// The table `schema.name` names: without a schema, as `table(_:)` finds it; in
    /// `pg_temp`, only the session's temporary table; in another schema (`public.t`), only
    /// a permanent one, even when a temporary table of that name hides it.
    public func table(_ name: String, schema: String?) throws -> TableDefinition {
        switch schema {
        case nil:
            return try table(name)
        case "pg_temp"?:
            let stored = resolve(name)
            guard TemporarySchema.split(stored) != nil else {
                throw VireoError(.undefinedTable, "relation \"pg_temp.\(name)\" does not exist")
            }
            return try table(stored)
        default:
            return try TemporarySchema.$current.withValue(nil) { try table(name) }
        }
    }

    /// The temporary tables of `schema` (one session's), by stored name.
    public func temporaryTables(of schema: String) -> [TableDefinition] {
        let prefix = schema + "."
        return tables.values.filter { $0.name.hasPrefix(prefix) }.sorted { $0.name < $1.name }
    }

    /// Every session's temporary tables.
    public var allTemporaryTables: [TableDefinition] {
        tables.values.filter(\.isTemporary).sorted { $0.name < $1.name }
    }
}
