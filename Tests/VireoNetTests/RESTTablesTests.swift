import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VireoQuery
@testable import VireoNet

@Suite("REST tables surface (seed 000)")
struct RESTTablesTests {
    static let createPeople = #"{"name": "people", "columns": {"name": "string", "age": "int", "score": "float"}}"#

    @Test("create (201), list, describe, duplicate (409), drop, then 404")
    func tableLifecycle() async throws {
        try await RESTFixture().test { client in
            let created = try await client.send(.post, "/api/v1/tables", Self.createPeople)
            expectStatus(created, .created)
            #expect(created["primary_key"] == .string("id") && created["row_count"] == .number(0), "got \(created.body.text)")
            let names = created["columns"].flatMap { if case .array(let items) = $0 { items.compactMap { $0.field(.text("name"))?.unquotedText } } else { nil } }
            #expect(names == ["id", "name", "age", "score"], "columns keep the request's order after id; got \(names ?? [])")
            expectStatus(try await client.send(.post, "/api/v1/tables", Self.createPeople), .conflict)
            let list = try await client.send(.get, "/api/v1/tables")
            #expect(list.body == .array([.string("people")]), "got \(list.body.text)")
            let described = try await client.send(.get, "/api/v1/tables/people")
            #expect(described["column_count"] == .number(4), "got \(described.body.text)")
            expectStatus(try await client.send(.delete, "/api/v1/tables/people"), .ok)
            let gone = try await client.send(.get, "/api/v1/tables/people")
            expectStatus(gone, .notFound)
            #expect(gone.errorCode == "table_not_found" && gone.errorField == "name", "got \(gone.body.text)")
            expectStatus(try await client.send(.delete, "/api/v1/tables/people"), .notFound)
        }
    }

