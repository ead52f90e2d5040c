import VireoQuery
import VireoStorage

/// OpenAI's list pagination: `limit` (1–100), `order` by creation, and the cursors `after`
/// and `before` naming an item of the previous page; answers carry `has_more` and the ids
/// at both ends (the SDKs' auto-paging asks for `after` = the last id).
struct CursorRequest {
    static let limitDefault = 20
    static let limitMax = 100
    static let parameters = [
        ParameterDeclaration("limit", in: .query, .integer(range: 1...Int64(limitMax)), summary: "items per page (default \(limitDefault))"),
        ParameterDeclaration("order", in: .query, .string(allowed: ["asc", "desc"]), summary: "by creation (default desc)"),
        ParameterDeclaration("after", in: .query, .string(), summary: "the id the page starts after"),
        ParameterDeclaration("before", in: .query, .string(), summary: "the id the page ends before"),
    ]

    var limit: Int
    var descending: Bool
    var after: String?
    var before: String?

    init(_ input: RouteInput) {
        limit = input.query("limit").flatMap { Int($0) } ?? Self.limitDefault
        descending = input.query("order") != "asc"
        after = input.query("after").flatMap { $0.isEmpty ? nil : $0 }
        before = input.query("before").flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A page of `select`'s rows (its FROM clause ends the text; `seq` is the ordering column),
    /// filtered by `conditions`; `seqOf` finds a cursor's position.
    func rows(_ session: Session, select: String, seq: String, conditions: [String], parameters: [Value],
              seqOf: (String) throws -> Int64?) throws -> (rows: [[Value]], hasMore: Bool) {
        var terms = conditions, values = parameters
        // Before a cursor, read backwards from it and turn the page round.
        let backwards = before != nil && after == nil
        for (cursor, field, forward) in [(after, "after", true), (before, "before", false)] {
            guard let cursor else { continue }
            guard let position = try seqOf(cursor) else { throw RESTError.invalid(field, "no item has the id \(cursor)") }
            values.append(.int(position))
            terms.append("\(seq) \(forward == descending ? "<" : ">") $\(values.count)")
        }
        let ascending = descending == backwards
        let sql = select + (terms.isEmpty ? "" : " WHERE " + terms.joined(separator: " AND "))
            + " ORDER BY \(seq) \(ascending ? "ASC" : "DESC") LIMIT \(limit + 1)"
        let found = try session.execute(sql, values).rows
        let page = Array(found.prefix(limit))
        return (backwards ? page.reversed() : page, found.count > limit)
    }

    /// The list object of a page of items.
    static func list(_ items: [(id: String, json: JSONValue)], hasMore: Bool) -> JSONValue {
        .fields(("object", .string("list")), ("data", .array(items.map(\.json))), ("first_id", items.first.map { .string($0.id) } ?? .null),
                ("last_id", items.last.map { .string($0.id) } ?? .null), ("has_more", .bool(hasMore)))
    }

    static func listSchema(_ item: Schema) -> Schema {
        .object([("object", .string(allowed: ["list"])), ("data", .array(of: item)), ("first_id", .nullable(.string())),
                 ("last_id", .nullable(.string())), ("has_more", .boolean)], required: ["object", "data", "first_id", "last_id", "has_more"])
    }
}
