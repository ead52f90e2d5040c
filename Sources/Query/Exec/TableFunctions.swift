import VireoStorage

/// The functions whose rows can be read as a table in FROM.
enum TableFunction: Sendable {
    /// generate_series(start, stop [, step]): integers, numerics, doubles or timestamps.
    case series
    /// json(b)_array_elements[_text]: one row per element.
    case jsonElements(asText: Bool)
    /// json(b)_each[_text]: one (key, value) row per member.
    case jsonEach(asText: Bool)
    /// json(b)_object_keys.
    case jsonKeys(asText: Bool)
    /// jsonb_path_query(target, path [, vars [, silent]]): one row per item the path yields.
    case jsonPathQuery
    /// regexp_matches(text, pattern [, flags]): one text[] row per match (every match with
    /// the `g` flag, else the first), holding its groups.
    case regexMatches
    /// regexp_split_to_table(text, pattern [, flags]) and string_to_table(text, delimiter
    /// [, null string]): one text row per part, as the `_to_array` forms split.
    case split(regex: Bool)
    /// unnest(array [, array …]): one row per element; several arrays side by side, the
    /// shorter ones padded with NULLs.
    case unnest
    /// pg_partition_ancestors(relation): the relation itself (no table is a partition), so
    /// psql's `\d` queries for foreign keys run.
    case partitionAncestors
    /// information_schema._pg_expandarray(array): one (x, n) row per element, the element and
    /// its position from 1 (pgJDBC reads pg_index.indkey so).
    case expandArray
    /// generate_subscripts(array, dimension [, reverse]): the array's subscripts (from 1, or
    /// from 0 for an int2vector such as pg_index.indkey).
    case subscripts
    /// pg_options_to_table(options): one (option_name, option_value) row per `name=value`
    /// of a reloptions-style text array.
    case optionsToTable
    /// Several set-returning functions of one select list, run side by side (PostgreSQL's
    /// `ROWS FROM`): row n holds each one's row n, NULLs for one that has ended. Each
    /// scan's column count is kept, to pad with.
    case zipped([TableFunctionScan], columnCounts: [Int])
    /// json(b)_to_record(set), json(b)_populate_record(set): JSON objects as rows of the
    /// shape's columns (JSONRecord.swift).
    case jsonRecord(JSONRecordShape)
    /// The rows of a relation that shows the running session (pg_settings, pg_cursors:
    /// SystemCatalog+Session.swift), read when the statement runs, not when it is bound.
    case session(SystemCatalog.SessionRelation)
    /// A set-returning PL/pgSQL function: its body run by the session (RETURN NEXT, RETURN QUERY).
    case procedural(ProceduralRows)

    /// Whether the function is one of the json type's (`json_each`, not `jsonb_each`), which
    /// read the document as written: members in order, duplicates kept, text as written.
    static func readsWrittenJSON(_ name: String) -> Bool { name.hasPrefix("json_") }

    init?(name: String) {
        switch name {
        case "generate_series": self = .series
        case "jsonb_array_elements", "json_array_elements": self = .jsonElements(asText: false)
        case "jsonb_array_elements_text", "json_array_elements_text": self = .jsonElements(asText: true)
        case "jsonb_each", "json_each": self = .jsonEach(asText: false)
        case "jsonb_each_text", "json_each_text": self = .jsonEach(asText: true)
        case "jsonb_object_keys", "json_object_keys": self = .jsonKeys(asText: true)
        case "jsonb_path_query": self = .jsonPathQuery
        case "regexp_matches": self = .regexMatches
        case "regexp_split_to_table": self = .split(regex: true)
        case "string_to_table": self = .split(regex: false)
        case "unnest": self = .unnest
        case "pg_partition_ancestors": self = .partitionAncestors
        case "generate_subscripts": self = .subscripts
        case "_pg_expandarray": self = .expandArray
        case "pg_options_to_table": self = .optionsToTable
        default:
            guard let relation = SystemCatalog.SessionRelation(rawValue: name) else { return nil }
            self = .session(relation)
        }
    }

