import VireoStorage

/// CREATE TYPE … AS ENUM, ALTER TYPE and DROP TYPE. Their words (TYPE, ENUM, VALUE,
/// BEFORE, AFTER) are plain words, not reserved.
extension Parser {
    /// After CREATE TYPE: `name AS ENUM ('label', …)`; other kinds of type are 0A000.
    mutating func parseCreateType() throws -> TypeCommand {
        let name = try parseTableName("a type name").name
        let start = peek().start
        guard acceptKeyword(.as), acceptWord("enum") else {
            throw VireoError(.featureNotSupported, "CREATE TYPE supports AS ENUM (…) only", position: start)
        }
        try expect(.leftParen, "(")
        var labels: [String] = []
        if !accept(.rightParen) {
            labels = try commaSeparated { try $0.parseStringLiteral() }
            try expect(.rightParen, ")")
        }
        return .createEnum(name: name, labels: labels)
    }

    /// After DROP TYPE: `[IF EXISTS] name [, …] [CASCADE | RESTRICT]`.
    mutating func parseDropType() throws -> TypeCommand {
        let ifExists = acceptKeywords(.if, .exists)
        let names = try commaSeparated { try $0.parseTableName("a type name").name }
        return .drop(names: names, ifExists: ifExists, cascade: parseDropBehavior())
    }

    /// `ALTER TYPE name ADD VALUE … | RENAME VALUE 'a' TO 'b' | RENAME TO new`.
    mutating func parseAlterType() throws -> TypeCommand {
        try expectKeyword(.alter)
        try expectWord("type")
        let name = try parseTableName("a type name").name
        if acceptKeyword(.add) {
            try expectWord("value")
            let ifNotExists = acceptKeywords(.if, .not, .exists)
            let label = try parseStringLiteral()
            let before = acceptWord("before")
            guard before || acceptWord("after") else {
                return .addValue(type: name, label: label, ifNotExists: ifNotExists, neighbour: nil, before: false)
            }
            return .addValue(type: name, label: label, ifNotExists: ifNotExists, neighbour: try parseStringLiteral(), before: before)
        }
        let start = peek().start
        if acceptWord("owner") {
            try expectKeyword(.to)
            return .ownerTo(type: name, role: try parseLabel())
        }
        guard acceptKeyword(.rename) else {
            throw VireoError(.featureNotSupported, "ALTER TYPE supports ADD VALUE, RENAME VALUE, RENAME TO and OWNER TO", position: start)
        }
        if acceptWord("value") {
            let old = try parseStringLiteral()
            try expectKeyword(.to)
            return .renameValue(type: name, from: old, to: try parseStringLiteral())
        }
        try expectKeyword(.to)
        return .rename(type: name, to: try parseIdentifier("a type name"))
    }

    /// A string literal ('text').
    mutating func parseStringLiteral() throws -> String {
        guard case .string(let text) = peek().kind else { throw unexpected("expected a string") }
        advance()
        return text
    }
}
