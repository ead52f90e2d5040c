import VireoStorage

/// While binding the select list, HAVING and ORDER BY of a grouped query: GROUP BY
/// expressions and aggregate calls become columns of the aggregated row.
final class AggregateContext {
    let groupBy: [SQLExpression]
    let groupTypes: [SQLType]
    /// The keys every grouping set groups by (all of them without grouping sets).
    let commonKeys: Set<Int>
    let inputScope: Scope
    var calls: [AggregateCall] = []
    var callTypes: [SQLType] = []

    init(groupBy: [SQLExpression], groupTypes: [SQLType], commonKeys: Set<Int>, inputScope: Scope) {
        self.groupBy = groupBy
        self.groupTypes = groupTypes
        self.commonKeys = commonKeys
        self.inputScope = inputScope
    }
}

extension Binder {
    func hasAggregates(_ select: Select, _ query: Query) -> Bool {
        if !select.groupBy.isEmpty || select.having != nil { return true }
        let expressions = select.items.compactMap { item -> SQLExpression? in
            if case .expression(let expression, _) = item { return expression }
            return nil
        } + query.orderBy.map(\.expression)
        return expressions.contains { $0.contains { Self.isAggregateCall($0) } }
    }

    static func isWindowCall(_ expression: SQLExpression) -> Bool {
        if case .function(let call) = expression { return call.over != nil }
        return false
    }

    static func isAggregateCall(_ expression: SQLExpression) -> Bool {
        if case .function(let call) = expression { return call.over == nil && AggregateCall.Function(rawValue: call.name) != nil }
        return false
    }

