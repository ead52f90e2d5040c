import Foundation
import Testing

/// End-to-end tests of `vireo sql`: they run the built binary ($VIREO_BIN, else
/// .build/debug/vireo under the package root) and check its output and exit status.
@Suite("vireo sql shell")
struct ShellTests {
    @Test("-c prints psql's aligned table: right-aligned numbers, NULL as blank, footer, command tags")
    func tableOutput() throws {
        let run = try Shell.run(["-c", "CREATE TABLE t (id int PRIMARY KEY, name text, score double precision)",
                                 "-c", "INSERT INTO t VALUES (1, 'ann', 2.5), (20, NULL, -1)",
                                 "-c", "SELECT id, name, score FROM t ORDER BY id"])
        let expected = """
            CREATE TABLE
            INSERT 0 2
             id | name | score 
            ----+------+-------
              1 | ann  |   2.5
             20 |      |    -1
            (2 rows)


            """
        try run.expectSuccess()
        #expect(run.stdout == expected, "expected:\n\(expected)\ngot:\n\(run.stdout)")
    }

    @Test("a SELECT with no columns prints psql's bare rule and the row count")
    func noColumns() throws {
        let run = try Shell.run(["-c", "SELECT FROM (VALUES (1), (2)) AS v(x)"])
        try run.expectSuccess()
        #expect(run.stdout == "--\n(2 rows)\n\n", "got:\n\(run.stdout)")
    }

    @Test("RETURNING prints the rows, then the command tag")
    func returningTag() throws {
        let run = try Shell.run(["-c", "CREATE TABLE t (id serial PRIMARY KEY, v text); INSERT INTO t (v) VALUES ('x') RETURNING id"])
        let expected = "CREATE TABLE\n id \n----\n  1\n(1 row)\n\nINSERT 0 1\n"
        try run.expectSuccess()
        #expect(run.stdout == expected, "expected:\n\(expected)\ngot:\n\(run.stdout)")
    }

    @Test("--format csv is RFC 4180: header, CRLF, quoting, NULL empty and '' quoted")
    func csvOutput() throws {
        let run = try Shell.run(["--format", "csv", "-c", "SELECT 1 AS n, 'a,\"b\"' AS s, NULL AS z, '' AS e, '[1,2]'::vector AS v"])
        let expected = "n,s,z,e,v\r\n1,\"a,\"\"b\"\"\",,\"\",\"[1,2]\"\r\n"
        try run.expectSuccess()
        #expect(run.stdout == expected, "expected:\n\(expected.debugDescription)\ngot:\n\(run.stdout.debugDescription)")
    }

