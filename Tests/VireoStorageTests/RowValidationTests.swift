import Foundation
import Testing
@testable import VireoStorage

/// The store's checks of an inserted row: the plain kinds pass by their kind alone
/// (`StoreTransaction.isPlainlyValid`), everything else through `fits` and `checkDeclaredType`.
@Suite("Row validation of the plain kinds")
struct RowValidationTests {
    static let values: [Value] = [
        .null, .bool(true), .int(0), .int(-1), .int(Int64(Int16.max)), .int(Int64(Int16.max) + 1), .int(Int64(Int16.min) - 1),
        .int(Int64(Int32.max)), .int(Int64(Int32.max) + 1), .int(Int64(Int32.min)), .int(Int64(Int32.min) - 1), .int(.max),
        .double(1.5), .double(.nan), .text(""), .text("abcd"), .text("{1:1.5}/3"), .bytes([1]), .timestamp(5),
        .json("{}"), .vector([1, 2, 3]), .vector([1.1]),
    ]
    static let types: [ColumnType] = [
        .bool, .int, .integer, .smallint, .double, .real, .text, .varchar(length: 3), .char(length: 3), .bytes, .timestamp, .json,
        .vector(dimension: 3), .halfvec(dimension: 1), .sparsevec(dimension: 3),
    ]

    @Test("a value valid by its kind alone is one fits and checkDeclaredType accept, for every pair of values and types")
    func plainValidityAgreesWithTheFullChecks() {
        for value in Self.values {
            for type in Self.types where StoreTransaction.isPlainlyValid(value, type) {
                let full = value.fits(type) && (try? StoreTransaction.checkDeclaredType(value, type)) != nil
                #expect(full, "\(value) passes as plainly valid in a \(type.name) column, but the full checks refuse it")
            }
        }
        #expect(StoreTransaction.isPlainlyValid(.int(Int64(Int32.max)), .integer))
        #expect(!StoreTransaction.isPlainlyValid(.int(Int64(Int32.max) + 1), .integer))
        #expect(!StoreTransaction.isPlainlyValid(.int(Int64(Int16.min) - 1), .smallint))
        #expect(!StoreTransaction.isPlainlyValid(.null, .int), "NULL is for the NOT NULL check")
    }

    @Test("inserted rows keep their errors: out-of-range integers 22003, long varchar 22001, wrong kinds 42804, NULL in NOT NULL 23502")
    func insertErrors() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/validate.vireo", options: testOptions(backend))
            let columns = [
                ColumnDefinition(name: "id", type: .int, notNull: true), ColumnDefinition(name: "small", type: .smallint),
                ColumnDefinition(name: "medium", type: .integer), ColumnDefinition(name: "ratio", type: .real),
                ColumnDefinition(name: "code", type: .varchar(length: 3)), ColumnDefinition(name: "name", type: .text, notNull: true),
            ]
            try store.write { try $0.createTable(TableDefinition(name: "t", columns: columns, rowIDColumn: 0)) }
            let good: [Value] = [.int(1), .int(Int64(Int16.min)), .int(Int64(Int32.max)), .double(0.5), .text("abc"), .text("x")]
            try store.write { _ = try $0.insert(into: "t", row: good) }
            let cases: [([Value], VireoError.Code)] = [
                ([.int(2), .int(Int64(Int16.max) + 1), .null, .null, .null, .text("x")], .numericOutOfRange),
                ([.int(3), .null, .int(Int64(Int32.min) - 1), .null, .null, .text("x")], .numericOutOfRange),
                ([.int(4), .null, .null, .null, .text("abcd"), .text("x")], .stringDataRightTruncation),
                ([.int(5), .null, .null, .int(1), .null, .text("x")], .typeMismatch),
                ([.int(6), .null, .null, .null, .null, .int(7)], .typeMismatch),
                ([.int(7), .null, .null, .null, .null, .null], .notNullViolation),
            ]
            for (row, code) in cases {
                let transaction = try store.beginTransaction()
                let error = expectVireoError { try transaction.insert(into: "t", row: row) }
                #expect(error?.code == code, "inserting \(row): expected \(code), got \(String(describing: error))")
                transaction.rollback()
            }
            let stored = try store.read { try $0.row($0.table("t"), rowID: 1) }
            #expect(stored == good, "expected \(good), got \(String(describing: stored))")
            #expect(try store.read { try $0.rowCount($0.table("t")) } == 1)
        }
    }
}
