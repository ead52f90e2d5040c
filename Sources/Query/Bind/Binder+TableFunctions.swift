import VireoStorage

/// Functions in FROM (`generate_series(1, 10)`, `jsonb_each(doc)`): table functions give
/// rows; any other function gives one row of its value, as in PostgreSQL.
extension Binder {
    /// Binds a function in FROM. With `left` (the FROM entries before it) its arguments
    /// may read those, as a LATERAL subquery does; the caller then joins with lateralJoin.
    func bindTableFunction(_ reference: TableFunctionReference, after left: Scope?) throws -> (PlanNode, Scope) {
        let binder = left.map { nestedBinder(outerScopes: outerScopes + [$0]) } ?? self
        let sqlFunction = try binder.sqlTableFunction(reference.call, alias: reference.alias)
        let call = sqlFunction == nil ? try binder.positionalCall(reference.call, Scope()) : reference.call
        if call.name == Self.hybridSearchName { return try bindHybridSearch(reference) }
        if call.distinct || call.star {
            throw VireoError(.syntaxError, "\(call.name)(…) in FROM takes plain arguments")
        }
        let plan: PlanNode, columns: [ResultColumn]
        if !reference.recordColumns.isEmpty, !JSONRecordShape.functions.contains(call.name) {
            throw VireoError(.syntaxError, "a column definition list is only allowed for functions returning \"record\"")
        }
        if let sqlFunction {
            (plan, columns) = sqlFunction
        } else if call.name == Self.zippedFunctionsName {
            (plan, columns) = try binder.bindZipped(call.arguments)
        } else if call.name == Self.recordRowsName {
            let (scan, recordColumns) = try binder.liftedScan(call)
            (plan, columns) = (.functionScan(scan), recordColumns)
        } else if JSONRecordShape.functions.contains(call.name) {
            (plan, columns) = try binder.bindJSONRecord(call, reference)
        } else if let function = TableFunction(name: call.name) {
            let arguments = try call.arguments.map { try binder.bind($0, Scope()) }
            let (bound, types) = try binder.resolve(function, call.name, arguments)
            plan = .functionScan(TableFunctionScan(function: function, name: call.name, arguments: bound, withOrdinality: reference.withOrdinality))
            let names = function.columnNames ?? Array(repeating: reference.alias ?? call.name, count: types.count)
            columns = zip(names, types).map { ResultColumn(name: $0, type: $1) }
        } else {
            let (value, type) = try binder.bind(.function(call), Scope())
            // One row of a scalar function (numbered 1 WITH ORDINALITY).
            plan = .values([[value] + (reference.withOrdinality ? [.constant(.int(1))] : [])])
            columns = [ResultColumn(name: reference.alias ?? call.name, type: type)]
        }
        if let left = binder === self ? nil : binder {
            absorb(left)
            if left.usedOuterScope && !outerScopes.isEmpty { usedOuterScope = true }
        }
        let alias = reference.alias ?? call.name
        let named = try Self.renamed(columns + (reference.withOrdinality ? [ResultColumn(name: "ordinality", type: .int)] : []),
                                     reference.columns, alias: alias)
        var scope = Scope()
        scope.addDerived(name: alias, columns: named)
        if alias == Self.liftedFunctionAlias || alias.hasPrefix(Self.expandedRowAlias) {
            // Reached only through the select-list item it replaced: not by `*`, and no
            // clash with a column of the same name in the query's tables.
            scope.entries[0].mergedAway = Set(named.map(\.name))
        }
        return (plan, scope)
    }

    /// The FROM alias of a table function lifted out of a select list.
    static let liftedFunctionAlias = "set-returning function"

    /// The call that stands for several set-returning functions of one select list, whose
    /// arguments are those calls (no SQL name can be spelled so).
    static let zippedFunctionsName = "rows from"

    /// Several table functions run side by side: one column per function (each lifted
    /// from a select list has one).
    private func bindZipped(_ calls: [SQLExpression]) throws -> (PlanNode, [ResultColumn]) {
        var scans: [TableFunctionScan] = [], columns: [ResultColumn] = [], counts: [Int] = []
        for case .function(let named) in calls {
            let (scan, scanColumns) = try liftedScan(named)
            scans.append(scan)
            columns += scanColumns
            counts.append(scanColumns.count)
        }
        let scan = TableFunctionScan(function: .zipped(scans, columnCounts: counts), name: "ROWS FROM", arguments: [], withOrdinality: false)
        return (.functionScan(scan), columns)
    }

    /// The call that stands for a multi-column set-returning function lifted from a select
    /// list, its only argument that call: its rows are records (no SQL name can be spelled so).
    static let recordRowsName = "record rows"

