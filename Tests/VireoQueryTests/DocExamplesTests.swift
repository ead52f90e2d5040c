import Foundation
import Testing
import VireoQuery
import VireoStorage

/// Runs every example of docs/sql.md (and of docs/full-text-search.md), in order, in one session of one fresh in-memory
/// database:
/// - a ```` ```sql ```` block must run without error;
/// - a ```` ```sql error ```` block must fail; ```` ```sql error 22000 ```` must fail with that SQLSTATE;
/// - a ```` ```text ```` block right after a sql block is the psql-style table (or command tag)
///   its last statement prints, and is compared cell by cell.
@Suite("documented SQL examples")
struct DocExamplesTests {
    @Test("every example in docs/sql.md runs, fails where it says so, and prints what it shows")
    func examples() throws {
        try Self.run("docs/sql.md", minimumBlocks: 40)
    }

    @Test("every example in docs/full-text-search.md runs, fails where it says so, and prints what it shows")
    func fullTextSearchExamples() throws {
        try Self.run("docs/full-text-search.md", minimumBlocks: 8)
    }

    static func run(_ document: String, minimumBlocks: Int) throws {
        let blocks = try DocBlocks.read(document)
        #expect(blocks.filter { $0.kind == .sql }.count >= minimumBlocks, "expected a documented example per feature, found \(blocks.count) blocks")
        let session = try Database.inMemory().session()
        var last: (block: DocBlock, result: QueryResult)?
        for block in blocks {
            switch block.kind {
            case .sql:
                do {
                    last = (block, try session.execute(block.text))
                } catch {
                    Issue.record("\(document) line \(block.line): expected success, got \(error)\n\(block.text)")
                    last = nil
                }
            case .error(let sqlState):
                last = nil
                do {
                    try session.execute(block.text)
                    Issue.record("\(document) line \(block.line): expected an error, got success\n\(block.text)")
                } catch let error as VireoError {
                    #expect(sqlState == nil || error.sqlState == sqlState,
                            "\(document) line \(block.line): expected SQLSTATE \(sqlState ?? ""), got \(error.sqlState) (\(error.message))")
                }
            case .output:
                guard let (source, result) = last else { continue }
                let expected = DocBlocks.parseTable(block.text)
                let got = DocBlocks.cells(result)
                #expect(expected == got, "\(document) line \(block.line): output of the example at line \(source.line)\nexpected: \(expected)\ngot:      \(got)")
                last = nil
            }
        }
    }
}

struct DocBlock {
    enum Kind: Equatable {
        case sql
        case error(sqlState: String?)
        case output
    }

    var kind: Kind
    var text: String
    /// Line of the opening fence in the file.
    var line: Int
}

enum DocBlocks {
    static func path(_ document: String = "docs/sql.md") -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(document).path
    }

    /// The ```sql, ```sql error [SQLSTATE] and ```text blocks of the document, in order.
    static func read(_ document: String = "docs/sql.md") throws -> [DocBlock] {
        let lines = try String(contentsOfFile: path(document), encoding: .utf8).components(separatedBy: "\n")
        var blocks: [DocBlock] = []
        var index = 0
        while index < lines.count {
            let fence = lines[index].trimmingCharacters(in: .whitespaces)
            index += 1
            guard fence.hasPrefix("```"), fence.count > 3 else { continue }
            let info = fence.dropFirst(3).split(separator: " ").map(String.init)
            let start = index
            while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces) != "```" { index += 1 }
            let text = lines[start..<min(index, lines.count)].joined(separator: "\n")
            index += 1
            switch (info.first, info.dropFirst().first) {
            case ("sql", nil): blocks.append(DocBlock(kind: .sql, text: text, line: start))
            case ("sql", "error"): blocks.append(DocBlock(kind: .error(sqlState: info.dropFirst(2).first), text: text, line: start))
            case ("text", _): blocks.append(DocBlock(kind: .output, text: text, line: start))
            default: continue
            }
        }
        return blocks
    }

    /// A psql table as header and rows of trimmed cells; a lone line is a command tag.
    static func parseTable(_ text: String) -> [[String]] {
        let lines = text.components(separatedBy: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard lines.count > 1 else { return [lines.map { $0.trimmingCharacters(in: .whitespaces) }] }
        // The header, then the rows up to the `(N rows)` footer (a RETURNING tag may follow it).
        let body = joiningContinuedLines(Array(lines.prefix { !($0.hasPrefix("(") && $0.hasSuffix(")")) }))
        return body.enumerated().filter { $0.offset != 1 }.map { _, line in
            line.components(separatedBy: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    /// psql prints a value of several lines (one column) as lines ending in `+`: those are
    /// joined into one line whose cell keeps the newlines and each line's indentation.
    private static func joiningContinuedLines(_ lines: [String]) -> [String] {
        var joined: [String] = [], pending: [String] = []
        for line in lines {
            var content = String(line.dropFirst())
            while content.last == " " { content.removeLast() }
            if !line.contains("|"), content.hasSuffix("+") {
                content.removeLast()
                while content.last == " " { content.removeLast() }
                pending.append(content)
            } else if pending.isEmpty {
                joined.append(line)
            } else {
                joined.append((pending + [content]).joined(separator: "\n"))
                pending = []
            }
        }
        return joined + (pending.isEmpty ? [] : [pending.joined(separator: "\n")])
    }

    /// A result as header and rows of trimmed text cells (NULL is empty); a command tag when no rows.
    static func cells(_ result: QueryResult) -> [[String]] {
        guard result.returnsRows else { return [[result.commandTag]] }
        let header = result.columns.map(\.name)
        return [header] + result.rows.map { row in
            zip(row, result.columns).map { ($0.text(as: $1.type) ?? "").trimmingCharacters(in: .whitespaces) }
        }
    }
}
