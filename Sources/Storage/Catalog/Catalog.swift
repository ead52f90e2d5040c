// Catalog — the schema, stored inside the database file in the B+tree whose root the
// meta page names. Entries:
//
//   key "t/<table name>"     value: JSON of TableDefinition
//   key "s/<sequence name>"  value: the sequence's state (Catalog+Sequences.swift)
//   key "q/<sequence name>"  value: JSON of SequenceDefinition (Catalog+Sequences.swift)
//   key "v/<view name>"      value: JSON of ViewDefinition (CREATE VIEW, issue 10)
//   key "y/<type name>"      value: JSON of EnumType (CREATE TYPE … AS ENUM, Catalog+Types.swift)
//   key "f/<name>(<types>)"  value: JSON of FunctionDefinition (CREATE FUNCTION, Catalog+Functions.swift)
//   key "d/<domain name>"    value: JSON of DomainDefinition (CREATE DOMAIN, Catalog+Domains.swift)
//
// A table's row-key form is in its TableDefinition ("rowKeys": "compact", absent for the
// fixed 8-byte keys of tables created before format version 3, KeyCodec+RowID.swift).
// Creating a compact-keyed table raises the file to format version 3 in the same
// transaction: an older build ignores unknown fields, so the version is what makes it
// refuse the file rather than read compact keys as 8-byte ones.
// A table's ANALYZE statistics are in its TableDefinition ("statistics", absent until the
// table is analysed; Catalog+Statistics.swift).
// A table's FOREIGN KEYs are in its TableDefinition ("foreignKeyConstraints", absent when
// none, so older files read unchanged).
// A B+tree index's key directions are in its IndexDefinition ("descending", one flag a key,
// absent when every key is ascending, so older files read unchanged). A DESC key's
// components are stored inverted (KeyCodec), so the index holds its keys in the order its
// definition names. A build that predates the field reads such an index as ascending: its
// equality lookups still find the rows, but its ranges and order would be wrong, so do not
// open a file with a DESC index in one.
// Its declared NULL placements are there too ("nullsFirst", one flag a key, absent when
// every key has its direction's default: NULLS LAST ascending, NULLS FIRST descending). They
// are what the definition says, not how the keys are stored (KeyCodec orders NULL below
// every value, so an ascending key holds its NULLs first and a DESC key last, whatever was
// declared, and the planner reads the index by that), so an older build reads them
// harmlessly as the defaults.
//
// Column types are ColumnType's Codable JSON (`"int"`, `{"varchar":{"length":5}}` …). Cases
// are only ever added (smallint, integer, real, varchar(n), char(n), date, timestamptz and
// uuid came with issue 10), so every older file still reads, and StorageFormat.version
// stays 1; a build that predates a case refuses a file using it as an unreadable table
// definition instead of guessing.
// A time type's fractional-seconds precision (`timestamp(2)`) is such a case, wrapping the
// type it is a precision of: `{"fractionalSeconds":{"_0":{"timestamp":{}},"digits":2}}`.
// PostgreSQL's json (its text kept as written) is `{"jsonText":{}}`; `{"json":{}}` is jsonb,
// which is also what a file written before json had its own case holds for a column
// declared json: such a column opens and reads as jsonb.
//
// Invariants:
//   C1. Every table and index root named here is a live B+tree root.
//   C2. The in-memory Catalog a reader sees always matches the pages it reads: a write
//       transaction's catalog changes are published together with its pages.
//   C3. Tables, indexes and views share one namespace of relation names (as in
//       PostgreSQL's pg_class); every relation a view depends on exists.
//   C4. Every table a FOREIGN KEY references exists and has a primary key or unique
//       B+tree index over exactly its referenced columns.
//
// A file without views has no "v/" entries, so older files read unchanged; a build that
// predates views refuses a file with one as an unknown catalog entry.

import Foundation
import Synchronization

