import ArgumentParser
import Foundation
import Logging
import VireoQuery
import VireoStorage

extension OutputFormat: ExpressibleByArgument {}

/// `vireo sql [PATH]`: an interactive SQL shell, or a script runner for `-c`, `-f` and
/// standard input. In scripting mode the first error stops the run with exit status 1.
struct SQLShell: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Run SQL: an interactive shell, or scripts from -c, -f or standard input.",
        discussion: """
            Without -c or -f, reads standard input: interactively (prompt, line editing, history \
            in ~/.vireo_history or $VIREO_HISTORY) when it is a terminal, as a script otherwise. \
            -c strings run first, then -f files, in the order given.
            """)

    @Argument(help: "The database file (created if absent). Omitted: an in-memory database.")
    var path: String?

    @Option(name: [.customShort("c"), .customLong("command")], help: "SQL (or one backslash command) to run; may repeat.")
    var commands: [String] = []

    @Option(name: [.customShort("f"), .customLong("file")], help: "A file of SQL to run; may repeat.")
    var files: [String] = []

    @Option(help: "Output format: table, csv or json.")
    var format: OutputFormat = .table

    @OptionGroup var open: OpenOptions

    func run() throws {
        let database: Database
        do {
            database = try Self.openDatabase(path, options: open.storageOptions())
        } catch {
            Output.error(ErrorFormat.render(error, statement: nil))
            throw ExitCode(2)
        }
        let runner = ShellRunner(database: database, format: format, output: Output.write, errors: Output.error)
        let succeeded = runInputs(runner)
        Output.flush()
        // A script that stopped inside a block leaves its transaction open: end it, as
        // psql's server does when the connection closes.
        if runner.session.isInTransaction { _ = try? runner.session.execute("ROLLBACK") }
        do {
            try database.close()
        } catch {
            Output.error(ErrorFormat.render(error, statement: nil))
            throw ExitCode(1)
        }
        if !succeeded { throw ExitCode(1) }
    }

    /// Opens the file at `path`, or an in-memory database, with `options` (whose quiet
    /// logger keeps a shell's standard error for what the user needs to see).
    static func openDatabase(_ path: String?, options: StorageOptions) throws -> Database {
        guard let path else {
            // Database.inMemory()'s options, with the quiet logger.
            let memory = StorageOptions(backend: SimulatedBackend(seed: 1), walCheckpointBytes: 256 << 20, logger: options.logger)
            return try Database.open(path: "/memory/\(UUID().uuidString).vireo", options: memory)
        }
        return try Database.open(path: path, options: options)
    }

    /// Runs every input; false when a statement failed in scripting mode.
    private func runInputs(_ runner: ShellRunner) -> Bool {
        if commands.isEmpty && files.isEmpty {
            if isatty(STDIN_FILENO) == 1 {
                Interactive(runner: runner, path: path).run()
                return true
            }
            return Script.run(runner, lineBytes: StandardInputLines()) != .failed
        }
        for command in commands {
            let outcome = runner.runAsOneMessage(command) { Script.run(runner, lines: Script.lines(command)) }
            if outcome != .proceed { return outcome == .quit }
        }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                Output.error("vireo sql: could not read \(file)\n")
                return false
            }
            let outcome = Script.run(runner, lineBytes: Script.lines(bytes: [UInt8](data)))
            if outcome != .proceed { return outcome == .quit }
        }
        return true
    }
}

/// Scripting mode: lines in order, the first error stops everything.
enum Script {
    /// The lines of a text, with LF or CRLF line ends.
    static func lines(_ text: String) -> IndexingIterator<[String]> {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init).makeIterator()
    }

    /// The lines of a file's bytes, with LF or CRLF line ends; the bytes need not be UTF-8.
    static func lines(bytes: [UInt8]) -> some IteratorProtocol<[UInt8]> {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            line.last == UInt8(ascii: "\r") ? Array(line.dropLast()) : Array(line)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines.makeIterator()
    }

    /// Runs the lines; `.quit` after `\q`, `.failed` at the first error.
    static func run(_ runner: ShellRunner, lines: some IteratorProtocol<String>) -> ShellRunner.Outcome {
        var lines = lines
        return run(runner, lineBytes: AnyIterator { lines.next().map { Array($0.utf8) } })
    }

    /// Runs raw lines (standard input may hold bytes that are not UTF-8).
    static func run(_ runner: ShellRunner, lineBytes: some IteratorProtocol<[UInt8]>) -> ShellRunner.Outcome {
        var lines = lineBytes
        while let line = lines.next() {
            let outcome = runner.handle(lineBytes: line, stopOnError: true)
            if outcome != .proceed { return outcome }
        }
        return runner.finish()
    }
}