    func bindAggregateSelect(_ select: Select, _ query: Query, source: PlanNode, scope: Scope,
                             whereClause: BoundExpression?) throws -> (PlanNode, [ResultColumn]) {
        let input = try AccessPath.choose(source, scope: scope, whereClause: whereClause, order: [], query: nil,
                                          binder: self, distinct: false)
        let grouping = try GroupingExpansion(select.groupBy, distinct: select.groupByDistinct,
                                             resolve: { try self.resolveGroupBy($0, select.items, scope) },
                                             sameKey: { try self.isSameGroupKey($0, $1, scope) })
        let groupBy = grouping.keys
        let keys = try groupBy.map { try bind($0, scope) }
        let context = AggregateContext(groupBy: groupBy, groupTypes: keys.map(\.type), commonKeys: grouping.commonKeys, inputScope: scope)
        aggregateContext = context
        defer { aggregateContext = nil }
        let outputScope = try groupedScope(groupBy, scope)
        let windows = try windowContext(for: select)
        windowContext = windows
        var items = try select.items.flatMap { item in try groupedWildcard(item, context) ?? selectItems([item], outputScope) }
        let distinctKeys = try distinctOnKeys(select.distinctOn, &items, outputScope)
        let orderKeys = try self.orderKeys(query.orderBy, &items, outputScope).map(\.output)
        windowContext = nil
        let having = try select.having.map { try coerce(bind($0, outputScope), to: .bool) }
        if select.distinct && items.contains(where: \.hidden) {
            throw VireoError(.invalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
        }
        let aggregation = Aggregation(groupKeys: keys.map(\.expression), aggregates: context.calls, groupingSets: grouping.sets,
                                      keyNames: groupBy.map(\.sql))
        var plan = PlanNode.aggregate(Self.prunedInput(input, aggregation, whereClause, width: scope.width), aggregation)
        if let having { plan = .filter(plan, having) }
        if !windows.calls.isEmpty {
            items = Self.resolvingWindowColumns(items, inputWidth: keys.count + context.calls.count)
            plan = .window(plan, windows.calls)
        }
        return try finishSelect(.project(plan, items.map(\.expression)), items, orderKeys, distinctKeys, select, query)
    }

    /// The input decoding only the columns the aggregation and the WHERE clause read (a
    /// `GROUP BY grp` with `sum(score)` over a wide table decodes two columns, not every text).
    /// Select items, HAVING and ORDER BY see the grouped rows, not the input, so they read
    /// nothing here. A correlated subquery's outer references do not show in the mask, so
    /// one of those keeps every column.
    private static func prunedInput(_ input: PlanNode, _ aggregation: Aggregation, _ whereClause: BoundExpression?,
                                    width: Int) -> PlanNode {
        let reading = aggregation.inputExpressions + [whereClause].compactMap { $0 }
        guard !reading.contains(where: \.hasCorrelatedSubquery) else { return input }
        return input.readingOnly(columnsRead(by: reading, width: width))
    }

    /// The names a grouped row answers to: each GROUP BY column under its table's name, at
    /// its position among the group keys. Subqueries in the select list, HAVING and ORDER BY
    /// see the grouped row as their outer row, so `(SELECT … WHERE p.dept_id = emp.dept_id)`
    /// resolves emp.dept_id to its group key. (Other columns are resolved, or rejected, by
    /// bindInAggregate before this scope is consulted.)
    private func groupedScope(_ groupBy: [SQLExpression], _ input: Scope) throws -> Scope {
        var grouped = Scope()
        for (position, expression) in groupBy.enumerated() {
            guard case .column(let reference) = expression, let (inputPosition, type) = try input.resolve(reference),
                  let entry = input.entries.first(where: { inputPosition >= $0.offset && inputPosition < $0.offset + $0.columns.count })
            else { continue }
            grouped.entries.append(ScopeEntry(name: entry.name, columns: [entry.columns[inputPosition - entry.offset]], types: [type],
                                              offset: position, width: 1, table: nil, origins: [input.origin(at: inputPosition)]))
        }
        return grouped
    }

    /// `GROUP BY 1` and `GROUP BY alias` name select-list expressions. As in PostgreSQL, a
    /// bare name that is also a column of the FROM clause means that column, not the alias.
    private func resolveGroupBy(_ expression: SQLExpression, _ items: [SelectItem], _ scope: Scope) throws -> SQLExpression {
        let expressions = items.compactMap { item -> (SQLExpression, String?)? in
            if case .expression(let expression, let alias) = item { return (expression, alias) }
            return nil
        }
        if case .literal(.integer(let position)) = expression {
            guard position >= 1 && Int(position) <= expressions.count else {
                throw VireoError(.invalidParameter, "GROUP BY position \(position) is not in select list")
            }
            return expressions[Int(position) - 1].0
        }
        if case .column(let reference) = expression, reference.table == nil,
           try scope.resolve(reference) == nil,
           let match = expressions.first(where: { $0.1 == reference.column }) {
            return match.0
        }
        return expression
    }

    /// Inside a grouped query: a GROUP BY expression or an aggregate call as a column of
    /// the aggregated row; nil to bind the expression normally.
    func bindInAggregate(_ expression: SQLExpression, _ context: AggregateContext) throws -> Typed? {
        if let position = context.groupBy.firstIndex(of: expression) {
            return (.column(position), context.groupTypes[position])
        }
        switch expression {
        case .function(let call) where call.over == nil && call.name == AggregateCall.Function.grouping.rawValue:
            return try groupingCall(call, context)
        case .function(let call) where call.over == nil && AggregateCall.Function(rawValue: call.name) != nil:
            return try aggregate(call, context)
        case .column(let reference):
            guard let (position, type) = try context.inputScope.resolve(reference) else { return nil }
            return try groupedColumn(position, type: type, context)
        default:
            return nil
        }
    }

    /// The input column at `position` in a grouped row: its group key (`emp.dept_id` when
    /// grouped by `dept_id`, or the other way round), or a column the grouped primary key
    /// determines (isDeterminedByGroupedKey); else 42803 as PostgreSQL words it.
    private func groupedColumn(_ position: Int, type: SQLType, _ context: AggregateContext) throws -> Typed {
        if let key = try keyPosition(ofInputColumn: position, context) {
            return (.column(key), context.groupTypes[key])
        }
        if try isDeterminedByGroupedKey(position, context) {
            let argument = BoundExpressionBox(expression: .column(position), key: "input column \(position)")
            return appendCall(AggregateCall(function: .anyValue, argument: argument, distinct: false), type: type, context)
        }
        let entry = context.inputScope.entries.first { position >= $0.offset && position < $0.offset + $0.columns.count }
        let name = entry.map { "\($0.name).\($0.columns[position - $0.offset])" } ?? "?"
        throw VireoError(.groupingError, "column \"\(name)\" must appear in the GROUP BY clause or be used in an aggregate function")
    }

    /// `*` and `t.*` of a grouped query: each column as `groupedColumn` binds it.
    func groupedWildcard(_ item: SelectItem, _ context: AggregateContext) throws -> [OutputItem]? {
        let columns: [(name: String, position: Int, type: SQLType)]
        switch item {
        case .wildcard: columns = try context.inputScope.visibleColumns()
        case .qualifiedWildcard(let table): columns = try context.inputScope.visibleColumns(of: table)
        case .expression, .expandedRow: return nil
        }
        return try columns.map { column in
            let (bound, type) = try groupedColumn(column.position, type: column.type, context)
            return OutputItem(expression: bound, name: column.name, type: type)
        }
    }

    /// PostgreSQL's functional dependency: when every primary-key column of a table is a
    /// GROUP BY key, each group holds one row of it, so its other columns may be used as
    /// they are (`SELECT a.name, count(*) FROM a JOIN b … GROUP BY a.id`, what Django writes).
    private func isDeterminedByGroupedKey(_ position: Int, _ context: AggregateContext) throws -> Bool {
        guard let entry = context.inputScope.entries.first(where: { position >= $0.offset && position < $0.offset + $0.columns.count }),
              let table = entry.table, entry.columns == table.columns.map(\.name),
              let keyColumns = ForeignKeys.primaryKey(of: table) else { return false }
        let grouped = Set(try context.commonKeys.compactMap { key -> Int? in
            guard case .column(let column) = context.groupBy[key] else { return nil }
            return try context.inputScope.resolve(column)?.0
        })
        return keyColumns.allSatisfy { name in table.columnIndex(name).map { grouped.contains(entry.offset + $0) } ?? false }
    }

    private func aggregate(_ call: FunctionCall, _ context: AggregateContext) throws -> Typed {
        if (call.arguments + [call.filter].compactMap { $0 }).contains(where: { $0.contains(where: Self.isWindowCall) }) {
            throw VireoError(.groupingError, "aggregate function calls cannot contain window function calls")
        }
        let saved = aggregateContext
        aggregateContext = nil
        defer { aggregateContext = saved }
        let (aggregateCall, type) = try self.aggregateCall(call, context.inputScope)
        return appendCall(aggregateCall, type: type, context)
    }

    /// The grouped row's column of `call`, added to the context's calls unless it is there.
    func appendCall(_ call: AggregateCall, type: SQLType, _ context: AggregateContext) -> Typed {
        let position = context.calls.firstIndex(of: call) ?? {
            context.calls.append(call)
            context.callTypes.append(type)
            return context.calls.count - 1
        }()
        return (.column(context.groupBy.count + position), type)
    }

    /// An aggregate call with its arguments, ORDER BY and FILTER bound over rows of `scope`.
    func aggregateCall(_ call: FunctionCall, _ scope: Scope) throws -> (AggregateCall, SQLType) {
        guard let function = AggregateCall.Function(rawValue: call.name) else { throw VireoError(.internalError, "not an aggregate") }
        // PostgreSQL's grammar gives GROUPING no OVER (grouped queries bind it in groupingCall).
        if function == .grouping { throw VireoError(.syntaxError, "syntax error at or near \"OVER\": GROUPING is not a window function") }
        let orderedSet = function == .percentileCont || function == .percentileDisc || function == .mode
        guard orderedSet == !call.withinGroup.isEmpty else {
            throw VireoError(.undefinedFunction, orderedSet ? "WITHIN GROUP is required for ordered-set aggregate \(call.name)"
                                                          : "\(call.name) is not an ordered-set aggregate, so it cannot have WITHIN GROUP")
        }
        let filter = try call.filter.map { condition in
            BoundExpressionBox(expression: try coerce(bind(condition, scope), to: .bool), key: condition.sql)
        }
        let order = try (orderedSet ? call.withinGroup : call.orderBy).map { item in
            AggregateOrder(key: BoundExpressionBox(expression: try bind(item.expression, scope).expression, key: item.expression.sql),
                           descending: item.descending, nullsFirst: item.nullsFirst ?? item.descending)
        }
        if orderedSet { return try orderedSetCall(function, call, scope, order: order, filter: filter) }
        if call.star {
            guard function == .count else { throw VireoError(.syntaxError, "\(call.name)(*) is only valid for count") }
            return (AggregateCall(function: function, argument: nil, distinct: false, filter: filter, order: order), .int)
        }
        let takesTwo = function == .stringAgg || function == .jsonbObjectAgg || function == .jsonObjectAgg || function.isRegression
        guard call.arguments.count == (takesTwo ? 2 : 1) else {
            throw VireoError(.undefinedFunction, "function \(call.name) takes exactly \(takesTwo ? "two arguments" : "one argument")")
        }
        let wholeRow = try wholeRowAggregateArgument(function, call, scope)
        var arguments = try wholeRow.map { [$0] } ?? call.arguments.map { try bind($0, scope) }
        let isJSON = [.jsonbAgg, .jsonAgg, .jsonbObjectAgg, .jsonObjectAgg].contains(function)
        if isJSON {
            arguments = arguments.map(EnumValues.asText)  // JSON holds an enum value's label
        }
        let wanted: SQLType? = switch function {
        case .stringAgg: .text
        case .boolAnd, .boolOr, .every: .bool
        case _ where function.isRegression: .double
        default: nil
        }
        let bound = try arguments.map { argument -> Typed in
            let type = wanted ?? (argument.type == .unknown ? .text : argument.type)
            if let wanted, argument.type != .unknown, !Self.converts(argument.type, to: wanted) {
                throw VireoError(.undefinedFunction, "function \(call.name)(\(arguments.map { $0.type.description }.joined(separator: ", "))) does not exist")
            }
            return (try coerce(argument, to: type), argument.type == .unknown ? type : argument.type)
        }
        var expressions = bound.map(\.expression)
        // array_agg of arrays refuses a NULL one as it arrives (22004), as PostgreSQL does.
        if function == .arrayAgg, bound[0].type.elementType != nil {
            expressions[0] = .function(ArrayFunctions.accumulable, [expressions[0]])
        }
        let boxes = zip(bound, call.arguments).enumerated().map { position, argument -> BoundExpressionBox in
            // The JSON aggregates take each value as JSON made by its SQL type (JSONDatum).
            let expression = isJSON ? jsonAggregateArgument(function, argument.0, isKey: position == 0 && takesTwo) : expressions[position]
            return BoundExpressionBox(expression: expression, key: argument.1.sql)
        }
        var aggregateCall = AggregateCall(function: function, argument: boxes[0], distinct: call.distinct, filter: filter,
                                          second: boxes.count > 1 ? boxes[1] : nil, order: order,
                                          exact: Self.resultType(function, bound[0].type) == .numeric)
        aggregateCall.halfPrecision = (function == .sum || function == .avg) && bound[0].type.isHalfVector
        aggregateCall.jsonStructured = wholeRow != nil || JSONDatum.isStructured(bound[0].type)
        return (aggregateCall, Self.resultType(function, bound[0].type))
    }

    /// percentile_cont(fraction), percentile_disc(fraction) and mode(), each WITHIN GROUP
    /// (ORDER BY key): the key is the aggregated value, the fraction a second value.
    private func orderedSetCall(_ function: AggregateCall.Function, _ call: FunctionCall, _ scope: Scope,
                                order: [AggregateOrder], filter: BoundExpressionBox?) throws -> (AggregateCall, SQLType) {
        guard call.withinGroup.count == 1, call.arguments.count == (function == .mode ? 0 : 1), !call.distinct else {
            throw VireoError(.undefinedFunction, "function \(call.name) takes \(function == .mode ? "no argument" : "one fraction") and one WITHIN GROUP key")
        }
        let key = try bind(call.withinGroup[0].expression, scope)
        let fraction = try call.arguments.first.map { argument in
            BoundExpressionBox(expression: try coerce(bind(argument, scope), to: .double), key: argument.sql)
        }
        let type: SQLType = function == .percentileCont ? .double : key.type
        return (AggregateCall(function: function, argument: order[0].key, distinct: false, filter: filter, second: fraction, order: order), type)
    }

    /// Whether an argument of type `type` is taken by an aggregate over `wanted`: any text
    /// type for text, any number for double precision (PostgreSQL's implicit casts to float8).
    private static func converts(_ type: SQLType, to wanted: SQLType) -> Bool {
        type == wanted || (wanted.isText && type.isText) || (wanted == .double && type.isNumeric)
    }

    static func resultType(_ function: AggregateCall.Function, _ argument: SQLType) -> SQLType {
        switch function {
        case .count: .int
        // PostgreSQL: sum of smallint/integer is bigint, of bigint and numeric numeric, of real
        // real; avg and the variances of integers and numerics are numeric.
        case .sum: argument == .int || argument == .numeric ? .numeric
            : argument.isInteger ? .int : (argument.isVector ? argument.unconstrained : (argument == .real ? .real : .double))
        case .avg: argument.isVector ? argument.unconstrained : (argument.isInteger || argument == .numeric ? .numeric : .double)
        case .stddev, .stddevSamp, .stddevPop, .variance, .varSamp, .varPop:
            argument.isInteger || argument == .numeric ? .numeric : .double
        case .min, .max, .bitAnd, .bitOr, .percentileDisc, .mode, .anyValue: argument
        case .stringAgg: .text
        case .boolAnd, .boolOr, .every: .bool
        case .percentileCont: .double
        case .jsonbAgg, .jsonbObjectAgg: .json
        case .jsonAgg, .jsonObjectAgg: .jsonText
        // array_agg of arrays stacks them into one array of a dimension more, of their type.
        case .arrayAgg: argument.elementType != nil ? argument : .array(argument)
        case .grouping: .integer
        case .regrCount: .int
        // corr, covar_pop, covar_samp and the other regr_ statistics.
        default: .double
        }
    }
}
