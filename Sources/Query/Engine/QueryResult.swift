import VireoStorage

/// A column of a result: its name and type.
public struct ResultColumn: Sendable, Equatable {
    public var name: String
    public var type: SQLType
    /// The table column or declared type it shows, when it shows one unchanged.
    public var origin: ColumnOrigin?

    public init(name: String, type: SQLType, origin: ColumnOrigin? = nil) {
        self.name = name
        self.type = type
        self.origin = origin
    }
}

/// Where a result column comes from, as PostgreSQL's RowDescription tells it: the table (or
/// view) and attribute number of a column read unchanged (resorigtbl, resorigcol; 0 for a
/// cast), and the declared type with its modifier: varchar(n), char(n), numeric(p,s),
/// vector(n). Drivers read them: JDBC's getTableName and getPrecision, psycopg's
/// Column.precision and internal_size, npgsql's key info.
public struct ColumnOrigin: Sendable, Hashable {
    public var tableOID: Int64
    public var attributeNumber: Int
    public var declaredType: ColumnType?

    public init(tableOID: Int64, attributeNumber: Int, declaredType: ColumnType?) {
        self.tableOID = tableOID
        self.attributeNumber = attributeNumber
        self.declaredType = declaredType
    }

    /// A value cast to a declared type (`v::varchar(3)`): the type, no table.
    public init(castTo type: ColumnType) {
        self.init(tableOID: 0, attributeNumber: 0, declaredType: type)
    }

    /// The declared type's modifier (pg_attribute.atttypmod), -1 when it has none.
    public var typeModifier: Int32 {
        guard let declaredType else { return -1 }
        return Int32(truncatingIfNeeded: BuiltinType.of(declaredType).typmod(declaredType))
    }

    /// The OID to describe the column with when the declared type is a text type whose name
    /// the value's SQL type does not keep (varchar 1043, bpchar 1042); nil otherwise.
    public var textTypeOID: Int32? {
        guard let type = declaredType else { return nil }
        switch type {
        case .varchar, .char: return Int32(BuiltinType.of(type).oid)
        default: return nil
        }
    }

    /// The origin that survives a set operation: no table, the declared type when every
    /// operand declares the same one.
    static func common(_ origins: [ColumnOrigin?]) -> ColumnOrigin? {
        guard let type = origins.first??.declaredType, origins.allSatisfy({ $0?.declaredType == type }) else { return nil }
        return ColumnOrigin(castTo: type)
    }
}

/// What one statement returned: rows (possibly none) and a PostgreSQL command tag.
public struct QueryResult: Sendable, Equatable {
    public var columns: [ResultColumn]
    public var rows: [[Value]]
    /// `SELECT 3`, `INSERT 0 2`, `UPDATE 1`, `CREATE TABLE`, `BEGIN` …
    public var commandTag: String
    /// A command whose tag reads `SELECT n` but which returns no rows (CREATE TABLE AS, as
    /// PostgreSQL tags it): no RowDescription goes with it.
    public var isRowlessSelectTag = false

    public init(columns: [ResultColumn] = [], rows: [[Value]] = [], commandTag: String) {
        self.columns = columns
        self.rows = rows
        self.commandTag = commandTag
    }

    /// Whether the statement produces rows (SELECT, RETURNING, EXPLAIN, SHOW). A query always
    /// does, even with an empty select list (`SELECT FROM t`: rows of no columns).
    public var returnsRows: Bool { !columns.isEmpty || (commandTag.hasPrefix("SELECT ") && !isRowlessSelectTag) }

    /// Rows affected or returned, from the command tag's last number.
    public var rowCount: Int { commandTag.split(separator: " ").last.flatMap { Int($0) } ?? rows.count }

    /// The value at `row`, `column` (by name).
    public func value(_ row: Int, _ column: String) -> Value? {
        columns.firstIndex { $0.name == column }.map { rows[row][$0] }
    }
}
