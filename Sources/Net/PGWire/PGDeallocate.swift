import VireoStorage

/// `DEALLOCATE [PREPARE] { name | ALL }`: drops the connection's prepared statements, which
/// pgwire describes and the session names (with SQL PREPARE's), so it is parsed here, as COPY
/// is, and drops both. Drivers send
/// it: psycopg sends `DEALLOCATE ALL` after a ROLLBACK or a DROP while it has statements
/// prepared, and `DEALLOCATE name` when its cache of them is full.
enum PGDeallocate: Equatable {
    case all
    case named(String)

    /// The command in `sql`, nil when `sql` is not a DEALLOCATE statement.
    static func parse(_ sql: String) throws -> PGDeallocate? {
        guard startsWithWord(sql, "deallocate") else { return nil }
        var text = Substring(sql).drop { $0.isWhitespace }.dropFirst(10)
        // `deallocatex` is another word: the engine's parser reports it.
        if let next = text.first, !next.isWhitespace, next != ";" { return nil }
        while let last = text.last, last.isWhitespace || last == ";" { text = text.dropLast() }
        var words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        if words.count == 2, words[0].lowercased() == "prepare" { words.removeFirst() }
        guard words.count == 1, let word = words.first else {
            throw VireoError(.syntaxError, "syntax error in DEALLOCATE: expected DEALLOCATE [PREPARE] { name | ALL }")
        }
        if word.lowercased() == "all" { return .all }
        if word.count >= 2, word.hasPrefix("\""), word.hasSuffix("\"") {
            return .named(String(word.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\""))
        }
        return .named(word.lowercased())
    }
}

extension PGConnection {
    /// Runs a DEALLOCATE: its command tag, or 26000 for a name no statement has.
    func deallocate(_ command: PGDeallocate) throws -> String {
        switch command {
        case .all:
            statements.removeAll()
            session.forgetPreparedStatement(nil)
            return "DEALLOCATE ALL"
        case .named(let name):
            // The name may be the client's (Parse) or SQL's PREPARE: both are the session's.
            let protocolLevel = statements.removeValue(forKey: name) != nil
            guard session.forgetPreparedStatement(name) || protocolLevel else {
                throw VireoError(.invalidStatementName, "prepared statement \"\(name)\" does not exist")
            }
            return "DEALLOCATE"
        }
    }
}
