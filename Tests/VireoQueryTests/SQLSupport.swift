import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Runs SQL on a fresh in-memory database and returns the rows of the last statement as text.
func rows(_ database: Database, _ sql: String, _ parameters: [Value] = [],
          sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String]] {
    try database.execute(sql, parameters).rows.map { $0.map { $0.text ?? "NULL" } }
}

/// Runs SQL in `session` and returns the rows of the last statement as text.
func rows(_ session: Session, _ sql: String) throws -> [[String]] {
    try session.execute(sql).rows.map { $0.map { $0.text ?? "NULL" } }
}

/// Runs SQL in `session` and returns each row as one line, values printed as their column's
/// type prints them and joined by `|` (`{1,2}|a|NULL`).
func typedLines(_ session: Session, _ sql: String) throws -> [String] {
    let result = try session.execute(sql)
    return result.rows.map { row in
        zip(row, result.columns).map { $0.text(as: $1.type) ?? "NULL" }.joined(separator: "|")
    }
}

/// Runs SQL in `session` and returns the values of all its rows in order, each printed as
/// its column's type prints it.
func typedValues(_ session: Session, _ sql: String) throws -> [String] {
    let result = try session.execute(sql)
    return result.rows.flatMap { row in zip(row, result.columns).map { $0.text(as: $1.type) ?? "NULL" } }
}

/// The error a statement throws (recording an issue if it succeeds).
func sqlError(_ database: Database, _ sql: String, _ parameters: [Value] = [],
              sourceLocation: SourceLocation = #_sourceLocation) -> VireoError? {
    expectedError(sql, sourceLocation) { try database.execute(sql, parameters) }
}

/// The error a statement throws in `session` (recording an issue if it succeeds).
func sqlError(_ session: Session, _ sql: String, sourceLocation: SourceLocation = #_sourceLocation) -> VireoError? {
    expectedError(sql, sourceLocation) { try session.execute(sql) }
}

private func expectedError(_ sql: String, _ sourceLocation: SourceLocation, _ run: () throws -> Void) -> VireoError? {
    do {
        try run()
        Issue.record("expected \(sql) to fail", sourceLocation: sourceLocation)
    } catch let error as VireoError {
        return error
    } catch {
        Issue.record("expected a VireoError from \(sql), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// A temporary directory removed after `body`.
func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vireo-sql-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try body(directory)
}

/// The database file `name` in `directory` after `setup` ran on it and it was closed and opened
/// again, as a restart leaves it.
func reopenedDatabase(_ directory: String, _ name: String, after setup: String) throws -> Database {
    let path = directory + "/" + name
    let created = try Database.open(path: path)
    try created.execute(setup)
    try created.close()
    return try Database.open(path: path)
}
