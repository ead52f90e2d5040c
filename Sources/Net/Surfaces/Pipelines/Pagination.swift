import Foundation
import HTTPTypes
import VireoStorage
import Hummingbird
import VireoQuery

/// Seed 001's pagination: `page` (from 1) and `per_page` (1 … 100, default 20) in the query;
/// the answer carries `X-Total-Count`, `X-Page`, `X-Per-Page` and an RFC 8288 `Link` with
/// first, prev, next and last.
struct Pagination {
    static let perPageDefault = 20
    static let perPageMax = 100
    static let parameters = [
        ParameterDeclaration("page", in: .query, .integer(range: 1...1_000_000), summary: "page number, from 1"),
        ParameterDeclaration("per_page", in: .query, .integer(range: 1...Int64(perPageMax)), summary: "items per page (default 20)"),
    ]

    var page: Int
    var perPage: Int

    init(_ input: RouteInput) {
        page = input.query("page").flatMap { Int($0) } ?? 1
        perPage = input.query("per_page").flatMap { Int($0) } ?? Self.perPageDefault
    }

    var offset: Int { (page - 1) * perPage }
    var sqlClause: String { " LIMIT \(perPage) OFFSET \(offset)" }

    /// The headers for a page of `total` items of the list at `path` (other query pairs kept).
    func headers(total: Int, path: String, query: [(String, String)]) -> HTTPFields {
        let lastPage = max(1, (total + perPage - 1) / perPage)
        let kept = query.filter { $0.0 != "page" && $0.0 != "per_page" }
        func link(_ page: Int, _ relation: String) -> String {
            let pairs = kept + [("page", String(page)), ("per_page", String(perPage))]
            let text = pairs.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
            return "<\(path)?\(text)>; rel=\"\(relation)\""
        }
        var links = [link(1, "first")]
        if page > 1 { links.append(link(min(page - 1, lastPage), "prev")) }
        if page < lastPage { links.append(link(page + 1, "next")) }
        links.append(link(lastPage, "last"))
        return [HTTPField.Name("X-Total-Count")!: String(total), HTTPField.Name("X-Page")!: String(page),
                HTTPField.Name("X-Per-Page")!: String(perPage), HTTPField.Name("Link")!: links.joined(separator: ", ")]
    }

    /// The list answer: the items with the page figures, and the headers.
    func output(_ items: [JSONValue], key: String, total: Int, path: String, query: [(String, String)]) -> RouteOutput {
        RouteOutput(.fields((key, .array(items)), ("total", .integer(total)), ("page", .integer(page)), ("per_page", .integer(perPage))),
                    headers: headers(total: total, path: path, query: query))
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(.init(charactersIn: "&=+;"))) ?? text
    }

    /// The row count of `table` matching `filter`.
    static func count(_ session: Session, _ sql: String, _ parameters: [Value] = []) throws -> Int {
        guard case .int(let count)? = try session.execute(sql, parameters).rows.first?.first else { return 0 }
        return Int(count)
    }
}
