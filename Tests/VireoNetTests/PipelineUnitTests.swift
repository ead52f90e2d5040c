import Foundation
import Testing
import VireoStorage
@testable import VireoNet

@Suite("Pipelines: password hashes, cron, named parameters, CSV")
struct PipelineUnitTests {
    @Test("scrypt gives RFC 7914's test vector (section 12: password, NaCl, N=1024, r=8, p=16)")
    func scryptVector() throws {
        let key = try PasswordHash.derive("password", salt: Array("NaCl".utf8), cost: .init(rounds: 1024, blockSize: 8, parallelism: 16), byteCount: 64)
        let hex = key.map { String(format: "%02x", $0) }.joined()
        #expect(hex == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    @Test("a stored hash verifies its password only, carries its cost, and a malformed one verifies nothing")
    func hashRoundTrip() throws {
        let cheap = PasswordHash.Cost(rounds: 1024, blockSize: 8, parallelism: 1)
        let stored = try PasswordHash.make("correct horse", cost: cheap)
        #expect(stored.hasPrefix("scrypt$1024$8$1$"))
        #expect(PasswordHash.verify("correct horse", against: stored))
        #expect(!PasswordHash.verify("correct horsE", against: stored))
        #expect(!PasswordHash.verify("correct horse", against: "scrypt$1024$8$1$bad"))
        #expect(try PasswordHash.make("correct horse", cost: cheap) != stored, "each hash has its own salt")
        #expect(PasswordHash.Cost.standard.rounds == 1 << 14)
    }

    static func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test("cron: steps, ranges, names, the day fields' OR, time zones and six fields", arguments: [
        ("*/15 * * * *", "UTC", "2024-01-26T10:07:00Z", "2024-01-26T10:15:00Z"),
        ("0 2 * * *", "UTC", "2024-01-26T02:00:00Z", "2024-01-27T02:00:00Z"),
        ("0 2 * * *", "Europe/Berlin", "2024-01-26T10:00:00Z", "2024-01-27T01:00:00Z"),
        ("30 9 * * mon-fri", "UTC", "2024-01-26T10:00:00Z", "2024-01-29T09:30:00Z"),
        ("0 0 29 feb *", "UTC", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),
        ("0 12 1 * 0", "UTC", "2024-01-26T00:00:00Z", "2024-01-28T12:00:00Z"),
        ("0 0 1,15 * *", "UTC", "2024-01-02T00:00:00Z", "2024-01-15T00:00:00Z"),
        ("5 0 * * 7", "UTC", "2024-01-26T00:00:00Z", "2024-01-28T00:05:00Z"),
        ("*/20 * * * * *", "UTC", "2024-01-26T10:00:41Z", "2024-01-26T10:01:00Z"),
    ])
    func cronNext(schedule: String, zone: String, after: String, expected: String) throws {
        let next = try CronSchedule(schedule, timeZone: zone).next(after: Self.utc(after))
        #expect(next == Self.utc(expected), "\(schedule) in \(zone) after \(after)")
    }

    @Test("cron refuses what it cannot read, naming the field", arguments: ["* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "5-1 * * * *", "* * * foo *"])
    func cronInvalid(schedule: String) {
        #expect(throws: RESTError.self) { try CronSchedule(schedule) }
    }

    @Test("cron refuses an unknown time zone and finds no time for 30 February")
    func cronZoneAndNever() throws {
        #expect(throws: RESTError.self) { try CronSchedule("* * * * *", timeZone: "Mars/Olympus") }
        #expect(try CronSchedule("0 0 30 2 *").next(after: Self.utc("2024-01-01T00:00:00Z")) == nil)
    }

    @Test(":name placeholders become $n in order of first use; casts, quotes and identifiers stay")
    func namedParameters() throws {
        let (sql, parameters) = try NamedParameters.positional(
            "SELECT x::int, ':no', \":no\" FROM t WHERE a > :min AND b < :max AND c = :min", ["min": .int(1), "max": .int(9)])
        #expect(sql == "SELECT x::int, ':no', \":no\" FROM t WHERE a > $1 AND b < $2 AND c = $1")
        #expect(parameters == [.int(1), .int(9)])
        #expect(throws: RESTError.self) { try NamedParameters.positional("SELECT :missing", [:]) }
    }

    @Test("CSV records: quotes, doubled quotes, delimiters and newlines inside quotes, CRLF, blank lines")
    func csvRecords() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vireo-csv-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\n\n3,\n".write(toFile: path, atomically: true, encoding: .utf8)
        var records = CSVRecords(file: try ChunkedFile(path: path), delimiter: UInt8(ascii: ","))
        #expect(try records.next() == ["a", "b"])
        #expect(try records.next() == ["x, \"y\"", "two\nlines"])
        #expect(try records.next() == ["3", ""])
        #expect(try records.next() == nil)
    }

    @Test("seed 001's codes: Vireo's snake_case and engine camelCase codes become upper snake case")
    func errorCodes() {
        #expect(PipelineErrors.code(RESTError(.forbidden, code: "permission_denied", "")) == "PERMISSION_DENIED")
        #expect(PipelineErrors.code(RESTError(.badRequest, code: "undefinedColumn", "")) == "UNDEFINED_COLUMN")
    }
}
