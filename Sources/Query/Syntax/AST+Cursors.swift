/// Cursors: `DECLARE`, `FETCH`, `MOVE` and `CLOSE`, as PostgreSQL drivers send them for
/// their named (server-side) cursors.

/// `DECLARE name [BINARY] [ASENSITIVE | INSENSITIVE] [[NO] SCROLL] CURSOR [{WITH | WITHOUT} HOLD]
/// FOR query`. BINARY, the sensitivity and SCROLL are accepted and have no effect: a
/// cursor's rows are collected when it is declared, so every one can scroll both ways.
public struct DeclareCursor: Sendable, Equatable {
    /// The cursor's name, lower case unless quoted.
    public var name: String
    /// `WITH HOLD`: the cursor outlives the transaction that declared it.
    public var withHold: Bool
    /// The query whose rows the cursor holds.
    public var query: Query

    /// Creates the node from its parts, as the parser would.
    public init(name: String, withHold: Bool = false, query: Query) {
        self.name = name
        self.withHold = withHold
        self.query = query
    }
}

/// Where a FETCH or MOVE goes, PostgreSQL's directions reduced to four: NEXT is
/// `forward(1)`, PRIOR `backward(1)`, FIRST `absolute(1)`, LAST `absolute(-1)`, a bare count
/// or ALL is FORWARD. A nil count is ALL.
public enum CursorDirection: Sendable, Equatable {
    case forward(Int64?)
    case backward(Int64?)
    case absolute(Int64)
    case relative(Int64)
}

/// `FETCH [direction] [FROM | IN] name` or, with `isMove`, `MOVE …` (which moves without
/// returning the rows).
public struct FetchCursor: Sendable, Equatable {
    public var name: String
    public var direction: CursorDirection
    /// MOVE rather than FETCH.
    public var isMove: Bool

    /// Creates the node from its parts, as the parser would.
    public init(name: String, direction: CursorDirection = .forward(1), isMove: Bool = false) {
        self.name = name
        self.direction = direction
        self.isMove = isMove
    }
}

extension DeclareCursor {
    var sql: String {
        "DECLARE " + quoteIdentifier(name) + " CURSOR " + (withHold ? "WITH" : "WITHOUT") + " HOLD FOR " + query.sql
    }
}

extension FetchCursor {
    var sql: String {
        let direction = switch direction {
        case .forward(let count): "FORWARD " + (count.map(String.init) ?? "ALL")
        case .backward(let count): "BACKWARD " + (count.map(String.init) ?? "ALL")
        case .absolute(let count): "ABSOLUTE \(count)"
        case .relative(let count): "RELATIVE \(count)"
        }
        return (isMove ? "MOVE " : "FETCH ") + direction + " FROM " + quoteIdentifier(name)
    }
}