    /// A set-returning call lifted from a select list: its scan and columns, one record
    /// column for a call wrapped in recordRowsName (`SELECT information_schema._pg_expandarray(a)`
    /// gives `(5,1)`, whose fields `(…).x` reads).
    private func liftedScan(_ named: FunctionCall) throws -> (TableFunctionScan, [ResultColumn]) {
        let asRecord = named.name == Self.recordRowsName
        guard case .function(let inner) = asRecord ? named.arguments[0] : .function(named) else {
            throw VireoError(.internalError, "\(Self.recordRowsName) wraps a function call")
        }
        let call = try positionalCall(inner, Scope())
        guard let function = TableFunction(name: call.name) else {
            throw VireoError(.internalError, "\(call.name) is not a set-returning function")
        }
        let (bound, types) = try resolve(function, call.name, try call.arguments.map { try bind($0, Scope()) })
        var scan = TableFunctionScan(function: function, name: call.name, arguments: bound, withOrdinality: false)
        guard asRecord else { return (scan, types.map { ResultColumn(name: call.name, type: $0) }) }
        scan.rowsAsRecords = true
        let fields = zip(function.columnNames ?? [], types).map { RecordField($0, $1) }
        return (scan, [ResultColumn(name: call.name, type: .record(fields))])
    }

    /// `SELECT generate_series(1, 3)`, `SELECT id, jsonb_array_elements(doc) FROM t`,
    /// `SELECT generate_series(…)::date`: each table function call in a select-list item (the
    /// item itself, or inside its casts, field selections, operators and function arguments)
    /// becomes a column of that function (a record for one of several columns), added to FROM after the other entries (so it runs once per
    /// row of theirs), as PostgreSQL's ProjectSet runs them.
    func liftingSetReturningItem(_ select: Select, _ query: Query) throws -> Select {
        let name = Self.liftedFunctionAlias
        var rewritten = select, calls: [SQLExpression] = []
        for (index, item) in select.items.enumerated() {
            guard case .expression(let expression, let alias) = item else { continue }
            let before = calls.count
            let lifted = Self.liftingSetReturningCalls(expression, into: &calls, sqlSetFunctions: sqlSetFunctionNames)
            if calls.count > before { rewritten.items[index] = .expression(lifted, alias: alias ?? Self.columnName(expression)) }
        }
        guard case .function(let first) = calls.first else { return select }
        if calls.count > 1, calls.contains(where: { if case .function(let call) = $0 { sqlSetFunctionNames.contains(call.name) } else { false } }) {
            throw VireoError(.featureNotSupported, "a SQL set-returning function beside another set-returning function in a select list is not supported; call them in FROM")
        }
        guard select.groupBy.isEmpty, select.having == nil, !hasAggregates(select, query) else {
            throw VireoError(.featureNotSupported, "a set-returning function in a select list with aggregates or GROUP BY is not supported; call it in FROM")
        }
        // Several run side by side, as PostgreSQL (10 and later) runs them.
        let call = calls.count == 1 ? first : FunctionCall(Self.zippedFunctionsName, calls)
        let columns = calls.indices.map(Self.liftedColumnName)
        rewritten.from.append(.function(TableFunctionReference(call: call, alias: name, columns: columns)))
        return rewritten
    }

    /// The SQL functions returning a set of one column, which a select list may call.
    private var sqlSetFunctionNames: Set<String> {
        Set(catalog.functions.values.filter { $0.returnsSet && $0.resultColumns == nil && !$0.returnsRow(catalog) }.map(\.name))
    }

    /// The column of the lifted function at `index`.
    private static func liftedColumnName(_ index: Int) -> String { index == 0 ? "value" : "value\(index)" }

    /// `expression` with each table function call in it (not in its subqueries,
    /// CASE or another such call's arguments) replaced by its lifted column, the calls
    /// appended to `calls`.
    private static func liftingSetReturningCalls(_ expression: SQLExpression, into calls: inout [SQLExpression],
                                                 sqlSetFunctions: Set<String>) -> SQLExpression {
        func lift(_ operand: SQLExpression) -> SQLExpression { liftingSetReturningCalls(operand, into: &calls, sqlSetFunctions: sqlSetFunctions) }
        switch expression {
        case .function(let call) where call.over == nil && sqlSetFunctions.contains(call.name):
            calls.append(expression)
            return .column(ColumnReference(table: liftedFunctionAlias, liftedColumnName(calls.count - 1)))
        case .function(let call) where call.over == nil:
            if let function = TableFunction(name: call.name) {
                // A function of several columns gives one record per row, as in PostgreSQL.
                let columnCount = function.columnNames?.count ?? 1
                calls.append(columnCount == 1 ? expression : .function(FunctionCall(recordRowsName, [expression])))
                return .column(ColumnReference(table: liftedFunctionAlias, liftedColumnName(calls.count - 1)))
            }
            // PostgreSQL refuses one inside COALESCE (as inside CASE), which the binder reports.
            guard call.name != "coalesce" else { return expression }
            var lifted = call
            lifted.arguments = call.arguments.map(lift)
            return .function(lifted)
        case .cast(let operand, let type): return .cast(lift(operand), type)
        case .field(let record, let name): return .field(lift(record), name)
        case .unary(let op, let operand): return .unary(op, lift(operand))
        case .binary(let op, let left, let right): return .binary(op, lift(left), lift(right))
        case .subscripted(let array, let lower, let upper, let isSlice):
            return .subscripted(lift(array), lower: lower.map(lift), upper: upper.map(lift), isSlice: isSlice)
        default: return expression
        }
    }

