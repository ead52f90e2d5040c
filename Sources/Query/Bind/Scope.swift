import VireoStorage

/// A table, subquery or other row source visible by name in a query.
struct ScopeEntry {
    /// The alias, or the table's name.
    var name: String
    var columns: [String]
    var types: [SQLType]
    /// Where the entry's columns start in the combined row.
    var offset: Int
    /// Width in the row: the columns, plus the row id of a base table.
    var width: Int
    var table: TableDefinition?
    /// Columns merged by a USING or NATURAL join: reachable only qualified (`t.id`), and
    /// left out of `*` (the join's merged column stands for them).
    var mergedAway: Set<String> = []
    /// A pg_catalog table's OID, which its hidden `tableoid` column holds (after its
    /// columns): pg_dump reads it to tell the catalogs' objects apart.
    var tableOID: Int64?
    /// Where each column of a derived or catalog entry comes from (a view's or a subquery's
    /// column). Empty for a base table, whose origins `Scope.origin(at:)` computes from
    /// `table` when asked: most statements never ask, and binding stays cheap.
    var origins: [ColumnOrigin?] = []
}

/// The names visible at one level of a query, in row order.
struct Scope {
    var entries: [ScopeEntry] = []

    var width: Int { entries.last.map { $0.offset + $0.width } ?? 0 }

    /// Adds a base table (its columns, then a hidden row id).
    mutating func addTable(_ table: TableDefinition, alias: String?) {
        entries.append(ScopeEntry(name: alias ?? table.visibleName, columns: table.columns.map(\.name),
                                  types: table.columns.map { SQLType($0.type) }, offset: width,
                                  width: table.columns.count + 1, table: table))
    }

    /// The origins of a table's or view's columns: its OID and their attribute numbers.
    static func origins(of columns: [VireoStorage.ColumnDefinition], relation: String) -> [ColumnOrigin?] {
        let oid = SystemCatalog.oid(ofObject: relation)
        return columns.enumerated().map { ColumnOrigin(tableOID: oid, attributeNumber: $0.offset + 1, declaredType: $0.element.type) }
    }

    /// Adds a derived row source (subquery) with the given columns.
    mutating func addDerived(name: String, columns: [ResultColumn]) {
        entries.append(ScopeEntry(name: name, columns: columns.map(\.name), types: columns.map(\.type),
                                  offset: width, width: columns.count, table: nil, origins: columns.map(\.origin)))
    }

    /// Adds a pg_catalog table whose rows end with a hidden tableoid column.
    mutating func addCatalogTable(name: String, columns: [ResultColumn], tableOID: Int64) {
        addDerived(name: name, columns: columns)
        entries[entries.count - 1].tableOID = tableOID
        entries[entries.count - 1].origins = columns.indices.map { ColumnOrigin(tableOID: tableOID, attributeNumber: $0 + 1, declaredType: nil) }
        entries[entries.count - 1].width += 1
    }

    /// Appends another scope's entries after this one's (a join).
    mutating func append(_ other: Scope) {
        let base = width
        for var entry in other.entries {
            entry.offset += base
            entries.append(entry)
        }
    }

    /// Hides `name` from unqualified references and `*` in the entry holding `position`.
    mutating func mergeAway(_ name: String, at position: Int) {
        guard let index = entries.firstIndex(where: { position >= $0.offset && position < $0.offset + $0.width }) else { return }
        entries[index].mergedAway.insert(name)
    }

    /// Whether the column at `position` is a base table's char(n) column, whose stored values
    /// carry blank padding that PostgreSQL ignores wherever the value is used as text.
    func isBlankPadded(_ position: Int) -> Bool {
        guard let entry = entries.first(where: { position >= $0.offset && position < $0.offset + $0.width }),
              let table = entry.table, position - entry.offset < table.columns.count else { return false }
        if case .char = table.columns[position - entry.offset].type { return true }
        return false
    }

    /// Where the column at `position` comes from, when it is a column of a table, view or
    /// subquery that shows one.
    func origin(at position: Int) -> ColumnOrigin? {
        guard let entry = entries.first(where: { position >= $0.offset && position < $0.offset + $0.width }) else { return nil }
        let column = position - entry.offset
        if let table = entry.table {
            guard column < table.columns.count else { return nil }
            return ColumnOrigin(tableOID: SystemCatalog.oid(ofObject: table.name), attributeNumber: column + 1,
                                declaredType: table.columns[column].type)
        }
        return column < entry.origins.count ? entry.origins[column] : nil
    }

    /// Whether an entry (table or alias) is called `name`.
    func hasEntry(_ name: String) -> Bool { entries.contains { $0.name == name } }

    /// Finds a column: its position in the row and its type; nil when absent here.
    func resolve(_ reference: ColumnReference) throws -> (Int, SQLType)? {
        var found: (Int, SQLType)?
        for entry in entries where reference.table == nil || reference.table == entry.name {
            if reference.table == nil && entry.mergedAway.contains(reference.column) { continue }
            let systemColumn = entry.tableOID != nil && reference.column == "tableoid" ? entry.columns.count : nil
            guard let index = entry.columns.firstIndex(of: reference.column) ?? systemColumn else { continue }
            if found != nil {
                throw VireoError(.ambiguousColumn, "column reference \"\(reference.column)\" is ambiguous")
            }
            found = (entry.offset + index, index < entry.types.count ? entry.types[index] : .oid)
        }
        return found
    }

    /// The visible columns (no row ids) of every entry, or of the entry called `name`.
    func visibleColumns(of name: String? = nil) throws -> [(name: String, position: Int, type: SQLType)] {
        let chosen = entries.filter { name == nil || $0.name == name }
        if let name, chosen.isEmpty {
            throw VireoError(.undefinedTable, "missing FROM-clause entry for table \"\(name)\"")
        }
        return chosen.flatMap { entry in
            entry.columns.indices.filter { name != nil || !entry.mergedAway.contains(entry.columns[$0]) }
                .map { (entry.columns[$0], entry.offset + $0, entry.types[$0]) }
        }
    }
}
