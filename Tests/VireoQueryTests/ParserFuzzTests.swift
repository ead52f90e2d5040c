import Foundation
import Testing
import VireoStorage
@testable import VireoQuery

/// Pieces of SQL the token soups are made of.
private let vocabulary: [String] = [
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "LIMIT", "OFFSET", "FETCH", "FIRST", "ROWS", "ONLY",
    "UNION", "ALL", "INTERSECT", "EXCEPT", "DISTINCT", "AS", "JOIN", "LEFT", "INNER", "CROSS", "OUTER", "ON", "USING",
    "INSERT", "INTO", "VALUES", "DEFAULT", "ON CONFLICT", "DO", "NOTHING", "UPDATE", "SET", "DELETE", "RETURNING",
    "CREATE", "TABLE", "INDEX", "UNIQUE", "IF", "NOT", "EXISTS", "DROP", "ALTER", "ADD", "COLUMN", "RENAME", "TO",
    "PRIMARY", "KEY", "NULL", "TRUE", "FALSE", "AND", "OR", "IS", "IN", "BETWEEN", "LIKE", "ILIKE", "ESCAPE",
    "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "ARRAY", "BEGIN", "COMMIT", "ROLLBACK", "SHOW", "RESET", "EXPLAIN",
    "ANALYZE", "VERBOSE", "WITH", "int", "text", "vector", "vector(3)", "double", "precision", "timestamp", "zone",
    "a", "b", "t", "t.a", "\"Q\"", "count", "count(*)", "now()", "trim(", "substring(", "position(", "extract(", "LEADING", "FOR", "hnsw", "m", "excluded",
    "1", "0", "-1", "1.5", "1e3", "'x'", "'[1,2,3]'", "E'\\n'", "$$d$$", "$1", "$2",
    "(", ")", "(", ")", ",", ",", ";", ".", "*", "+", "-", "/", "%", "^", "=", "<>", "!=", "<", "<=", ">", ">=",
    "||", "->", "->>", "#>", "@>", "?", "<->", "<#>", "<=>", "<+>", "::", "[", "]", "--", "/*", "*/", "'", "\"", "$",
]

private enum FuzzOutcome {
    case parsed, rejected
}

@Suite("Parser fuzz")
struct ParserFuzzTests {
    @Test("random bytes, token soups and mutated statements either parse or throw VireoError; whatever parses round-trips")
    func fuzz() throws {
        let seed = ProcessInfo.processInfo.environment["VIREO_FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        print("parser fuzz seed: \(seed) (set VIREO_FUZZ_SEED=\(seed) to replay)")
        var generator = SplitMix64(seed: seed)
        let environment = ProcessInfo.processInfo.environment
        let inputsMax = environment["VIREO_FUZZ_INPUTS"].flatMap { Int($0) } ?? 20_000
        let deadline = ContinuousClock.now + .seconds(environment["VIREO_FUZZ_SECONDS"].flatMap { Int($0) } ?? 4)
        var (parsed, rejected, count) = (0, 0, 0)
        while count < inputsMax, ContinuousClock.now < deadline {
            let input = makeInput(kind: count % 3, using: &generator)
            guard let outcome = check(input, seed: seed) else { return }
            if case .parsed = outcome { parsed += 1 } else { rejected += 1 }
            count += 1
        }
        print("parser fuzz: \(count) inputs, \(parsed) parsed, \(rejected) rejected")
        #expect(count >= 1_000, "too few inputs checked in the time bound: \(count)")
    }

    private func makeInput(kind: Int, using generator: inout SplitMix64) -> String {
        switch kind {
        case 0: randomBytes(using: &generator)
        case 1: tokenSoup(using: &generator)
        default: mutatedStatement(using: &generator)
        }
    }

    /// Parses `input`; nil (after recording the failure) if the parser broke its contract.
    private func check(_ input: String, seed: UInt64) -> FuzzOutcome? {
        let statements: [Statement]
        do {
            statements = try Parser.parseScript(input)
        } catch is VireoError {
            return .rejected
        } catch {
            Issue.record("seed \(seed): non-VireoError \(error) for input \(input.debugDescription)")
            return nil
        }
        for statement in statements {
            let printed = statement.sql
            guard let reparsed = try? Parser.parseStatement(printed), reparsed.body == statement.body else {
                Issue.record("seed \(seed): printed SQL does not parse back to the same tree: \(printed.debugDescription) from input \(input.debugDescription)")
                return nil
            }
        }
        return .parsed
    }

    private func randomBytes(using generator: inout SplitMix64) -> String {
        let length = Int.random(in: 0...80, using: &generator)
        let bytes = (0..<length).map { _ -> UInt8 in
            Bool.random(using: &generator) ? UInt8.random(in: 0x20...0x7E, using: &generator) : UInt8.random(in: 0...0xFF, using: &generator)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func tokenSoup(using generator: inout SplitMix64) -> String {
        let length = Int.random(in: 1...30, using: &generator)
        let separator = Int.random(in: 0..<4, using: &generator) == 0 ? "" : " "
        return (0..<length).map { _ in vocabulary.randomElement(using: &generator) ?? "" }.joined(separator: separator)
    }

    /// A corpus statement with one to three edits: a byte range deleted or duplicated, a
    /// vocabulary token inserted, or the text cut short.
    private func mutatedStatement(using generator: inout SplitMix64) -> String {
        var bytes = Array((corpus.randomElement(using: &generator) ?? "").utf8)
        for _ in 0..<Int.random(in: 1...3, using: &generator) where !bytes.isEmpty {
            let start = Int.random(in: 0..<bytes.count, using: &generator)
            let end = min(bytes.count, start + Int.random(in: 1...8, using: &generator))
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: bytes.removeSubrange(start..<end)
            case 1: bytes.insert(contentsOf: bytes[start..<end], at: start)
            case 2: bytes.insert(contentsOf: Array((" " + (vocabulary.randomElement(using: &generator) ?? "") + " ").utf8), at: start)
            default: bytes.removeSubrange(start...)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
