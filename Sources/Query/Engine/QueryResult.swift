import VireoStorage

/// A column of a result: its name and type.
public struct ResultColumn: Sendable, Equatable {
    public var name: String
    public var type: SQLType

    public init(name: String, type: SQLType) {
        self.name = name
        self.type = type
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