    @Test("--format json: an array of objects, numbers as numbers, NULL as null, vectors as arrays, json as json")
    func jsonOutput() throws {
        let sql = """
            CREATE TABLE t (id int, ok boolean, v vector(2), doc jsonb, note text);
            INSERT INTO t VALUES (1, true, '[0.5,2]', '{"a": [1, 2]}', 'say "hi"'), (2, false, NULL, NULL, NULL);
            SELECT * FROM t ORDER BY id;
            """
        let run = try Shell.run(["--format", "json", "-c", sql])
        let expected = #"[{"id":1,"ok":true,"v":[0.5,2],"doc":{"a": [1, 2]},"note":"say \"hi\""},{"id":2,"ok":false,"v":null,"doc":null,"note":null}]"# + "\n"
        try run.expectSuccess()
        #expect(run.stdout == expected, "expected:\n\(expected)\ngot:\n\(run.stdout)")
        let parsed = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]]
        #expect(parsed?.count == 2, "expected the output to parse as an array of 2 objects, got \(String(describing: parsed))")
    }

    @Test("standard input: ';' inside strings, quoted names, dollar quotes and comments does not end a statement")
    func standardInputSplitting() throws {
        let input = """
            SELECT 'a;b' AS "x;y", $$c;d$$ AS e, E'f\\';g' AS h -- comment ; here
            /* block ; /* nested ; */ still */ ;
            SELECT 2 AS two
            """
        let run = try Shell.run(["--format", "csv"], input: input)
        let expected = "x;y,e,h\r\na;b,c;d,f';g\r\ntwo\r\n2\r\n"
        try run.expectSuccess()
        #expect(run.stdout == expected, "expected:\n\(expected.debugDescription)\ngot:\n\(run.stdout.debugDescription)")
    }

    @Test("a statement on standard input or in a file that is not UTF-8 is refused with 22021, not repaired")
    func invalidUTF8Refused() throws {
        let script: [UInt8] = Array("SELECT 'ok' AS first;\nSELECT 'caf".utf8) + [0xE9] + Array("' AS second;\nSELECT 3 AS third;\n".utf8)
        let run = try Shell.run(["--format", "csv"], inputBytes: script)
        #expect(run.status == 1, "expected exit status 1, got \(run.status)")
        #expect(run.stdout == "first\r\nok\r\n", "expected only the first result, got:\n\(run.stdout.debugDescription)")
        #expect(run.stderr.contains("ERROR:  22021: invalid byte sequence for encoding \"UTF8\": 0xe9"), "got stderr:\n\(run.stderr)")
        try withTemporaryDirectory { directory in
            let file = directory + "/script.sql"
            try Data(script).write(to: URL(fileURLWithPath: file))
            let fromFile = try Shell.run(["--format", "csv", "-f", file])
            #expect(fromFile.status == 1 && fromFile.stdout == "first\r\nok\r\n" && fromFile.stderr.contains("22021"),
                    "got status \(fromFile.status), stdout \(fromFile.stdout.debugDescription), stderr \(fromFile.stderr)")
        }
    }

    @Test("a syntax error prints ERROR, the line and a caret, and stops the script with status 1")
    func syntaxErrorStops() throws {
        let run = try Shell.run(["-c", "SELECT 1 AS one", "-c", "SELECT * FORM t", "-c", "SELECT 2 AS two"])
        #expect(run.status == 1, "expected exit status 1, got \(run.status)")
        #expect(run.stdout.contains("one") && !run.stdout.contains("two"), "expected only the first result, got:\n\(run.stdout)")
        let expected = "ERROR:  42601: syntax error at or near \"FORM\": expected ';' or end of input\nLINE 1: SELECT * FORM t\n                 ^\n"
        #expect(run.stderr.contains(expected), "expected stderr to contain:\n\(expected)\ngot:\n\(run.stderr)")
    }

    @Test("the caret points into the right line of a multi-line statement")
    func caretOnSecondLine() throws {
        let run = try Shell.run([], input: "SELECT 1,\n  2 +;\nSELECT 3;\n")
        #expect(run.status == 1, "expected exit status 1, got \(run.status)")
        let expected = "LINE 2:   2 +;\n             ^\n"
        #expect(run.stderr.contains(expected), "expected stderr to contain:\n\(expected)\ngot:\n\(run.stderr)")
    }

    @Test("an execution error prints ERROR and exits 1")
    func executionError() throws {
        let run = try Shell.run(["-c", "SELECT 1 / 0"])
        #expect(run.status == 1, "expected exit status 1, got \(run.status)")
        #expect(run.stderr.contains("ERROR:  22012: division by zero\n"), "got stderr:\n\(run.stderr)")
        #expect(!run.stderr.contains("LINE 1"), "no caret expected without a position, got:\n\(run.stderr)")
    }

    @Test("a script that stops inside a block rolls its transaction back and closes the database cleanly")
    func errorInsideBlock() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shell-block-\(UUID().uuidString).vireo").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try Shell.run([path], input: "CREATE TABLE t (a int);\nBEGIN;\nINSERT INTO t VALUES (1);\nSELEC 1;\n")
        #expect(run.status == 1, "expected exit status 1, got \(run.status)")
        #expect(!run.stderr.contains("open snapshot"), "closing must not fail, got stderr:\n\(run.stderr)")
        let after = try Shell.run([path, "-c", "SELECT count(*) FROM t"])
        try after.expectSuccess()
        #expect(after.stdout.contains(" 0\n"), "the block's insert must be rolled back, got:\n\(after.stdout)")
    }

    @Test("--format csv and json print a date, a timestamptz and a real as their types print them, as psql --csv does")
    func typedTextInCSVAndJSON() throws {
        let sql = "SELECT '1999-01-08'::date AS d, '2024-01-02 03:04:05+05:30'::timestamptz AS tz, 0.1::real AS r"
        let csv = try Shell.run(["--format", "csv", "-c", sql])
        #expect(csv.stdout == "d,tz,r\r\n1999-01-08,2024-01-01 21:34:05+00,0.1\r\n", "got \(csv.stdout.debugDescription)")
        let json = try Shell.run(["--format", "json", "-c", sql])
        #expect(json.stdout == "[{\"d\":\"1999-01-08\",\"tz\":\"2024-01-01 21:34:05+00\",\"r\":0.1}]\n", "got \(json.stdout)")
    }

    @Test("a -c string of several statements is one transaction, as psql's one Query message: a failure rolls back those before it; a script commits each")
    func commandStringIsOneTransaction() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shell-implicit-\(UUID().uuidString).vireo").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Shell.run([path, "-c", "CREATE TABLE t (a int PRIMARY KEY)"]).expectSuccess()
        let failed = try Shell.run([path, "-c", "INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)"])
        #expect(failed.status == 1 && failed.stdout == "INSERT 0 1\n" && failed.stderr.contains("23505"), "got \(failed)")
        let count = "SELECT count(*) FROM t"
        #expect(try Shell.run([path, "--format", "csv", "-c", count]).stdout == "count\r\n0\r\n", "the first INSERT is rolled back")
        try Shell.run([path, "-c", "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)"]).expectSuccess()
        let script = try Shell.run([path], input: "INSERT INTO t VALUES (3);\nINSERT INTO t VALUES (3);\n")
        #expect(script.status == 1, "got \(script)")
        #expect(try Shell.run([path, "--format", "csv", "-c", count]).stdout == "count\r\n3\r\n", "a script's statements commit one by one, as psql -f")
    }

    @Test("\\d lists tables, \\d NAME describes columns and indexes, \\di lists indexes, an unknown command fails")
    func describeCommands() throws {
        let setup = """
            CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, embedding vector(3));
            CREATE INDEX items_embedding_idx ON items USING hnsw (embedding vector_cosine_ops) WITH (m = 8, ef_construction = 32);
            \\d
            \\d items
            \\di
            """
        let run = try Shell.run([], input: setup)
        try run.expectSuccess()
        for fragment in ["List of relations", " items | table |", "Table \"items\"",
                         " id        | bigint    | not null | nextval('items_id_seq')",
                         " name      | text      | not null |", " embedding | vector(3) |",
                         "\"items_name_key\" UNIQUE, btree (name)",
                         "\"items_embedding_idx\" hnsw (embedding vector_cosine_ops) WITH (m='8', ef_construction='32')",
                         "List of indexes"] {
            #expect(run.stdout.contains(fragment), "expected the output to contain \(fragment.debugDescription), got:\n\(run.stdout)")
        }
        let unknown = try Shell.run(["-c", "\\nope"])
        #expect(unknown.status == 1 && unknown.stderr.contains("invalid command \\nope"), "got \(unknown.status), stderr:\n\(unknown.stderr)")
    }

    @Test("a database file keeps its data between runs; -f runs a file")
    func fileDatabase() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vireo-shell-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("test.vireo").path
        let script = directory.appendingPathComponent("setup.sql")
        try "CREATE TABLE kept (n int);\nINSERT INTO kept VALUES (41), (1);\n".write(to: script, atomically: true, encoding: .utf8)
        try Shell.run([database, "-f", script.path]).expectSuccess()
        let run = try Shell.run([database, "--format", "csv", "-c", "SELECT sum(n) AS total FROM kept"])
        try run.expectSuccess()
        #expect(run.stdout == "total\r\n42\r\n", "got:\n\(run.stdout.debugDescription)")
    }

    @Test("interactive mode through a pseudo-terminal: prompts, multi-line statements, \\timing, history file")
    func interactive() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vireo-shell-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let history = directory.appendingPathComponent("history").path
        let command = "'\(try Shell.binary())' sql"
        let run = try Shell.run(["-q", "-e", "-c", command, "/dev/null"], input: "SELECT 40 +\n 2 AS answer;\n\\timing\nSELECT 1;\n\\q\n",
                                executable: "/usr/bin/script", environment: ["VIREO_HISTORY": history])
        try run.expectSuccess()
        let screen = run.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        for fragment in ["in-memory database", "vireo=> ", "vireo-> ", " answer \n--------\n     42\n(1 row)", "Timing is on.", "Time: "] {
            #expect(screen.contains(fragment), "expected the screen to contain \(fragment.debugDescription), got:\n\(screen)")
        }
        let saved = (try? String(contentsOfFile: history, encoding: .utf8)) ?? ""
        #expect(saved.contains("timing"), "expected the history file to hold the lines typed, got:\n\(saved)")
    }
}

