import Foundation
import VireoQuery

/// Runs shell input, line by line, against one session: SQL statements ending in `;` and
/// backslash commands at the start of a line. Results go to `output`, errors to `errors`.
final class ShellRunner {
    /// What handling a line led to.
    enum Outcome: Equatable {
        case proceed
        /// `\q`.
        case quit
        /// A statement or command failed.
        case failed
    }

    let database: Database
    let session: Session
    let format: OutputFormat
    var timing = false
    /// Whether each statement runs in the implicit block of a several-statement `-c`
    /// string (`runAsOneMessage`), as psql's one Query message for it runs in PostgreSQL.
    private var opensImplicitBlocks = false
    private(set) var splitter = StatementSplitter()
    private let output: (String) -> Void
    private let errors: (String) -> Void

    init(database: Database, format: OutputFormat, output: @escaping (String) -> Void, errors: @escaping (String) -> Void) {
        self.database = database
        session = database.session()
        self.format = format
        self.output = output
        self.errors = errors
    }

    /// Whether the next line continues a statement (for the `vireo-> ` prompt).
    var isContinuing: Bool { !splitter.isBlank || !splitter.atTopLevel }

    /// Handles one line of input. With `stopOnError`, the rest of the line is skipped after
    /// a failure.
    func handle(line: String, stopOnError: Bool) -> Outcome {
        handle(lineBytes: Array(line.utf8), stopOnError: stopOnError)
    }

    /// Handles one line of raw input (without its newline); bytes that are not UTF-8 make
    /// the statement holding them fail with 22021, as a PostgreSQL server refuses them.
    func handle(lineBytes: [UInt8], stopOnError: Bool) -> Outcome {
        if splitter.atTopLevel, let line = String(validating: lineBytes, as: UTF8.self), line.trimmingBlanks().hasPrefix("\\") {
            return command(line.trimmingBlanks())
        }
        var outcome = Outcome.proceed
        for statement in splitter.feed(bytes: lineBytes + [UInt8(ascii: "\n")]) {
            if !run(statement) {
                outcome = .failed
                if stopOnError { break }
            }
        }
        return outcome
    }

    /// Forgets the statement being typed (Ctrl-C at the prompt).
    func discardStatement() {
        splitter.reset()
    }

    /// Runs what is left at the end of input, a statement without its `;`.
    func finish() -> Outcome {
        guard let statement = splitter.finish() else { return .proceed }
        return run(statement) ? .proceed : .failed
    }

    /// Runs one statement cut by the splitter; false on error.
    func run(_ statement: StatementSplitter.SplitStatement) -> Bool {
        switch statement {
        case .text(let text): return run(text)
        case .notUTF8(let error):
            errors(ErrorFormat.render(error, statement: nil, json: format == .json))
            return false
        }
    }

    /// Runs one statement and prints its result or its error; false on error.
    func run(_ statement: String) -> Bool {
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            if opensImplicitBlocks { try session.beginImplicitBlock() }
            let result = try session.execute(statement)
            let elapsedMs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
            printNotices()
            output(SessionTimeZone.withZone(session.timeZone) { format.render(result) })
            if timing { output(String(format: "Time: %.3f ms\n", elapsedMs)) }
            return true
        } catch {
            printNotices()
            errors(ErrorFormat.render(error, statement: statement, json: format == .json))
            return false
        }
    }

    /// The statement's NOTICEs and WARNINGs, on standard error as psql prints them.
    private func printNotices() {
        for notice in session.takeNotices() { errors(notice.text + "\n") }
    }

    /// Runs a `-c` string as psql sends it, one Query message: when it holds several
    /// statements they are one implicit transaction, which the first error rolls back
    /// (with its statements before it), else the end commits. A BEGIN in it opens an explicit
    /// block instead, as in PostgreSQL. (`-f` files and standard input run each statement
    /// in a transaction of its own, as psql sends each as a message of its own.)
    func runAsOneMessage(_ text: String, _ runLines: () -> Outcome) -> Outcome {
        var counter = StatementSplitter()
        let count = counter.feed(bytes: Array(text.utf8) + [UInt8(ascii: "\n")]).count + (counter.finish() == nil ? 0 : 1)
        guard count > 1 else { return runLines() }
        opensImplicitBlocks = true
        let outcome = runLines()
        opensImplicitBlocks = false
        do {
            try session.endImplicitBlock(succeeded: outcome != .failed)
            printNotices()
        } catch {
            errors(ErrorFormat.render(error, statement: nil, json: format == .json))
            return .failed
        }
        return outcome
    }

    // MARK: - Backslash commands

    private func command(_ text: String) -> Outcome {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let arguments = Array(words.dropFirst())
        switch words.first ?? "" {
        case "\\q", "\\quit": return .quit
        case "\\?", "\\h", "\\help": output(Self.help)
        case "\\timing": return toggleTiming(arguments)
        case "\\d": return describe(arguments)
        case "\\dt": output(Describe.tables(database.store.catalog))
        case "\\di": output(Describe.indexes(database.store.catalog))
        case "\\r", "\\reset":
            discardStatement()
            output("Query buffer reset (cleared).\n")
        default:
            errors("invalid command \(words.first ?? text)\nTry \\? for help.\n")
            return .failed
        }
        return .proceed
    }

    private func toggleTiming(_ arguments: [String]) -> Outcome {
        switch arguments.first?.lowercased() {
        case nil: timing.toggle()
        case "on": timing = true
        case "off": timing = false
        default:
            errors("\\timing: unrecognized value \"\(arguments[0])\": Boolean expected\n")
            return .failed
        }
        output("Timing is \(timing ? "on" : "off").\n")
        return .proceed
    }

    private func describe(_ arguments: [String]) -> Outcome {
        let catalog = database.store.catalog
        guard let name = arguments.first else {
            output(Describe.tables(catalog))
            return .proceed
        }
        let unquoted = name.hasPrefix("\"") && name.hasSuffix("\"") && name.count > 1 ? String(name.dropFirst().dropLast()) : name.lowercased()
        guard let text = Describe.relation(unquoted, catalog) else {
            errors("Did not find any relation named \"\(name)\".\n")
            return .failed
        }
        output(text)
        return .proceed
    }

    static let help = """
        General
          \\q                quit
          \\?                this help
          \\timing [on|off]  show how long each statement takes
          \\r                reset (clear) the statement being typed

        Catalog
          \\d                list tables
          \\d NAME           describe a table or an index (columns, types, indexes)
          \\dt               list tables
          \\di               list indexes

        SQL statements end with ';' and may span several lines. The statements
        Vireo understands are documented in docs/sql.md.

        """
}