    var isSplit: Bool {
        if case .split = self { return true }
        return false
    }

    /// Its columns' names; nil for one column named after the function (or its alias).
    var columnNames: [String]? {
        switch self {
        case .series, .jsonKeys, .jsonPathQuery, .regexMatches, .split, .unnest, .subscripts, .zipped, .procedural: nil
        case .session(let relation): relation.columns.map(\.name)
        case .jsonRecord(let shape): shape.columns.map(\.name)
        case .partitionAncestors: ["relid"]
        case .jsonElements: ["value"]
        case .jsonEach: ["key", "value"]
        case .optionsToTable: ["option_name", "option_value"]
        case .expandArray: ["x", "n"]
        }
    }
}

/// A table function's call, as a plan node reads it.
struct TableFunctionScan: Sendable {
    var function: TableFunction
    /// The name it was called by, for errors and EXPLAIN.
    var name: String
    var arguments: [BoundExpression]
    var withOrdinality: Bool
    /// Each row as one record value (a `Value.array` of its columns): a multi-column function
    /// called in a select list, whose value is a record (Binder+TableFunctions.swift).
    var rowsAsRecords = false
}

/// Runs table functions, row by row (a long series streams, and stops when the consumer does).
enum TableFunctions {
    static func run(_ scan: TableFunctionScan, _ context: ExecutionContext, _ emit: PlanExecutor.Emit) throws -> Bool {
        guard !scan.rowsAsRecords else {
            var columns = scan
            columns.rowsAsRecords = false
            return try run(columns, context) { row in try emit([.array(row)]) }
        }
        let arguments = try scan.arguments.map { try Evaluator.evaluate($0, [], context) }
        var ordinal: Int64 = 0
        func numbered(_ row: [Value]) throws -> Bool {
            try context.checkCancel()
            ordinal += 1
            return try emit(scan.withOrdinality ? row + [.int(ordinal)] : row)
        }
        if case .unnest = scan.function {
            let arrays = arguments.map { ArrayFunctions.elements($0) ?? [] }
            let count = arrays.map(\.count).max() ?? 0
            return try (0..<count).allSatisfy { index in
                try numbered(arrays.map { index < $0.count ? $0[index] : .null })
            }
        }
        if case .zipped(let scans, let counts) = scan.function { return try zipped(scans, counts, context, numbered) }
        if case .session(let relation) = scan.function { return try relation.rows(context.session).allSatisfy(numbered) }
        if case .procedural(let call) = scan.function { return try call.rows(arguments, context).allSatisfy(numbered) }
        // Before the NULL check below: a NULL document is still one row of NULLs.
        if case .jsonRecord(let shape) = scan.function { return try shape.rows(arguments[0]).allSatisfy(numbered) }
        // Before the NULL check too: string_to_table's NULL delimiter splits into characters.
        if case .split(regex: false) = scan.function {
            let nullText = arguments.count > 2 ? arguments[2].text : nil
            return try (ArrayFunctions.split(arguments[0], by: arguments[1], nullText: nullText) ?? []).allSatisfy { try numbered([$0]) }
        }
        if arguments.contains(where: \.isNull) { return true }
        switch scan.function {
        case .series: return try series(arguments, numbered)
        case .jsonElements(let asText) where TableFunction.readsWrittenJSON(scan.name):
            return try JSONWritten.elements(Cast.textForm(arguments[0]), scan.name).allSatisfy { element in
                try numbered([asText ? JSONWritten.unquoted((element.value, element.text)) : .json(element.text)])
            }
        case .jsonEach(let asText) where TableFunction.readsWrittenJSON(scan.name):
            return try JSONWritten.members(Cast.textForm(arguments[0]), scan.name).allSatisfy { member in
                try numbered([.text(member.key ?? ""), asText ? JSONWritten.unquoted((member.value, member.text)) : .json(member.text)])
            }
        case .jsonKeys where TableFunction.readsWrittenJSON(scan.name):
            return try JSONWritten.members(Cast.textForm(arguments[0]), scan.name).allSatisfy { try numbered([.text($0.key ?? "")]) }
        case .jsonElements(let asText):
            return try json(elements: arguments[0], asText: asText, scan.name).allSatisfy { try numbered([$0]) }
        case .jsonEach(let asText):
            return try json(members: arguments[0], scan.name).allSatisfy { key, value in
                try numbered([.text(key), asText ? text(value) : .json(value.text)])
            }
        case .jsonKeys:
            return try json(members: arguments[0], scan.name).allSatisfy { key, _ in try numbered([.text(key)]) }
        case .jsonPathQuery:
            var items: [JSONValue] = []
            _ = try Functions.pathCall(arguments) { path, document, variables, silent in
                items = try path.query(document, variables: variables, silent: silent)
                return .null
            }
            return try items.allSatisfy { try numbered([.json($0.text)]) }
        case .regexMatches:
            let flags = arguments.count > 2 ? Cast.textForm(arguments[2]) : nil
            return try RegexMatch.allMatches(Cast.textForm(arguments[0]), Cast.textForm(arguments[1]), flags: flags)
                .allSatisfy { try numbered([$0]) }
        case .split:
            let flags = arguments.count > 2 ? Cast.textForm(arguments[2]) : nil
            return try RegexMatch.split(Cast.textForm(arguments[0]), Cast.textForm(arguments[1]), flags: flags)
                .allSatisfy { try numbered([.text($0)]) }
        case .unnest, .zipped, .session, .jsonRecord, .procedural: return true
        case .partitionAncestors: return try numbered([arguments[0]])
        case .expandArray:
            return try (ArrayFunctions.elements(arguments[0]) ?? []).enumerated().allSatisfy { try numbered([$1, .int(Int64($0 + 1))]) }
        case .optionsToTable:
            return try (ArrayFunctions.elements(arguments[0]) ?? []).allSatisfy { option in
                let text = Cast.textForm(option)
                let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                return try numbered([.text(parts.first ?? ""), parts.count > 1 ? .text(parts[1]) : .null])
            }
        case .subscripts:
            // Arguments as resolved: the array, the dimension, reverse, the first subscript.
            let dimensions = arguments[0].arrayDimensions, dimension = try integer(arguments[1])
            guard dimension >= 1, dimension <= dimensions.count else { return true }
            let count = dimensions[Int(dimension - 1)]
            let base = try integer(arguments[3]), subscripts = (base..<(base + Int64(count)))
            let ordered = arguments[2] == .bool(true) ? Array(subscripts.reversed()) : Array(subscripts)
            return try ordered.allSatisfy { try numbered([.int($0)]) }
        }
    }