    @Test("create validation names the field at fault (422)")
    func createValidation() async throws {
        let cases: [(body: String, field: String)] = [
            (#"{"name": "t", "columns": {"age": "integer"}}"#, "columns.age"),
            (#"{"name": "1t", "columns": {}}"#, "name"),
            (#"{"name": "t"}"#, "columns"),
            (#"{"name": "t", "columns": {"id": "int"}}"#, "columns.id"),
            (#"{"name": "t", "columns": {"v": "vector(0)"}}"#, "columns.v"),
            (#"{"name": "t", "columns": {"a": 5}}"#, "columns.a"),
            (#"{"name": "t", "columns": {}, "extra": 1}"#, "extra"),
            (#"{"name": "t", "columns": {"a": "int"}, "vector_indexes": {"a": "l2"}}"#, "vector_indexes.a"),
            ("[1, 2]", "body"),
        ]
        try await RESTFixture().test { client in
            for (body, field) in cases {
                let answer = try await client.send(.post, "/api/v1/tables", body)
                expectStatus(answer, .unprocessableContent)
                #expect(answer.errorField == field, "for \(body): expected field \(field), got \(answer.body.text)")
            }
        }
    }

    @Test("create → insert → list with filter and paging → search with filter → patch → delete a row")
    func roundTrip() async throws {
        try await RESTFixture().test { client in
            let table = #"{"name": "docs", "columns": {"title": "string", "kind": "string", "meta": "json", "at": "timestamp", "embedding": "vector(3)"}, "vector_indexes": {"embedding": "l2"}}"#
            expectStatus(try await client.send(.post, "/api/v1/tables", table), .created)
            let rows = #"{"rows": [{"title": "a", "kind": "x", "embedding": [1, 0, 0], "meta": {"n": 1}, "at": "2024-01-02T03:04:05Z"}, {"title": "b", "kind": "y", "embedding": [0, 1, 0]}, {"title": "c", "kind": "x", "embedding": [0.9, 0.1, 0]}]}"#
            let inserted = try await client.send(.post, "/api/v1/tables/docs/rows", rows)
            expectStatus(inserted, .created)
            #expect(inserted["count"] == .number(3) && inserted["ids"] == .array([.number(1), .number(2), .number(3)]), "got \(inserted.body.text)")

            let defaults = try await client.send(.post, "/api/v1/tables/docs/rows", #"{"rows": [{}, {}]}"#)
            #expect(defaults["ids"] == .array([.number(4), .number(5)]), "rows naming no column take defaults; got \(defaults.body.text)")
            expectStatus(try await client.send(.delete, "/api/v1/tables/docs/rows/4"), .ok)
            expectStatus(try await client.send(.delete, "/api/v1/tables/docs/rows/5"), .ok)
            let page = try await client.send(.get, "/api/v1/tables/docs/rows?kind=x&limit=1&order=desc")
            #expect(page["total"] == .number(2) && page["has_more"] == .bool(true) && page["limit"] == .number(1), "got \(page.body.text)")
            let first = page["rows"].flatMap { if case .array(let items) = $0 { items.first } else { nil } }
            #expect(first?.field(.text("title")) == .string("c"), "newest first; got \(page.body.text)")
            let jsonFilter = try await client.send(.get, "/api/v1/tables/docs/rows?meta=1")
            #expect(jsonFilter.status == .unprocessableContent && jsonFilter.errorField == "meta", "got \(jsonFilter.body.text)")
            let one = try await client.send(.get, "/api/v1/tables/docs/rows/1")
            #expect(one["meta", "n"] == .number(1) && one["at"] == .string("2024-01-02T03:04:05Z"), "got \(one.body.text)")
            #expect(one["embedding"] == .array([.number(1), .number(0), .number(0)]), "got \(one.body.text)")
            // An offset converts to UTC, in a row, a patch and a filter (docs/rest.md).
            let moved = try await client.send(.patch, "/api/v1/tables/docs/rows/3", #"{"at": "2024-01-02T03:04:05+02:00"}"#)
            #expect(moved["at"] == .string("2024-01-02T01:04:05Z"), "got \(moved.body.text)")
            let atFilter = try await client.send(.get, "/api/v1/tables/docs/rows?at=2024-01-02T05:04:05%2B04:00")
            #expect(atFilter["total"] == .number(1), "got \(atFilter.body.text)")
            // A date shows as a date, over /query as in a row.
            let date = try await client.send(.post, "/api/v1/query", #"{"sql": "SELECT $1::date AS d, $1::timestamp AS t", "params": ["2024-01-02"]}"#)
            #expect(date["rows"] == .array([.array([.string("2024-01-02"), .string("2024-01-02T00:00:00Z")])]), "got \(date.body.text)")

            let search = try await client.send(.post, "/api/v1/tables/docs/search", #"{"vector": [1, 0, 0], "k": 5, "filter": {"kind": "x"}}"#)
            expectStatus(search, .ok)
            let titles = search["results"].flatMap { if case .array(let items) = $0 { items.compactMap { $0.field(.text("row"))?.field(.text("title"))?.unquotedText } } else { nil } }
            #expect(titles == ["a", "c"], "nearest first, filtered; got \(search.body.text)")

            let patched = try await client.send(.patch, "/api/v1/tables/docs/rows/2", #"{"title": "B"}"#)
            #expect(patched["title"] == .string("B") && patched["kind"] == .string("y"), "got \(patched.body.text)")
            expectStatus(try await client.send(.delete, "/api/v1/tables/docs/rows/2"), .ok)
            let deleted = try await client.send(.get, "/api/v1/tables/docs/rows/2")
            expectStatus(deleted, .notFound)
            #expect(deleted.errorCode == "row_not_found", "got \(deleted.body.text)")
            expectStatus(try await client.send(.delete, "/api/v1/tables/docs/rows/2"), .notFound)
            expectStatus(try await client.send(.delete, "/api/v1/tables/docs"), .ok)
        }
    }

    @Test("row validation names the row and column (422); nothing of a bad batch is kept")
    func rowValidation() async throws {
        try await RESTFixture().test { client in
            expectStatus(try await client.send(.post, "/api/v1/tables", Self.createPeople), .created)
            let cases: [(method: HTTPRequest.Method, uri: String, body: String?, field: String)] = [
                (.post, "/api/v1/tables/people/rows", #"{"rows": [{"name": "a"}, {"nope": 1}]}"#, "rows[1].nope"),
                (.post, "/api/v1/tables/people/rows", #"{"rows": [{"age": "old"}]}"#, "rows[0].age"),
                (.post, "/api/v1/tables/people/rows", #"{"rows": []}"#, "rows"),
                (.get, "/api/v1/tables/people/rows?limit=5000", nil, "limit"),
                (.get, "/api/v1/tables/people/rows?height=3", nil, "height"),
                (.get, "/api/v1/tables/people/rows?order_by=nope", nil, "order_by"),
                (.patch, "/api/v1/tables/people/rows/x", #"{"age": 3}"#, "id"),
                (.post, "/api/v1/tables/people/search", #"{"vector": [1]}"#, "column"),
                (.get, "/api/v1/tables/people/rows?age=old", nil, "age"),
            ]
            for (method, uri, body, field) in cases {
                let answer = try await client.send(method, uri, body)
                expectStatus(answer, .unprocessableContent)
                #expect(answer.errorField == field, "for \(method) \(uri): expected field \(field), got \(answer.body.text)")
            }
            let described = try await client.send(.get, "/api/v1/tables/people")
            #expect(described["row_count"] == .number(0), "got \(described.body.text)")
            expectStatus(try await client.send(.post, "/api/v1/tables/missing/rows", #"{"rows": [{}]}"#), .notFound)
        }
    }

    @Test("/api/v1/query runs one statement with parameters; engine errors map to statuses with their SQLSTATE")
    func query() async throws {
        try await RESTFixture().test { client in
            expectStatus(try await client.send(.post, "/api/v1/query", #"{"sql": "CREATE TABLE t (id int PRIMARY KEY, v vector(2))"}"#), .ok)
            let insert = try await client.send(.post, "/api/v1/query", #"{"sql": "INSERT INTO t VALUES ($1, $2)", "params": [7, [1, 2]]}"#)
            #expect(insert["command"] == .string("INSERT 0 1"), "got \(insert.body.text)")
            let select = try await client.send(.post, "/api/v1/query", #"{"sql": "SELECT id, v <-> $1 AS d FROM t", "params": [[1, 2]]}"#)
            #expect(select["rows"] == .array([.array([.number(7), .number(0)])]), "got \(select.body.text)")
            #expect(select["columns"].map { $0.text } == #"[{"name": "id", "type": "integer"}, {"name": "d", "type": "double precision"}]"#, "got \(select.body.text)")
            let expectations: [(sql: String, status: HTTPResponse.Status, sqlState: String)] = [
                ("SELEC 1", .badRequest, "42601"), ("SELECT * FROM nope", .notFound, "42P01"),
                ("SELECT 1; SELECT 2", .badRequest, "42601"), ("INSERT INTO t VALUES (7, '[0,0]')", .conflict, "23505"),
                ("CREATE TABLE t (a int)", .conflict, "42P07"),
            ]
            for (sql, status, sqlState) in expectations {
                let answer = try await client.send(.post, "/api/v1/query", "{\"sql\": \(JSONValue.quote(sql))}")
                expectStatus(answer, status)
                #expect(answer["error", "sqlstate"] == .string(sqlState), "for \(sql): expected \(sqlState), got \(answer.body.text)")
            }
            let missing = try await client.send(.post, "/api/v1/query", #"{"sql": "SELECT $1 = 1"}"#)
            #expect(missing.errorField == "params", "got \(missing.body.text)")
        }
    }
}