/// The interactive loop: banner, prompts, line editing.
struct Interactive {
    let runner: ShellRunner
    let path: String?

    func run() {
        let target = path.map { "database \"\($0)\"" } ?? "an in-memory database (nothing is saved)"
        Output.write("vireo sql: connected to \(target).\nType \\? for help, \\q to quit. Statements end with ';'.\n\n")
        Output.flush()
        let reader = EditLineReader(historyPath: EditLineReader.defaultHistoryPath())
        while true {
            let prompt = runner.isContinuing ? "vireo-> " : "vireo=> "
            Interrupts.catch()
            let line = reader.readLine(prompt: prompt)
            guard let line else {
                Interrupts.restoreDefault()
                Output.write("\n")
                Output.flush()
                if Interrupts.takeInterrupt() {
                    runner.discardStatement()
                    continue
                }
                return
            }
            let watcher = Interrupts.cancelOnInterrupt(runner.session)
            let outcome = runner.handle(line: line, stopOnError: false)
            watcher.cancel()
            Interrupts.restoreDefault()
            _ = Interrupts.takeInterrupt()
            Output.flush()
            if outcome == .quit { return }
        }
    }
}

/// Ctrl-C at the prompt discards the line and the statement being typed, as in psql; while
/// a statement runs it cancels the statement (57014) and the shell carries on.
enum Interrupts {
    nonisolated(unsafe) private static var interrupted: sig_atomic_t = 0
    /// How often a running statement's watcher looks for a Ctrl-C.
    static let watchIntervalMs = 20

    /// Until the returned timer is cancelled, a Ctrl-C (caught by the handler, which only
    /// sets a flag, as a signal handler must) cancels `session`'s running statement.
    static func cancelOnInterrupt(_ session: Session) -> any DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now(), repeating: .milliseconds(watchIntervalMs))
        timer.setEventHandler { if takeInterrupt() { session.cancel() } }
        timer.resume()
        return timer
    }

    /// Catches SIGINT without SA_RESTART, so that the pending read returns.
    static func `catch`() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Interrupts.interrupted = 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    static func restoreDefault() {
        signal(SIGINT, SIG_DFL)
    }

    /// Whether Ctrl-C was pressed since the last call.
    static func takeInterrupt() -> Bool {
        defer { interrupted = 0 }
        return interrupted != 0
    }
}

/// Standard input, one line at a time, as raw bytes without the line end (LF or CRLF):
/// Swift's `readLine` would replace bytes that are not UTF-8, and the shell refuses them.
struct StandardInputLines: IteratorProtocol {
    static let chunkBytes = 64 << 10
    /// Bytes read and not yet handed out start at `start`.
    private var buffered: [UInt8] = []
    private var start = 0
    private var atEnd = false

    mutating func next() -> [UInt8]? {
        while true {
            if let newline = buffered[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffered[start..<newline])
                start = newline + 1
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return line
            }
            if atEnd { return takeRest() }
            buffered.removeSubrange(..<start)
            start = 0
            var chunk = [UInt8](repeating: 0, count: Self.chunkBytes)
            let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, Self.chunkBytes) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { atEnd = true } else { buffered.append(contentsOf: chunk[..<count]) }
        }
    }

    /// The last line when the input does not end with a newline.
    private mutating func takeRest() -> [UInt8]? {
        guard start < buffered.count else { return nil }
        defer { buffered = []; start = 0 }
        return Array(buffered[start...])
    }
}

/// Standard output (buffered) and standard error; output is flushed before each error so
/// that the two stay in order on a terminal. The shell is single-threaded.
enum Output {
    /// Bytes gathered before a write(2) of standard output.
    static let bufferBytesMax = 64 << 10
    nonisolated(unsafe) private static var buffer: [UInt8] = []

    static func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= bufferBytesMax { flush() }
    }

    static func error(_ text: String) {
        flush()
        writeAll(Array(text.utf8), to: STDERR_FILENO)
    }

    static func flush() {
        writeAll(buffer, to: STDOUT_FILENO)
        buffer.removeAll(keepingCapacity: true)
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