    /// Runs each scan to its end, then gives their rows side by side.
    private static func zipped(_ scans: [TableFunctionScan], _ counts: [Int], _ context: ExecutionContext,
                               _ emit: ([Value]) throws -> Bool) throws -> Bool {
        var outputs: [[[Value]]] = []
        for scan in scans {
            var rows: [[Value]] = []
            _ = try run(scan, context) { row in
                try context.workMemory.charge(row, for: .result)
                rows.append(row)
                return true
            }
            outputs.append(rows)
        }
        let length = outputs.map(\.count).max() ?? 0
        return try (0..<length).allSatisfy { index in
            try emit(zip(outputs, counts).flatMap { rows, count in index < rows.count ? rows[index] : Array(repeating: Value.null, count: count) })
        }
    }

    // MARK: generate_series

    private static func series(_ arguments: [Value], _ emit: ([Value]) throws -> Bool) throws -> Bool {
        switch (arguments[0], arguments[1]) {
        case (.int(let start), .int(let stop)):
            let step = arguments.count > 2 ? try integer(arguments[2]) : 1
            guard step != 0 else { throw zeroStep }
            var value = start
            while step > 0 ? value <= stop : value >= stop {
                if !(try emit([.int(value)])) { return false }
                let (next, overflow) = value.addingReportingOverflow(step)
                if overflow { return true }
                value = next
            }
            return true
        case (.numeric(let start), .numeric(let stop)):
            let step = arguments.count > 2 ? Operators.exact(arguments[2]) ?? Numeric(1) : Numeric(1)
            guard !step.isZero else { throw zeroStep }
            var value = start
            while step.negative ? value >= stop : value <= stop {
                if !(try emit([.numeric(value)])) { return false }
                value = value + step
            }
            return true
        case (.timestamp(let start), .timestamp(let stop)):
            guard case .interval(let step) = arguments[2] else { throw VireoError(.internalError, "generate_series: the step is not an interval") }
            let first = try IntervalMath.add(start, step)
            guard first != start else { throw zeroStep }
            var value = start
            while first > start ? value <= stop : value >= stop {
                if !(try emit([.timestamp(value)])) { return false }
                value = try IntervalMath.add(value, step)
            }
            return true
        default:
            guard let start = Operators.number(arguments[0]), let stop = Operators.number(arguments[1]) else {
                throw VireoError(.internalError, "generate_series: arguments of unexpected types")
            }
            let step = arguments.count > 2 ? Operators.number(arguments[2]) ?? 1 : 1
            guard step != 0 else { throw zeroStep }
            guard start.isFinite, stop.isFinite, step.isFinite else {
                throw VireoError(.invalidParameter, "\(start.isFinite && stop.isFinite ? "step size" : "start and stop values") cannot be infinity or NaN")
            }
            // Each value from the start (not by adding the step up), so rounding never drifts.
            var index = 0.0
            while true {
                let value = start + index * step
                guard step > 0 ? value <= stop : value >= stop else { return true }
                if !(try emit([.double(value)])) { return false }
                index += 1
            }
        }
    }

