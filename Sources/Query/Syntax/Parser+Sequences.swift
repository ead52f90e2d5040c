import VireoStorage

/// CREATE, ALTER and DROP SEQUENCE, and the sequence options of identity columns. Every
/// word here is matched as a plain word: none is reserved.
extension Parser {
    /// After CREATE SEQUENCE: `[IF NOT EXISTS] name {option}`.
    mutating func parseCreateSequence() throws -> CreateSequence {
        let ifNotExists = acceptKeywords(.if, .not, .exists)
        let name = try parseTableName("a sequence name")
        return CreateSequence(name: name, ifNotExists: ifNotExists, options: try parseSequenceOptions(alter: false))
    }

    /// `ALTER SEQUENCE [IF EXISTS] name option {option}`.
    mutating func parseAlterSequence() throws -> AlterSequence {
        try expectKeyword(.alter)
        try expectWord("sequence")
        let ifExists = acceptKeywords(.if, .exists)
        let name = try parseTableName("a sequence name")
        let options = try parseSequenceOptions(alter: true)
        guard !options.isEmpty else { throw unexpected("expected a sequence option") }
        return AlterSequence(name: name, ifExists: ifExists, options: options)
    }

    /// After DROP SEQUENCE: `[IF EXISTS] name [, …] [CASCADE | RESTRICT]`.
    mutating func parseDropSequence() throws -> StatementBody {
        let ifExists = acceptKeywords(.if, .exists)
        let names = try commaSeparated { try $0.parseTableName("a sequence name") }
        return .dropSequence(DropTable(names: names, ifExists: ifExists, cascade: parseDropBehavior()))
    }

    /// Sequence options, as many as follow (RESTART only when `alter`).
    mutating func parseSequenceOptions(alter: Bool) throws -> [SequenceOption] {
        var options: [SequenceOption] = []
        while let option = try parseSequenceOption(alter: alter) { options.append(option) }
        return options
    }

    /// One option; nil when none is next.
    private mutating func parseSequenceOption(alter: Bool) throws -> SequenceOption? {
        if acceptWord("as") { return .dataType(try parseSequenceDataType()) }
        if acceptWord("increment") {
            _ = acceptWord("by")
            return .increment(try parseSignedInteger("an integer"))
        }
        if acceptWord("minvalue") { return .minValue(try parseSignedInteger("an integer")) }
        if acceptWord("maxvalue") { return .maxValue(try parseSignedInteger("an integer")) }
        if acceptWord("start") {
            _ = acceptWord("with")
            return .start(try parseSignedInteger("an integer"))
        }
        if alter, acceptWord("restart") {
            if acceptWord("with") { return .restart(try parseSignedInteger("an integer")) }
            return .restart(peekSignedInteger() ? try parseSignedInteger("an integer") : nil)
        }
        if acceptWord("cache") { return .cache(try parseSignedInteger("an integer")) }
        if acceptWord("cycle") { return .cycle(true) }
        if acceptWord("no") {
            if acceptWord("minvalue") { return .minValue(nil) }
            if acceptWord("maxvalue") { return .maxValue(nil) }
            if acceptWord("cycle") { return .cycle(false) }
            throw unexpected("expected MINVALUE, MAXVALUE or CYCLE after NO")
        }
        if acceptWord("owned") { return try parseSequenceOwner() }
        if peekWord("sequence"), peekWord("name", at: 1) {
            advance()
            advance()
            return .sequenceName(try parseTableName("a sequence name"))
        }
        return nil
    }

    /// After OWNED: `BY NONE` or `BY table.column`.
    private mutating func parseSequenceOwner() throws -> SequenceOption {
        try expectWord("by")
        if acceptWord("none") { return .ownedByNone }
        var parts = [try parseIdentifier("a table name")]
        while accept(.dot) { parts.append(try parseIdentifier("a column name")) }
        if parts.count == 3, parts[0] == "public" { parts.removeFirst() }
        guard parts.count == 2 else { throw unexpected("expected table.column after OWNED BY") }
        return .ownedBy(table: parts[0], column: parts[1])
    }

    /// `smallint | integer | int | bigint | int2 | int4 | int8`, as pg_sequences names it.
    private mutating func parseSequenceDataType() throws -> String {
        let start = peek().start
        let name = try parseIdentifier("a type name")
        switch name {
        case "smallint", "int2": return "smallint"
        case "integer", "int", "int4": return "integer"
        case "bigint", "int8": return "bigint"
        default: throw VireoError(.invalidParameter, "sequence type must be smallint, integer, or bigint", position: start)
        }
    }
}