/// A column of a table.
public struct ColumnDefinition: Codable, Sendable, Hashable {
    public var name: String
    public var type: ColumnType
    public var notNull: Bool
    /// SQL text of the DEFAULT expression; evaluated by the query layer.
    public var defaultExpression: String?
    /// Filled from the table's sequence when absent (SERIAL, BIGSERIAL).
    public var isSerial: Bool
    /// SQL text of a `GENERATED ALWAYS AS (…) STORED` expression over the row's other
    /// columns; the query layer computes and stores it on every insert and update.
    public var generatedExpression: String?
    /// COMMENT ON COLUMN (absent: none).
    public var comment: String?
    /// `GENERATED ALWAYS | BY DEFAULT AS IDENTITY` (absent: not an identity column). An
    /// identity column is also `isSerial`: its values come from the table's sequence.
    public var identity: ColumnIdentity?
    /// The domain the column was declared with (absent: none); `type` is its base type.
    public var domain: String?

    public init(name: String, type: ColumnType, notNull: Bool = false,
                defaultExpression: String? = nil, isSerial: Bool = false, generatedExpression: String? = nil) {
        self.generatedExpression = generatedExpression
        self.name = name
        self.type = type
        self.notNull = notNull
        self.defaultExpression = defaultExpression
        self.isSerial = isSerial
    }
}

/// How an identity column takes values given to it: ALWAYS refuses them (unless the INSERT
/// says OVERRIDING SYSTEM VALUE), BY DEFAULT keeps them, as a serial column does.
public enum ColumnIdentity: String, Codable, Sendable, Hashable {
    case always = "ALWAYS"
    case byDefault = "BY DEFAULT"
}

/// An index of a table: a B+tree over encoded column values (`method == "btree"`), or
/// one the index layer keeps (e.g. "hnsw"), whose storage it owns.
public struct IndexDefinition: Codable, Sendable, Hashable {
    public var name: String
    public var columns: [String]
    public var isUnique: Bool
    public var method: String
    /// Method-specific settings (e.g. m, ef_construction, operator class).
    public var options: [String: String]
    /// Root page of the index's B+tree (btree), or the first page of the blob holding the
    /// index layer's snapshot (0: none yet).
    public var root: PageNumber
    /// For snapshot-based indexes: a B+tree of the row ids changed since the snapshot was
    /// written, in the same transactions as the changes, so a reopened database can bring
    /// the snapshot up to date.
    public var deltaRoot: PageNumber?
    /// SQL text of each key's expression (`lower(email)`), nil for a plain column; absent
    /// when every key is a column. `columns` then holds PostgreSQL's name for the key
    /// ("lower", "expr"), which names no table column.
    public var expressions: [String?]?
    /// SQL text of a partial index's WHERE predicate: only rows for which it is true are in
    /// the index. Absent: every row.
    public var predicate: String?
    /// Whether each key is stored in descending order (`CREATE INDEX … (a, b DESC)`); absent
    /// when every key is ascending.
    public var descending: [Bool]?
    /// Whether each key's NULLs come first as declared (`CREATE INDEX … (a DESC NULLS LAST)`);
    /// absent when every key has its direction's default (ascending: last, DESC: first).
    public var nullsFirst: [Bool]?
    /// The index backs a UNIQUE constraint of the same name (`CONSTRAINT name UNIQUE (…)`);
    /// absent in files written before: an index named `…_key` is taken to back one.
    public var isConstraint: Bool?

    public init(name: String, columns: [String], isUnique: Bool = false, method: String = "btree",
                options: [String: String] = [:], root: PageNumber = 0, deltaRoot: PageNumber? = nil) {
        self.name = name
        self.deltaRoot = deltaRoot
        self.columns = columns
        self.isUnique = isUnique
        self.method = method
        self.options = options
        self.root = root
    }

    public var isBTree: Bool { method == "btree" }

    /// The SQL expression of key `position`, nil when it is a plain column.
    public func expression(at position: Int) -> String? {
        guard let expressions, position < expressions.count else { return nil }
        return expressions[position]
    }

    /// Whether key `position` is stored in descending order.
    public func isDescending(at position: Int) -> Bool {
        guard let descending, position < descending.count else { return false }
        return descending[position]
    }