    private static func integer(_ value: Value) throws -> Int64 {
        guard case .int(let number) = value else { throw VireoError(.internalError, "generate_series: the step is not an integer") }
        return number
    }

    private static let zeroStep = VireoError(.invalidParameter, "step size cannot equal zero")

    // MARK: JSON

    private static func json(elements value: Value, asText: Bool, _ name: String) throws -> [Value] {
        switch try document(value) {
        case .array(let elements): return elements.map { asText ? text($0) : .json($0.text) }
        case .object: throw VireoError(.invalidParameter, "cannot extract elements from an object")
        default: throw VireoError(.invalidParameter, "cannot extract elements from a scalar")
        }
    }

    /// An object's members in jsonb's order (shorter keys first, then by bytes; the last of
    /// duplicate keys wins), as PostgreSQL stores them.
    private static func json(members value: Value, _ name: String) throws -> [(String, JSONValue)] {
        switch try document(value) {
        case .object(let members):
            var latest: [String: JSONValue] = [:]
            for (key, member) in members { latest[key] = member }
            return latest.sorted { a, b in
                let x = Array(a.key.utf8), y = Array(b.key.utf8)
                return x.count != y.count ? x.count < y.count : x.lexicographicallyPrecedes(y)
            }.map { ($0.key, $0.value) }
        case .array where name.hasSuffix("object_keys"): throw VireoError(.invalidParameter, "cannot call \(name) on an array")
        case .array, .null, .bool, .number, .numeric, .string:
            throw VireoError(.invalidParameter, name.hasSuffix("object_keys") ? "cannot call \(name) on a scalar" : "cannot call \(name) on a non-object")
        }
    }

    private static func document(_ value: Value) throws -> JSONValue {
        switch value {
        case .json(let text), .text(let text): return try JSONValue.jsonb(text)
        default: throw VireoError(.internalError, "a JSON table function got \(value)")
        }
    }

    /// A JSON value as text: strings unquoted, JSON null as SQL NULL.
    private static func text(_ value: JSONValue) -> Value {
        if case .null = value { return .null }
        return .text(value.unquotedText ?? value.text)
    }
}
