import VireoStorage

/// CREATE FUNCTION and DROP FUNCTION, and CREATE and DROP TRIGGER, which calls one
/// (Parser+Functions.swift); names are stored names (a `public.` schema is dropped).
public enum FunctionCommand: Sendable, Equatable {
    case create(CreateFunction)
    /// `DROP FUNCTION [IF EXISTS] name [(types)] [, …] [CASCADE | RESTRICT]`.
    case drop(DropFunction)
    case createTrigger(CreateTrigger)
    case dropTrigger(DropTrigger)

    /// The statement as canonical SQL.
    public var sql: String {
        switch self {
        case .create(let function): function.sql
        case .drop(let drop):
            "DROP FUNCTION " + (drop.ifExists ? "IF EXISTS " : "")
                + drop.functions.map { function in
                    quoteIdentifier(function.name) + (function.argumentTypes.map { types in "(" + types.map(\.sql).joined(separator: ", ") + ")" } ?? "")
                }.joined(separator: ", ") + (drop.cascade ? " CASCADE" : "")
        case .createTrigger(let trigger): trigger.sql
        case .dropTrigger(let drop):
            "DROP TRIGGER " + (drop.ifExists ? "IF EXISTS " : "") + quoteIdentifier(drop.name) + " ON " + drop.table.sql
        }
    }

    /// The command tag PostgreSQL answers with.
    var commandTag: String {
        switch self {
        case .create: "CREATE FUNCTION"
        case .drop: "DROP FUNCTION"
        case .createTrigger: "CREATE TRIGGER"
        case .dropTrigger: "DROP TRIGGER"
        }
    }
}

/// An argument as CREATE FUNCTION declares it, or a column of `RETURNS TABLE (…)`.
public struct FunctionArgumentDeclaration: Sendable, Equatable {
    public var name: String?
    public var type: TypeName
    /// `DEFAULT expr` or `= expr`.
    public var defaultValue: SQLExpression?

    /// Creates the node from its parts, as the parser would.
    public init(name: String?, type: TypeName, defaultValue: SQLExpression? = nil) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
    }

    var sql: String {
        (name.map { quoteIdentifier($0) + " " } ?? "") + type.sql + (defaultValue.map { " DEFAULT " + $0.sql } ?? "")
    }
}

/// `CREATE [OR REPLACE] FUNCTION name (arguments) RETURNS type | RETURNS SETOF type |
/// RETURNS TABLE (columns) LANGUAGE sql [options] AS 'body'`, or with `RETURN expr` or
/// `BEGIN ATOMIC … END` as the body.
public struct CreateFunction: Sendable, Equatable {
    public var name: String
    public var orReplace: Bool
    public var arguments: [FunctionArgumentDeclaration]
    /// The declared result type (the element type for SETOF); nil for `RETURNS TABLE`.
    public var returnType: TypeName?
    public var returnsSet: Bool
    /// `RETURNS TABLE (…)`'s columns; empty otherwise.
    public var resultColumns: [FunctionArgumentDeclaration]
    /// The language as written, lower case.
    public var language: String
    /// The body's SQL text.
    public var body: String
    /// "i", "s" or "v" (VOLATILE, the default).
    public var volatility: String
    public var strict: Bool

    /// Creates the node from its parts, as the parser would.
    public init(name: String, orReplace: Bool, arguments: [FunctionArgumentDeclaration], returnType: TypeName?, returnsSet: Bool,
                resultColumns: [FunctionArgumentDeclaration], language: String, body: String, volatility: String, strict: Bool) {
        self.name = name
        self.orReplace = orReplace
        self.arguments = arguments
        self.returnType = returnType
        self.returnsSet = returnsSet
        self.resultColumns = resultColumns
        self.language = language
        self.body = body
        self.volatility = volatility
        self.strict = strict
    }

    /// The statement as canonical SQL (the body dollar-quoted with a tag it does not hold).
    public var sql: String {
        let result = resultColumns.isEmpty ? (returnsSet ? "SETOF " : "") + (returnType?.sql ?? "record")
            : "TABLE (" + resultColumns.map(\.sql).joined(separator: ", ") + ")"
        var tag = "$$"
        while body.contains(tag) { tag = "$f" + String(tag.count) + "$" }
        let volatilityWord = ["i": " IMMUTABLE", "s": " STABLE"][volatility] ?? ""
        return "CREATE " + (orReplace ? "OR REPLACE " : "") + "FUNCTION " + quoteIdentifier(name)
            + "(" + arguments.map(\.sql).joined(separator: ", ") + ") RETURNS " + result
            + " LANGUAGE " + quoteIdentifier(language) + volatilityWord + (strict ? " STRICT" : "") + " AS " + tag + body + tag
    }
}

