import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VireoQuery
import VireoStorage

/// An HTTP endpoint answering JSON, read page by page: the records are the answer itself (an
/// array) or the array at `records_path` (`data`, `result.items`). Pagination:
///
/// - `{"type": "page", "param": "page", "size_param": "per_page", "size": 100, "start": 1}`:
///   pages until one comes back short or empty;
/// - `{"type": "cursor", "param": "cursor", "cursor_path": "next_cursor"}`: until no cursor;
/// - `{"type": "link"}`: follows the `Link: <…>; rel="next"` header;
/// - none: one request.
///
/// The table is the endpoint, named by `table` (default `records`). `token` is a sealed secret
/// sent as `Authorization: Bearer`; `headers` adds others. At most `pagesMax` pages a read.
struct HTTPJSONConnector: ConnectorReader {
    static let pagesMax = 10_000
    static let responseBytesMax = 64 << 20
    static let timeoutMs: Int64 = 30_000
    static let sampleRows = 1000

    enum Paging { case none, page(param: String, sizeParam: String?, size: Int, start: Int), cursor(param: String, path: String), link }

    let url: String
    let table: String
    let recordsPath: [String]
    let headers: [(String, String)]
    let paging: Paging

    init(_ connector: StoredConnector) throws {
        guard let url = connector.value("url")?.unquotedText, let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""),
              parsed.host != nil else { throw RESTError.invalid("config.url", "must be an http or https URL") }
        self.url = url
        table = connector.value("table")?.unquotedText ?? "records"
        recordsPath = (connector.value("records_path")?.unquotedText ?? "").split(separator: ".").map(String.init)
        var headers: [(String, String)] = []
        if case .object(let pairs)? = connector.value("headers") { headers = pairs.compactMap { key, value in value.unquotedText.map { (key, $0) } } }
        if let token = connector.value("token")?.unquotedText { headers.append(("Authorization", "Bearer \(token)")) }
        self.headers = headers
        let pagination = connector.value("pagination")
        let integer = { (key: String, fallback: Int) in pagination?.member(key).flatMap { if case .number(let n) = $0 { Int(exactly: n) } else { nil } } ?? fallback }
        switch pagination?.member("type")?.unquotedText {
        case nil, "none": paging = .none
        case "page":
            let size = integer("size", 100)
            guard (1...10_000).contains(size) else { throw RESTError.invalid("config.pagination.size", "must be 1 to 10000") }
            paging = .page(param: pagination?.member("param")?.unquotedText ?? "page", sizeParam: pagination?.member("size_param")?.unquotedText,
                           size: size, start: integer("start", 1))
        case "cursor":
            paging = .cursor(param: pagination?.member("param")?.unquotedText ?? "cursor",
                             path: pagination?.member("cursor_path")?.unquotedText ?? "next_cursor")
        case "link": paging = .link
        case let other?: throw RESTError.invalid("config.pagination.type", "unknown pagination \(other): use page, cursor, link or none")
        }
    }

    func test() throws { _ = try fetch(url) }

    func count(_ table: String) throws -> Int? { nil }

    func tables() throws -> [SourceTable] {
        var sample: [JSONValue] = []
        try pages { records in
            sample += records.prefix(Self.sampleRows - sample.count)
            return sample.count < Self.sampleRows
        }
        return [SourceTable(name: table, columns: Self.columns(sample))]
    }

    func read(_ selection: SourceSelection, parameters: [String: Value], batchRows: Int,
              _ body: ([SourceColumn], [[Value]]) throws -> Bool) throws {
        guard case .table(let name) = selection else {
            throw ConnectorError.invalid("source.query", "an HTTP connector reads its endpoint: name its table, and filter in a transform step")
        }
        guard name == table else { throw ConnectorError.noTable(name) }
        let columns = try tables()[0].columns
        var sent = false, stopped = false
        try pages { records in
            var start = 0
            while start < records.count {
                let chunk = records[start..<min(start + batchRows, records.count)]
                let rows = chunk.map { record in columns.map { column in FileConnector.value(record.member(column.name) ?? .null, column.type) } }
                sent = true
                guard try body(columns, rows) else { stopped = true; return false }
                start += chunk.count
            }
            return true
        }
        if !sent, !stopped { _ = try body(columns, []) }
    }

    /// Columns in order of first appearance, typed as JSON lines are.
    static func columns(_ records: [JSONValue]) -> [SourceColumn] {
        var names: [String] = [], types: [String: InferredType] = [:]
        for record in records {
            guard case .object(let fields) = record else { continue }
            for (key, value) in fields {
                if types[key] == nil { names.append(key) }
                types[key] = (types[key] ?? .unknown).widened(FileConnector.type(value))
            }
        }
        return names.map { name in
            let type = types[name] ?? .unknown
            return SourceColumn(name: name, type: type == .unknown ? "jsonb" : type.sqlName)
        }
    }

    /// Calls `body` with each page's records until it returns false or the pages end.
    func pages(_ body: ([JSONValue]) throws -> Bool) throws {
        var next: String? = firstURL()
        var pageNumber = 0
        while let current = next, pageNumber < Self.pagesMax {
            pageNumber += 1
            let (json, headers) = try fetch(current)
            let records = try self.records(json)
            guard try body(records) else { return }
            switch paging {
            case .none: next = nil
            case .page(let param, let sizeParam, let size, let start):
                next = records.count < size || records.isEmpty ? nil : withQuery(url, [(param, String(start + pageNumber))] + (sizeParam.map { [($0, String(size))] } ?? []))
            case .cursor(let param, let path):
                let cursor = path.split(separator: ".").reduce(Optional(json)) { $0?.member(String($1)) }
                next = cursor.flatMap { value -> String? in
                    if case .null = value { return nil }
                    guard let text = value.unquotedText ?? (value == .null ? nil : value.text), !text.isEmpty else { return nil }
                    return withQuery(url, [(param, text)])
                }
            case .link: next = Self.nextLink(headers["Link"].first, base: current)
            }
        }
    }

    func firstURL() -> String {
        if case .page(let param, let sizeParam, let size, let start) = paging {
            return withQuery(url, [(param, String(start))] + (sizeParam.map { [($0, String(size))] } ?? []))
        }
        return url
    }

    func withQuery(_ base: String, _ pairs: [(String, String)]) -> String {
        guard var components = URLComponents(string: base) else { return base }
        var items = (components.queryItems ?? []).filter { item in !pairs.contains { $0.0 == item.name } }
        items += pairs.map { URLQueryItem(name: $0.0, value: $0.1) }
        components.queryItems = items
        return components.string ?? base
    }

    /// `<url>; rel="next"` of an RFC 8288 Link header, resolved against the page's URL.
    static func nextLink(_ header: String?, base: String) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ",") where part.contains("rel=\"next\"") || part.contains("rel=next") {
            guard let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">"), open < close else { continue }
            let target = String(part[part.index(after: open)..<close])
            return URL(string: target, relativeTo: URL(string: base))?.absoluteString ?? target
        }
        return nil
    }

    func records(_ json: JSONValue) throws -> [JSONValue] {
        let found = recordsPath.reduce(Optional(json)) { $0?.member($1) }
        guard case .array(let items)? = found else {
            throw ConnectorError.unreachable("\(url) did not answer an array\(recordsPath.isEmpty ? "" : " at \(recordsPath.joined(separator: "."))")")
        }
        return items
    }

    /// One GET, waited for on the engine's pool: the parsed body and the headers.
    func fetch(_ target: String) throws -> (JSONValue, HTTPHeaders) {
        let extra = headers
        let (status, headers, text) = try BlockingBridge.run { () -> (UInt, HTTPHeaders, String) in
            var request = HTTPClientRequest(url: target)
            request.headers.add(name: "Accept", value: "application/json")
            for (name, value) in extra { request.headers.add(name: name, value: value) }
            let response = try await HTTPClient.shared.execute(request, deadline: .now() + .milliseconds(Self.timeoutMs))
            let body = try await response.body.collect(upTo: Self.responseBytesMax)
            return (response.status.code, response.headers, String(buffer: body))
        }
        guard status == 200 else { throw ConnectorError.unreachable("\(target) answered HTTP \(status)") }
        guard let json = try? JSONValue.parse(text) else { throw ConnectorError.unreachable("\(target) did not answer JSON") }
        return (json, headers)
    }
}

/// Waits on the engine's pool (which may block) for asynchronous work running elsewhere (NIO's
/// event loops): how the synchronous connector readers use asynchronous drivers.
enum BlockingBridge {
    final class Box<T>: @unchecked Sendable { var result: Result<T, any Error>? }

    /// `translate` turns the driver's errors into the surface's (by default: unreachable).
    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T,
                                 translate: (any Error) -> RESTError = { ConnectorError.unreachable("\($0)") }) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let box = Box<T>()
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            semaphore.signal()
        }
        semaphore.wait()
        guard let result = box.result else { throw RESTError(.internalServerError, code: "internal_error", "an asynchronous call ended without a result") }
        do { return try result.get() } catch let error as RESTError { throw error } catch { throw translate(error) }
    }
}
