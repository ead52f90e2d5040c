import Foundation
import VireoQuery
import VireoStorage

/// `POST /api/v1/nl-query`: a question about this server's tables as one SELECT, from the
/// offline translator (`NLTranslator`). The SQL is parsed and bound by Vireo before it is
/// answered; `estimated_rows` and `estimated_time_ms` are what `EXPLAIN ANALYZE` measured for
/// it (the engine's planner gives no estimates without running).
enum NLQueryRoute {
    static let questionBytesMax = 2000
    /// Value lookups one question may make while linking words to values.
    static let valueLookupsMax = 400

    static let route = RouteDeclaration(
        .post, "/api/v1/nl-query",
        summary: "A question in English as SQL over this server's tables (a configured chat model, else the offline translator), checked by Vireo, with the measured rows and time",
        requestBody: .object([("question", .string(length: 1...questionBytesMax)),
                              ("schema", .object([("tables", .array(of: .string(length: 1...63), count: 1...64))])),
                              ("translator", .described(.string(allowed: ["auto", "offline", "remote"]), "auto: the chat model when one is configured"))],
                             required: ["question"]),
        response: .object([("sql", .string()), ("explanation", .string()), ("estimated_rows", .integer()), ("estimated_time_ms", .number),
                           ("translator", .string()), ("tables", .array(of: .string())),
                           ("columns", .array(of: .object([("name", .string()), ("type", .string())]))), ("remote_error", .nullable(.string()))])
    ) { input, services in
        try input.require(.viewer)
        let service = try services.pipelines
        let question = input.field("question")?.unquotedText ?? ""
        let names = input.field("schema")?.member("tables")?.items?.compactMap(\.unquotedText)
        let choice = input.field("translator")?.unquotedText ?? "auto"
        var remoteError: String?
        if choice != "offline", let chat = service.chat {
            let tables = try await services.session { try schema($0, names) }
            do {
                let translation = try await ChatTranslator(settings: chat).translate(question, tables: tables)
                return RouteOutput(try await services.session { try checked($0, translation, translator: "remote") })
            } catch let failure as RemoteEmbeddingError {
                if choice == "remote" { throw RESTError(.badGateway, code: "translator_unavailable", "the chat model did not answer: \(failure)") }
                remoteError = failure.description
            }
        } else if choice == "remote" {
            throw RESTError.invalid("translator", "no chat model is configured: start vireo serve with --nl-base-url and --nl-model")
        }
        let answer = try await services.session { session in try offline(session, question, names) }
        guard case .object(var fields) = answer else { return RouteOutput(answer) }
        fields.append(("remote_error", remoteError.map(JSONValue.string) ?? .null))
        return RouteOutput(.object(fields))
    }

    static func offline(_ session: Session, _ question: String, _ names: [String]?) throws -> JSONValue {
        let tables = try schema(session, names)
        var lookups = 0
        var cache: [String: Bool] = [:]
        let translator = NLTranslator(tables: tables) { table, column, value in
            let key = "\(table).\(column)=\(value)"
            if let known = cache[key] { return known }
            lookups += 1
            guard lookups <= valueLookupsMax else { return false }
            let found = (try? session.execute("SELECT 1 FROM \(quoteIdentifier(table)) WHERE lower(\(quoteIdentifier(column))) = $1 LIMIT 1",
                                              [.text(value)]).rows.isEmpty == false) ?? false
            cache[key] = found
            return found
        }
        return try checked(session, try translator.translate(question), translator: "offline")
    }

    /// The tables the question may use: those named, or every table but Vireo's own.
    static func schema(_ session: Session, _ names: [String]?) throws -> [NLTranslator.Table] {
        let all = try session.tableDefinitions().filter { !$0.name.hasPrefix(TableSQL.internalTablePrefix) }
        let chosen = try names.map { names in
            try names.map { name in
                guard let table = all.first(where: { $0.name == name }) else { throw RESTError.notFound("no table \(name)", field: "schema.tables") }
                return table
            }
        } ?? all
        return chosen.map { NLTranslator.Table(name: $0.name, columns: $0.columns.map { ($0.name, SQLType($0.type)) }) }
    }

    /// Binds the SQL (a 422 if it does not), then measures it with EXPLAIN ANALYZE.
    static func checked(_ session: Session, _ translation: NLTranslator.Translation, translator: String) throws -> JSONValue {
        let statement: Statement
        let columns: [ResultColumn]
        do {
            statement = try Parser.parseStatement(translation.sql)
            guard case .select = statement.body else { throw RESTError.invalid("question", "the translation is not a SELECT") }
            try PipelineSQL.refuseInternalNames(translation.sql, field: "question")
            columns = try session.describe(statement).columns
        } catch let error as VireoError {
            var failure = RESTError(.unprocessableContent, code: "untranslatable", "the \(translator) translation does not bind: \(error.message)", field: "question")
            failure.sqlState = error.sqlState
            throw failure
        }
        let plan = try session.execute("EXPLAIN ANALYZE " + translation.sql).rows.compactMap { $0.first?.text }
        let top = plan.first ?? ""
        let rows = PipelineGenerator.capture(#"rows=([0-9]+)"#, top).flatMap(Int.init) ?? 0
        let ms = plan.lazy.compactMap { PipelineGenerator.capture(#"^Execution Time: ([0-9.]+) ms"#, $0) ?? PipelineGenerator.capture(#"actual time=([0-9.]+) ms"#, $0) }.first.flatMap(Double.init) ?? 0
        return .fields(("sql", .string(translation.sql)), ("explanation", .string(translation.explanation)), ("estimated_rows", .integer(rows)),
                       ("estimated_time_ms", .number(ms)), ("translator", .string(translator)), ("tables", .array(translation.tables.map(JSONValue.string))),
                       ("columns", .array(columns.map { .fields(("name", .string($0.name)), ("type", .string($0.type.description))) })))
    }
}
