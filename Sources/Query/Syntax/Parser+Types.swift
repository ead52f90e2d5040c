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

    /// After CREATE DOMAIN: `name [AS] type [COLLATE c] [DEFAULT expr] { [CONSTRAINT name]
    /// NOT NULL | NULL | CHECK (expr) }`.
    mutating func parseCreateDomain() throws -> TypeCommand {
        let name = try parseTableName("a domain name").name
        _ = acceptKeyword(.as)
        var domain = CreateDomain(name: name, baseType: try parseTypeName(), defaultValue: nil, notNull: false, checks: [])
        while true {
            if acceptKeyword(.collate) {
                _ = try parseTableName("a collation name")
            } else if acceptKeyword(.default) {
                domain.defaultValue = try parseExpression()
            } else if acceptKeyword(.constraint) {
                let constraintName = try parseIdentifier("a constraint name")
                try parseDomainConstraint(&domain, name: constraintName)
            } else if peekKeyword(.not) || peekKeyword(.null) || peekKeyword(.check) {
                try parseDomainConstraint(&domain, name: nil)
            } else {
                return .createDomain(domain)
            }
        }
    }

    /// `NOT NULL`, `NULL` or `CHECK (expr)` of a domain.
    private mutating func parseDomainConstraint(_ domain: inout CreateDomain, name: String?) throws {
        if acceptKeywords(.not, .null) {
            domain.notNull = true
        } else if acceptKeyword(.null) {
            domain.notNull = false
        } else {
            try expectKeyword(.check)
            try expect(.leftParen, "(")
            domain.checks.append((name, try parseExpression()))
            try expect(.rightParen, ")")
        }
    }

    /// After DROP DOMAIN: `[IF EXISTS] name [, …] [CASCADE | RESTRICT]`.
    mutating func parseDropDomain() throws -> TypeCommand {
        let ifExists = acceptKeywords(.if, .exists)
        let names = try commaSeparated { try $0.parseTableName("a domain name").name }
        return .dropDomain(names: names, ifExists: ifExists, cascade: parseDropBehavior())
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
