import Foundation
import VireoStorage

/// A Swift value that can be a statement parameter.
public protocol SQLParameter {
    var sqlValue: Value { get }
}

extension Value: SQLParameter { public var sqlValue: Value { self } }
extension Int: SQLParameter { public var sqlValue: Value { .int(Int64(self)) } }
extension Int64: SQLParameter { public var sqlValue: Value { .int(self) } }
extension Int32: SQLParameter { public var sqlValue: Value { .int(Int64(self)) } }
extension Double: SQLParameter { public var sqlValue: Value { .double(self) } }
extension Float: SQLParameter { public var sqlValue: Value { .double(Double(self)) } }
extension String: SQLParameter { public var sqlValue: Value { .text(self) } }
extension Bool: SQLParameter { public var sqlValue: Value { .bool(self) } }
extension Data: SQLParameter { public var sqlValue: Value { .bytes(Array(self)) } }
extension Array: SQLParameter where Element == Float { public var sqlValue: Value { .vector(self) } }
extension Date: SQLParameter {
    public var sqlValue: Value { .timestamp(Int64((timeIntervalSince1970 * 1_000_000).rounded())) }
}
extension Optional: SQLParameter where Wrapped: SQLParameter {
    public var sqlValue: Value { self?.sqlValue ?? .null }
}

/// JSON text as a parameter of type jsonb.
public struct JSONText: SQLParameter, Sendable, Equatable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var sqlValue: Value { .json(text) }
}

extension Database {
    /// Runs `sql` with typed parameters: `try db.execute("… $1 …", 42, "text", [0.1, 0.2] as [Float])`.
    @discardableResult
    public func execute(_ sql: String, _ parameters: any SQLParameter...) throws -> QueryResult {
        try execute(sql, parameters.map(\.sqlValue))
    }

    /// Parses `sql` once for repeated execution.
    public func prepare(_ sql: String) throws -> PreparedStatement {
        PreparedStatement(database: self, statement: try Parser.parseStatement(sql))
    }
}

extension Session {
    @discardableResult
    public func execute(_ sql: String, _ parameters: any SQLParameter...) throws -> QueryResult {
        try execute(sql, parameters.map(\.sqlValue))
    }
}

/// A statement parsed once and run many times with different parameters.
public final class PreparedStatement: @unchecked Sendable {
    public let database: Database
    public let statement: Statement
    private let lock = Lock()
    private lazy var session = database.session()
    private let planCache = PlanCache()

    init(database: Database, statement: Statement) {
        self.database = database
        self.statement = statement
    }

    /// Number of `$n` parameters the statement takes.
    public var parameterCount: Int { statement.parameterCount }

    @discardableResult
    public func execute(_ parameters: [Value]) throws -> QueryResult {
        guard parameters.count >= statement.parameterCount else {
            throw VireoError(.invalidParameter, "statement takes \(statement.parameterCount) parameters, \(parameters.count) given")
        }
        // The query is read out of the statement only to plan it: a copy at each execution
        // (retaining each part of its tree) was about 60 of the 2,081 samples a prepared
        // k-NN query spent outside the index search (docs/benchmarks-sql.md).
        return try lock.withLock {
            guard statement.body.isSelect else { return try session.execute(statement, parameters) }
            return try session.runQuery(statement.body.selectQuery, parameters, cache: planCache)
        }
    }

    @discardableResult
    public func execute(_ parameters: any SQLParameter...) throws -> QueryResult {
        try execute(parameters.map(\.sqlValue))
    }
}

extension QueryResult {
    /// Decodes every row into `T`, matching coding keys to column names.
    public func decode<T: Decodable>(_ type: T.Type) throws -> [T] {
        let names = columns.map(\.name)
        return try rows.map { try T(from: RowDecoder(names: names, values: $0)) }
    }
}