    /// The arguments converted to the types `function` takes, and its column types.
    private func resolve(_ function: TableFunction, _ name: String, _ arguments: [Typed]) throws -> ([BoundExpression], [SQLType]) {
        let types = arguments.map(\.type)
        let noSuchFunction = VireoError(.undefinedFunction, "function \(name)(\(types.map { $0 == .unknown ? "unknown" : $0.description }.joined(separator: ", "))) does not exist")
        switch function {
        case .series:
            guard (2...3).contains(arguments.count) else { throw noSuchFunction }
            let datetimes: Set<SQLType> = [.timestamp, .timestamptz, .date]
            if types.contains(where: datetimes.contains) || (arguments.count == 3 && types[2] == .interval) {
                guard arguments.count == 3, types[0...1].allSatisfy({ datetimes.contains($0) || $0 == .unknown }),
                      types[2] == .interval || types[2] == .unknown else { throw noSuchFunction }
                // date and unknown resolve to timestamptz, as PostgreSQL's preferred type.
                let target: SQLType = types[0...1].allSatisfy { $0 == .timestamp || $0 == .unknown } && types[0...1].contains(.timestamp) ? .timestamp : .timestamptz
                let bounds = try arguments[0...1].map { try converted($0, to: target) }
                return (bounds + [try coerce(arguments[2], to: .interval)], [target])
            }
            let numbers: Set<SQLType> = [.smallint, .integer, .int, .numeric, .real, .double, .unknown]
            guard types.allSatisfy(numbers.contains) else { throw noSuchFunction }
            let target: SQLType = types.contains(.double) || types.contains(.real) ? .double
                : types.contains(.numeric) ? .numeric : types.contains(.int) ? .int : .integer
            return (try arguments.map { try converted($0, to: target) }, [target])
        case .unnest:
            guard !arguments.isEmpty, types.allSatisfy({ $0.elementType != nil || $0 == .unknown }) else { throw noSuchFunction }
            if types.contains(.unknown) {
                throw VireoError(.indeterminateDatatype, "could not determine polymorphic type because input has type unknown")
            }
            return (arguments.map(\.expression), types.compactMap(\.elementType))
        case .jsonElements(let asText), .jsonEach(let asText), .jsonKeys(let asText):
            guard arguments.count == 1, [.json, .jsonText, .unknown].contains(types[0]) else { throw noSuchFunction }
            // json_each and the others of json read the document as written (JSONWritten).
            let documentType: SQLType = TableFunction.readsWrittenJSON(name) ? .jsonText : .json
            let valueType: SQLType = asText ? .text : documentType
            let columns: [SQLType] = switch function {
            case .jsonEach: [.text, valueType]
            case .jsonKeys: [.text]
            default: [valueType]
            }
            return ([try coerce(arguments[0], to: documentType)], columns)
        case .jsonPathQuery:
            guard (2...4).contains(arguments.count) else { throw noSuchFunction }
            let expected: [SQLType] = [.json, .text, .json, .bool]
            return (try zip(arguments, expected).map { try coerce($0, to: $1) }, [.json])
        case .regexMatches, .split:
            guard (2...3).contains(arguments.count), types.allSatisfy({ $0.isText || $0 == .unknown }) else { throw noSuchFunction }
            return (try arguments.map { try coerce($0, to: .text) }, [function.isSplit ? .text : .array(.text)])
        case .session(let relation):
            guard arguments.isEmpty else { throw noSuchFunction }
            return ([], relation.columns.map(\.type))
        case .expandArray:
            guard arguments.count == 1, let element = types[0].elementType else { throw noSuchFunction }
            return ([arguments[0].expression], [element, .integer])
        case .partitionAncestors:
            guard arguments.count == 1, types[0].isInteger || types[0] == .unknown else { throw noSuchFunction }
            return ([try converted(arguments[0], to: .int)], [.int])
        case .optionsToTable:
            guard arguments.count == 1, types[0] == .array(.text) || types[0] == .unknown else { throw noSuchFunction }
            return ([try coerce(arguments[0], to: .array(.text))], [.text, .text])
        case .subscripts:
            guard (2...3).contains(arguments.count), types[0].elementType != nil, types[1].isInteger || types[1] == .unknown else {
                throw noSuchFunction
            }
            let reverse = arguments.count > 2 ? try coerce(arguments[2], to: .bool) : .constant(.bool(false))
            let base = BoundExpression.constant(.int(types[0] == .int2vector ? 0 : 1))
            return ([arguments[0].expression, try converted(arguments[1], to: .int), reverse, base], [.integer])
        case .zipped:
            throw VireoError(.internalError, "ROWS FROM is bound by bindZipped")
        case .jsonRecord:
            throw VireoError(.internalError, "\(name) is bound by bindJSONRecord")
        case .procedural:
            throw VireoError(.internalError, "\(name) is bound by sqlTableFunction")
        }
    }

    /// `typed` as a value of `type`: a constant or parameter takes the type, others are cast.
    private func converted(_ typed: Typed, to type: SQLType) throws -> BoundExpression {
        typed.type == .unknown || typed.type == type ? try coerce(typed, to: type) : .cast(typed.expression, type)
    }
}