/// Runs the `vireo` binary (or another program) with a time limit.
enum Shell {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String

        func expectSuccess() throws {
            #expect(status == 0, "expected exit status 0, got \(status); stderr:\n\(stderr)")
            if status != 0 { throw ShellTestError.failed(stderr) }
        }
    }

    enum ShellTestError: Error {
        case failed(String)
        case missingBinary(String)
        case timedOut
    }

    /// Seconds a run may take before it is killed.
    static let timeoutSeconds = 30.0

    /// The `vireo` binary: `$VIREO_BIN`, else `.build/debug/vireo` under the package root.
    static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["VIREO_BIN"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent(".build/debug/vireo").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ShellTestError.missingBinary("no vireo binary at \(path): run `swift build` first or set VIREO_BIN")
        }
        return path
    }

    /// Runs `vireo sql ARGUMENTS` (or `executable ARGUMENTS`) with `input` on standard input.
    @discardableResult
    static func run(_ arguments: [String], input: String = "", inputBytes: [UInt8]? = nil, executable: String? = nil,
                    environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable ?? binary())
        process.arguments = executable == nil ? ["sql"] + arguments : arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let (stdin, stdout, stderr) = (Pipe(), Pipe(), Pipe())
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let killer = DispatchWorkItem { process.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: killer)
        // A child that exits before reading everything must not take the test run down with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        try? stdin.fileHandleForWriting.write(contentsOf: Data(inputBytes ?? Array(input.utf8)))
        try stdin.fileHandleForWriting.close()
        let errorData = ErrorCollector(stderr.fileHandleForReading)
        let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        if process.terminationReason == .uncaughtSignal { throw ShellTestError.timedOut }
        return Run(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                   stderr: String(decoding: errorData.wait(), as: UTF8.self))
    }
}

/// Reads a pipe to its end on another thread, so that neither pipe can fill and block the child.
final class ErrorCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
