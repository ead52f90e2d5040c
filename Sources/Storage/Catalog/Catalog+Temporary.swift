// Temporary tables (CREATE TEMP TABLE) are stored as ordinary tables whose name carries
// their session's schema: `pg_temp_<session>.<name>`, as PostgreSQL keeps them in a schema
// of their session. They are written through the WAL like any table (PostgreSQL does not
// log them; nothing requires that they are not), and they never outlive their session:
// the session drops them when it ends, and opening a database drops every one left by a
// process that died (no session of a closed process can still use them).
//
// A name written without a schema is looked up in the running session's temporary schema
// first (`TemporarySchema.current`, bound by the session while its statements run), so a
// temporary table hides a permanent one of the same name for that session only. That
// lookup happens once, where a statement names its tables (`resolve(_:schema:)`, which
// also honours `public.t` and `pg_temp.t`); from there on tables go by their stored name
// (`table(_:)`), so that a statement changing `public.t` never slides onto the temporary
// `t` in its foreign key checks, its index updates or its storage calls.

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
    /// The stored name `name` written without a schema refers to in the running session:
    /// its temporary table of that name when it has one (PostgreSQL searches pg_temp
    /// first), else `name`.
    public func resolve(_ name: String) -> String {
        guard let schema = TemporarySchema.current else { return name }
        let temporary = TemporarySchema.storedName(name, schema: schema)
        return tables[temporary] != nil ? temporary : name
    }

    /// The stored name of the relation SQL writes as `schema.name`, the one place where a
    /// written schema is honoured: without one, as `resolve(_:)` finds it; `pg_temp` (or
    /// the session's own `pg_temp_3`), only the session's temporary table (nil when it has
    /// none of that name; another session's schema has none); another schema (`public.t`),
    /// the permanent `name`, even where a temporary table of that name hides it.
    public func resolve(_ name: String, schema: String?) -> String? {
        guard let schema else { return resolve(name) }
        guard schema == "pg_temp" || schema.hasPrefix(TemporarySchema.prefix) else { return name }
        guard let current = TemporarySchema.current, schema == "pg_temp" || schema == current else { return nil }
        let stored = TemporarySchema.storedName(name, schema: current)
        return tables[stored] != nil ? stored : nil
    }

    /// The table SQL names `schema.name` (`resolve(_:schema:)`), or an `undefinedTable` error
    /// that names the schema when one was written (`relation "public.t" does not exist`).
    public func table(_ name: String, schema: String?) throws -> TableDefinition {
        guard let stored = resolve(name, schema: schema), schema == nil || tables[stored] != nil || views[stored] != nil else {
            throw VireoError(.undefinedTable, "relation \"\(schema ?? "").\(name)\" does not exist")
        }
        return try table(stored)
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
