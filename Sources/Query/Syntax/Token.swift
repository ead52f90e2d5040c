import VireoStorage

/// Words the parser gives a meaning to. Unquoted words are folded to lower case before they are
/// compared, so `SELECT`, `Select` and `select` are the same keyword; a quoted identifier
/// (`"select"`) is never a keyword.
enum Keyword: String, Sendable, CaseIterable {
    case abort, add, all, alter, analyse, analyze, and, any, array, `as`, asc, asymmetric
    case begin, between, bigint, bigserial, bool, boolean, both, by, bytea
    case cascade, `case`, cast, char, character, check, collate, column, commit, conflict
    case constraint, create, cross, currentDate = "current_date", currentTime = "current_time"
    case currentTimestamp = "current_timestamp", currentUser = "current_user"
    case `default`, deferrable, delete, desc, distinct, `do`, double, drop
    case `else`, end, escape, except, exists, explain, `false`, fetch, first, float, `for`
    case foreign, from, full, grant, group, having, `if`, ilike, `in`, index, initially, inner
    case insert, int, integer, intersect, into, `is`, isnull, isolation, join, json, jsonb
    case key, last, lateral, leading, left, level, like, limit, local, localtime, localtimestamp
    case natural, next, not, nothing, notnull, null, nulls, numeric, offset, on, only, or
    case order, outer, placing, precision, primary, real, references, rename, reset
    case restrict, returning, right, rollback, row, rows, select, serial, session
    case sessionUser = "session_user", set, show, similar, smallint, some, start, symmetric
    case table, text, then, time, timestamp, timestamptz, to, trailing, transaction, `true`
    case union, unique, update, user, using, values, varchar, variadic, varying, vector
    case verbose, when, `where`, window, with, without, work, zone

    /// Keywords that can never be a bare column, table or alias name (PostgreSQL's reserved
    /// words plus the join and pattern words it also keeps out of column names). Write them in
    /// double quotes to use them as names.
    static let reserved: Set<Keyword> = [
        .all, .analyse, .analyze, .and, .any, .array, .as, .asc, .asymmetric, .between, .both,
        .case, .cast, .check, .collate, .column, .constraint, .create, .cross, .currentDate,
        .currentTime, .currentTimestamp, .currentUser, .default, .deferrable, .desc, .distinct,
        .do, .else, .end, .except, .false, .fetch, .for, .foreign, .from, .full, .grant, .group,
        .having, .ilike, .in, .initially, .inner, .intersect, .into, .is, .isnull, .join,
        .lateral, .leading, .left, .like, .limit, .localtime, .localtimestamp, .natural, .not,
        .notnull, .null, .offset, .on, .only, .or, .order, .outer, .placing, .primary,
        .references, .returning, .right, .select, .sessionUser, .similar, .some, .symmetric,
        .table, .then, .to, .trailing, .true, .union, .unique, .user, .using, .variadic,
        .verbose, .when, .where, .window, .with,
    ]

    var isReserved: Bool { Keyword.reserved.contains(self) }

    /// Keywords by their lower-case spelling (a hash lookup per word, not a string switch).
    static let byName: [String: Keyword] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })
}

/// What a token is. Unquoted words keep their folded spelling and, when they are one, their
/// keyword; literals keep their text so that nothing is lost before the parser decides.
enum TokenKind: Sendable, Equatable {
    /// An unquoted word, folded to lower case.
    case word(String, Keyword?)
    /// A `"double quoted"` identifier, case kept, `""` unescaped.
    case quotedIdentifier(String)
    /// Digits only, as written.
    case integer(String)
    /// A number with a fraction or an exponent, as written.
    case decimal(String)
    /// A string constant's value (quotes removed, escapes applied).
    case string(String)
    /// `$n`, with n from 1 to `SyntaxLimits.parametersMax`.
    case parameter(Int)
    /// An operator such as `+`, `<=`, `->>`, `<->`.
    case op(String)
    case leftParen, rightParen, leftBracket, rightBracket, comma, semicolon, dot, doubleColon
    /// `:` alone, between an array slice's bounds (`a[1:2]`).
    case colon
    /// The end of the input.
    case end
    /// Input the lexer could not read; the parser throws this error when it reaches the token.
    /// Boxed: rare, and unboxed it made every token 64 bytes instead of 40 (the parser's
    /// lookahead copies tokens; a bulk INSERT's VALUES list has tens of thousands).
    indirect case error(VireoError)
}

/// A token and where it sits in the input, as byte offsets into the UTF-8 text.
struct Token: Sendable, Equatable {
    var kind: TokenKind
    var start: Int
    var end: Int

    /// The token's keyword, when it is an unquoted keyword.
    var keyword: Keyword? {
        if case .word(_, let keyword) = kind { return keyword }
        return nil
    }

    func isOperator(_ spelling: String) -> Bool { kind == .op(spelling) }
}

/// Bounds on what the parser accepts, checked where the input enters.
public enum SyntaxLimits {
    /// Longest SQL text `Parser.parseScript` accepts, in bytes.
    public static let textLengthBytesMax = 64 << 20
    /// Deepest nesting of expressions, subqueries and joins, so that no input can exhaust the
    /// stack of the parser or of code that walks the tree it returns. A flat run of one
    /// level's operators (`a OR b OR …`, `1 + 1 + …`, `… UNION ALL …`) is one wide node and
    /// counts once however long it is; each operator that wraps the tree again (`::`, `IS
    /// NULL`, a change of set operator) counts.
    public static let nestingDepthMax = 1_000
    /// Longest identifier in bytes, as in PostgreSQL (NAMEDATALEN - 1); longer ones are an error.
    public static let identifierLengthBytesMax = 63
    /// Highest parameter number `$n` (the PostgreSQL protocol's limit).
    public static let parametersMax = 65_535
}