    /// Whether key `position` is declared with its NULLs first (NULLS FIRST, or DESC without
    /// a NULLS clause).
    public func isNullsFirst(at position: Int) -> Bool {
        guard let nullsFirst, position < nullsFirst.count else { return isDescending(at: position) }
        return nullsFirst[position]
    }

    /// Whether the keys or the membership of a row need the query layer's evaluation
    /// (IndexKeyComputer): an expression key or a predicate.
    public var isComputed: Bool { predicate != nil || expressions?.contains { $0 != nil } == true }

    /// An inverted index over a tsvector column (`gin`): a B+tree with one entry per
    /// (lexeme, row id), kept by the storage layer in the same transaction as the rows.
    public var isInverted: Bool { method == "gin" }

    /// Whether the storage layer keeps the index's entries in a B+tree of its own.
    public var hasEntryTree: Bool { isBTree || isInverted }
}

/// A CHECK constraint: its name and its boolean expression over the row's columns, as SQL
/// text the query layer binds (a row for which it is false is refused; NULL passes).
public struct CheckConstraintDefinition: Codable, Sendable, Hashable {
    public var name: String
    public var expression: String

    public init(name: String, expression: String) {
        self.name = name
        self.expression = expression
    }
}

/// A FOREIGN KEY of a table (the referencing one): its columns must match a row of
/// `referencedTable` in `referencedColumns` (a primary key or unique index there) unless
/// one of them is NULL (MATCH SIMPLE). Actions are PostgreSQL's pg_constraint letters:
/// "a" NO ACTION, "r" RESTRICT, "c" CASCADE, "n" SET NULL, "d" SET DEFAULT.
public struct ForeignKeyDefinition: Codable, Sendable, Hashable {
    public var name: String
    public var columns: [String]
    public var referencedTable: String
    public var referencedColumns: [String]
    public var onDelete: String
    public var onUpdate: String
    /// `DEFERRABLE`: SET CONSTRAINTS may put off its checks to the commit.
    public var deferrable: Bool
    /// `INITIALLY DEFERRED`: its checks wait for the commit unless SET CONSTRAINTS says otherwise.
    public var initiallyDeferred: Bool

    public init(name: String, columns: [String], referencedTable: String, referencedColumns: [String],
                onDelete: String = "a", onUpdate: String = "a", deferrable: Bool = false, initiallyDeferred: Bool = false) {
        self.name = name
        self.columns = columns
        self.referencedTable = referencedTable
        self.referencedColumns = referencedColumns
        self.onDelete = onDelete
        self.onUpdate = onUpdate
        self.deferrable = deferrable
        self.initiallyDeferred = initiallyDeferred
    }

    private enum CodingKeys: String, CodingKey {
        case name, columns, referencedTable, referencedColumns, onDelete, onUpdate, deferrable, initiallyDeferred
    }

    /// Catalogs written before deferrable keys have neither flag: their keys are immediate.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        columns = try container.decode([String].self, forKey: .columns)
        referencedTable = try container.decode(String.self, forKey: .referencedTable)
        referencedColumns = try container.decode([String].self, forKey: .referencedColumns)
        onDelete = try container.decode(String.self, forKey: .onDelete)
        onUpdate = try container.decode(String.self, forKey: .onUpdate)
        deferrable = try container.decodeIfPresent(Bool.self, forKey: .deferrable) ?? false
        initiallyDeferred = try container.decodeIfPresent(Bool.self, forKey: .initiallyDeferred) ?? false
    }
}