/// `DROP FUNCTION [IF EXISTS] name [(types)] [, …] [CASCADE | RESTRICT]`.
public struct DropFunction: Sendable, Equatable {
    /// Each function named, with its argument types when written (nil: the name's only one).
    public var functions: [(name: String, argumentTypes: [TypeName]?)]
    public var ifExists: Bool
    public var cascade: Bool

    /// Creates the node from its parts, as the parser would.
    public init(functions: [(name: String, argumentTypes: [TypeName]?)], ifExists: Bool, cascade: Bool) {
        self.functions = functions
        self.ifExists = ifExists
        self.cascade = cascade
    }

    public static func == (left: DropFunction, right: DropFunction) -> Bool {
        left.ifExists == right.ifExists && left.cascade == right.cascade && left.functions.count == right.functions.count
            && zip(left.functions, right.functions).allSatisfy { $0.name == $1.name && $0.argumentTypes == $1.argumentTypes }
    }
}

/// REFRESH MATERIALIZED VIEW and DROP MATERIALIZED VIEW.
public enum MaterializedViewCommand: Sendable, Equatable {
    /// `REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA]`.
    case refresh(name: TableName, withData: Bool, concurrently: Bool)
    /// `DROP MATERIALIZED VIEW [IF EXISTS] name [, …] [CASCADE | RESTRICT]`.
    case drop(DropTable)

    /// The statement as canonical SQL.
    public var sql: String {
        switch self {
        case .refresh(let name, let withData, let concurrently):
            "REFRESH MATERIALIZED VIEW " + (concurrently ? "CONCURRENTLY " : "") + name.sql + (withData ? "" : " WITH NO DATA")
        case .drop(let drop):
            "DROP MATERIALIZED VIEW " + (drop.ifExists ? "IF EXISTS " : "") + drop.names.map(\.sql).joined(separator: ", ") + (drop.cascade ? " CASCADE" : "")
        }
    }
}

/// `CREATE [OR REPLACE] TRIGGER name {BEFORE | AFTER} event [OR …] ON table
/// [FOR [EACH] {ROW | STATEMENT}] [WHEN (condition)] EXECUTE {FUNCTION | PROCEDURE} f(args)`.
public struct CreateTrigger: Sendable, Equatable {
    public var name: String
    public var orReplace: Bool
    /// "before" or "after".
    public var timing: String
    /// "insert", "update" or "delete", in the order written.
    public var events: [String]
    /// `UPDATE OF a, b` (nil: any column).
    public var updateColumns: [String]?
    public var table: TableName
    public var forEachRow: Bool
    /// WHEN's condition as written.
    public var condition: String?
    public var function: String
    /// The arguments as written: string constants, numbers or names, each as text.
    public var arguments: [String]

    public init(name: String, orReplace: Bool, timing: String, events: [String], updateColumns: [String]?, table: TableName,
                forEachRow: Bool, condition: String?, function: String, arguments: [String]) {
        self.name = name
        self.orReplace = orReplace
        self.timing = timing
        self.events = events
        self.updateColumns = updateColumns
        self.table = table
        self.forEachRow = forEachRow
        self.condition = condition
        self.function = function
        self.arguments = arguments
    }

    var sql: String {
        let events = self.events.map { event in
            event.uppercased() + (event == "update" ? updateColumns.map { " OF " + $0.map(quoteIdentifier).joined(separator: ", ") } ?? "" : "")
        }
        return "CREATE " + (orReplace ? "OR REPLACE " : "") + "TRIGGER " + quoteIdentifier(name) + " " + timing.uppercased() + " "
            + events.joined(separator: " OR ") + " ON " + table.sql + " FOR EACH " + (forEachRow ? "ROW" : "STATEMENT")
            + (condition.map { " WHEN (" + $0 + ")" } ?? "") + " EXECUTE FUNCTION " + quoteIdentifier(function)
            + "(" + arguments.map(quoteString).joined(separator: ", ") + ")"
    }
}

/// `DROP TRIGGER [IF EXISTS] name ON table [CASCADE | RESTRICT]`.
public struct DropTrigger: Sendable, Equatable {
    public var name: String
    public var table: TableName
    public var ifExists: Bool

    public init(name: String, table: TableName, ifExists: Bool) {
        self.name = name
        self.table = table
        self.ifExists = ifExists
    }
}
