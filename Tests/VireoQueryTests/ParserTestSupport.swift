import Testing
import VireoStorage
@testable import VireoQuery

/// Short builders so that expected trees read like the SQL they stand for.
func col(_ name: String, _ table: String? = nil) -> SQLExpression { .column(ColumnReference(table: table, name)) }
func int(_ value: Int64) -> SQLExpression { .literal(.integer(value)) }
func num(_ text: String) -> SQLExpression { .literal(.numeric(text)) }
func str(_ value: String) -> SQLExpression { .literal(.string(value)) }
func param(_ number: Int) -> SQLExpression { .parameter(number) }
func bin(_ op: BinaryOperator, _ left: SQLExpression, _ right: SQLExpression) -> SQLExpression { .binary(op, left, right) }
func not(_ operand: SQLExpression) -> SQLExpression { .unary(.not, operand) }
func call(_ name: String, _ arguments: SQLExpression...) -> SQLExpression { .function(FunctionCall(name, arguments)) }
let null = SQLExpression.literal(.null)

/// Parses one statement and returns its body.
func body(_ sql: String) throws -> StatementBody {
    try Parser.parseStatement(sql).body
}

/// Parses a lone expression.
func expr(_ sql: String) throws -> SQLExpression {
    try Parser.parseExpression(sql)
}

/// The query of a SELECT statement.
func query(_ sql: String) throws -> Query {
    guard case .select(let query) = try body(sql) else {
        Issue.record("expected a SELECT statement from \(sql)")
        return Query(Select(items: []))
    }
    return query
}

/// The select core of a plain SELECT.
func select(_ sql: String) throws -> Select {
    guard case .select(let select) = try query(sql).body else {
        Issue.record("expected a plain SELECT from \(sql)")
        return Select(items: [])
    }
    return select
}

/// The error parsing `sql` throws, or nil (recorded as a failure) if it parses.
func parseError(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) -> VireoError? {
    do {
        let statements = try Parser.parseScript(sql)
        Issue.record("expected an error from \(sql), got \(statements.map(\.sql))", sourceLocation: sourceLocation)
        return nil
    } catch let error as VireoError {
        return error
    } catch {
        Issue.record("expected a VireoError from \(sql), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Checks that parsing fails with a syntax error whose message contains `message`, at byte `position`.
func expectError(_ sql: String, _ message: String, at position: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    expectError(sql, .syntaxError, message, at: position, sourceLocation: sourceLocation)
}

/// Checks that parsing fails with `code`, a message containing `message`, at byte `position`.
func expectError(_ sql: String, _ code: VireoError.Code, _ message: String, at position: Int? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard let error = parseError(sql, sourceLocation: sourceLocation) else { return }
    #expect(error.code == code, "code for \(sql): expected \(code), got \(error.code) (\(error.message))", sourceLocation: sourceLocation)
    #expect(error.message.contains(message), "message for \(sql): expected to contain \(message), got \(error.message)", sourceLocation: sourceLocation)
    if let position {
        #expect(error.position == position, "position for \(sql): expected \(position), got \(String(describing: error.position))", sourceLocation: sourceLocation)
    }
}

/// Checks that a statement prints as SQL that parses back to the same tree.
func expectRoundTrip(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let first = try Parser.parseStatement(sql)
    let printed = first.sql
    let second: Statement
    do {
        second = try Parser.parseStatement(printed)
    } catch {
        Issue.record("printed SQL does not parse: \(printed) (from \(sql)): \(error)", sourceLocation: sourceLocation)
        return
    }
    #expect(second.body == first.body, "round trip of \(sql): printed \(printed)", sourceLocation: sourceLocation)
    #expect(second.sql == printed, "printing is not stable for \(sql): \(printed) then \(second.sql)", sourceLocation: sourceLocation)
}