/// A table: its columns, its row tree, its indexes and its CHECK constraints.
public struct TableDefinition: Codable, Sendable, Hashable {
    public var name: String
    public var columns: [ColumnDefinition]
    /// Root of the B+tree of rows, keyed by row id.
    public var root: PageNumber
    /// A single integer PRIMARY KEY column is the row id itself (no separate index).
    public var rowIDColumn: Int?
    public var indexes: [IndexDefinition]
    /// CHECK constraints, in the order they were added (absent in files written before
    /// they came: none).
    public var checkConstraints: [CheckConstraintDefinition]?
    /// FOREIGN KEY constraints, in the order they were added (absent in files written
    /// before they came, and when there are none).
    public var foreignKeyConstraints: [ForeignKeyDefinition]?
    /// COMMENT ON TABLE (absent: none).
    public var comment: String?
    /// What the last ANALYZE found (Catalog+Statistics.swift); absent: never analysed.
    public var statistics: TableStatistics?
    /// How the row tree's keys hold row ids (KeyCodec+RowID.swift); absent: the fixed
    /// 8-byte form, which every table created before format version 3 has.
    public var rowKeys: RowKeyForm?
    /// Storage parameters as PostgreSQL's reloptions (`fillfactor=70`); absent: none.
    public var storageOptions: [String]?
    /// A materialized view's defining query as canonical SQL (absent: a plain table); its
    /// rows are the query's as of the last REFRESH (Catalog+MaterializedViews.swift).
    public var materializedQuery: String?
    /// Set on a materialized view made or refreshed WITH NO DATA (absent: populated).
    public var isUnpopulated: Bool?
    /// Its triggers (Catalog+Triggers.swift); absent: none.
    public var triggerDefinitions: [TriggerDefinition]?

    /// The form of the row tree's keys; fixed is stored as an absent field, so a table
    /// with fixed keys has the catalog entry an older build wrote.
    public var rowKeyForm: RowKeyForm {
        get { rowKeys ?? .fixed }
        set { rowKeys = newValue == .fixed ? nil : newValue }
    }

    /// The FOREIGN KEY constraints of this table (it is the referencing one).
    public var foreignKeys: [ForeignKeyDefinition] {
        get { foreignKeyConstraints ?? [] }
        set { foreignKeyConstraints = newValue.isEmpty ? nil : newValue }
    }

    /// The CHECK constraints (none when the stored definition has no list).
    public var checks: [CheckConstraintDefinition] {
        get { checkConstraints ?? [] }
        set { checkConstraints = newValue.isEmpty ? nil : newValue }
    }

    /// A new table's definition; its rows are keyed in `rowKeyForm`, compact unless a
    /// caller needs the form older builds wrote.
    public init(name: String, columns: [ColumnDefinition], root: PageNumber = 0,
                rowIDColumn: Int? = nil, indexes: [IndexDefinition] = [], rowKeyForm: RowKeyForm = .compact) {
        self.name = name
        self.columns = columns
        self.root = root
        self.rowIDColumn = rowIDColumn
        self.indexes = indexes
        self.rowKeyForm = rowKeyForm
    }

    /// Position of the column called `name`, if any.
    public func columnIndex(_ name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }

    public var tree: BTree { BTree(root: root) }
}

/// Where schema versions come from (`Catalog.noteSchemaChange`).
private let schemaVersions = Atomic<UInt64>(0)

/// The schema as of one committed transaction.
public struct Catalog: Sendable {
    public internal(set) var tables: [String: TableDefinition] = [:]
    /// Sequence states as committed (Catalog+Sequences.swift; the Store keeps newer ones).
    public internal(set) var sequences: [String: SequenceState] = [:]
    /// Stored sequence definitions (CREATE SEQUENCE, altered or identity-option ones).
    public internal(set) var sequenceDefinitions: [String: SequenceDefinition] = [:]
    /// The views, by name (Catalog+Views.swift).
    public internal(set) var views: [String: ViewDefinition] = [:]
    /// The enum types, by name (Catalog+Types.swift).
    public internal(set) var enumTypes: [String: EnumType] = [:]
    /// The SQL functions, by signature (Catalog+Functions.swift).
    public internal(set) var functions: [String: FunctionDefinition] = [:]
    /// The domains, by name (Catalog+Domains.swift).
    public internal(set) var domains: [String: DomainDefinition] = [:]
    /// Changes with every schema change in this process (not stored), to a number no other
    /// schema had: a plan made for one version is valid for every snapshot of that version.
    public internal(set) var version: UInt64 = 0

    /// Gives the changed schema a new version. The numbers come from one counter for the
    /// process, not from `version + 1`: two transactions changing the schema from the same
    /// base (or one rolled back to a savepoint) must not end with equal versions.
    mutating func noteSchemaChange() {
        version = schemaVersions.add(1, ordering: .relaxed).newValue
    }

    /// An empty schema.
    public init() {}

    /// The table whose stored name is `name` (`TableDefinition.name`: a temporary table's
    /// carries its session's schema), or an `undefinedTable` error. A stored name is never
    /// looked up again in the session's temporary schema: once a statement has found its
    /// table, `t` stays the permanent `t` even where a temporary `t` hides it. Names as SQL
    /// writes them go through `table(_:schema:)`.
    public func table(_ name: String) throws -> TableDefinition {
        guard let table = tables[name] else {
            let visible = TemporarySchema.split(name)?.name ?? name
            if views[name] != nil { throw VireoError(.wrongObjectType, "\"\(visible)\" is not a table") }
            throw VireoError(.undefinedTable, "relation \"\(visible)\" does not exist")
        }
        return table
    }

    /// The foreign keys that reference `table`, with the referencing table of each.
    public func foreignKeys(referencing table: String) -> [(table: TableDefinition, key: ForeignKeyDefinition)] {
        tables.values.sorted { $0.name < $1.name }.flatMap { child in
            child.foreignKeys.filter { $0.referencedTable == table }.map { (child, $0) }
        }
    }

    /// The table owning index `name`, with the index.
    public func index(_ name: String) -> (table: TableDefinition, index: IndexDefinition)? {
        for table in tables.values {
            if let index = table.indexes.first(where: { $0.name == name }) { return (table, index) }
        }
        return nil
    }

    static let tablePrefix = "t/"
    static let sequencePrefix = "s/"
    static let viewPrefix = "v/"

    /// Reads the whole catalog tree.
    static func load(tree: BTree, from source: some PageSource) throws -> Catalog {
        var catalog = Catalog()
        try tree.scan(in: source) { key, value in
            let name = String(decoding: key, as: UTF8.self)
            if name.hasPrefix(tablePrefix) {
                let table = try decodeTable(value, path: source.path)
                catalog.tables[table.name] = table
            } else if name.hasPrefix(viewPrefix) {
                let view = try decodeView(value, path: source.path)
                catalog.views[view.name] = view
            } else if name.hasPrefix(enumTypePrefix) {
                let type = try decodeEnumType(value, path: source.path)
                catalog.enumTypes[type.name] = type
            } else if name.hasPrefix(functionPrefix) {
                let function = try decodeFunction(value, path: source.path)
                catalog.functions[function.signature] = function
            } else if name.hasPrefix(domainPrefix) {
                let domain = try decodeDomain(value, path: source.path)
                catalog.domains[domain.name] = domain
            } else if name.hasPrefix(sequencePrefix), let state = SequenceState.decode(value) {
                catalog.sequences[String(name.dropFirst(sequencePrefix.count))] = state
            } else if name.hasPrefix(sequenceDefinitionPrefix) {
                let sequence = try decodeSequence(value, path: source.path)
                catalog.sequenceDefinitions[sequence.name] = sequence
            } else {
                throw VireoError.corrupt(source.path, "unknown catalog entry '\(name)'")
            }
            return true
        }
        return catalog
    }

    private static func decodeTable(_ value: UnsafeRawBufferPointer, path: String) throws -> TableDefinition {
        try decode(TableDefinition.self, value, path: path, what: "table")
    }

    /// A catalog entry's JSON; bad bytes are a corruption error naming the file.
    static func decode<Entry: Decodable>(_ type: Entry.Type, _ value: UnsafeRawBufferPointer, path: String, what: String) throws -> Entry {
        do {
            return try JSONDecoder().decode(type, from: Data(value))
        } catch {
            throw VireoError.corrupt(path, "unreadable \(what) definition in the catalog: \(error)")
        }
    }

    /// A catalog entry as JSON with sorted keys (the same definition, the same bytes).
    static func encode(_ entry: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(entry))
    }
}
