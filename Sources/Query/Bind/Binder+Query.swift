import VireoStorage

extension Binder {
    /// Binds a query into a plan producing its result columns.
    func bindQuery(_ query: Query) throws -> (PlanNode, [ResultColumn]) {
        let visibleCount = commonTables.count
        defer { commonTables.removeLast(commonTables.count - visibleCount) }
        if !query.locking.isEmpty { return try bindLockingQuery(query) }
        // The WITH queries are not the ones a pending locking clause is for.
        let locking = takePendingLocking()
        try bindWith(query.with)
        pendingLocking = locking
        switch query.body {
        case .select(let select): return try bindSelect(select, query)
        case .values(let rows):
            let (plan, columns) = try bindValues(rows)
            return try orderAndLimit(plan, columns, query)
        case .setOperation(let operation):
            let (plan, columns) = try bindSetOperation(operation)
            return try orderAndLimit(plan, columns, query)
        }
    }

    /// The operands of a set operation, one after another (a run of thousands binds without
    /// recursing per operand), and the result columns' common types.
    private func bindSetOperation(_ operation: SetOperation) throws -> (PlanNode, [ResultColumn]) {
        // PostgreSQL: a recursive query's working table may not be read by INTERSECT ALL or
        // EXCEPT ALL, nor on EXCEPT's right side.
        let restrictsLeft = operation.kind != .union && operation.all
        let restrictsRight = restrictsLeft || operation.kind == .except
        var plans: [PlanNode] = [], operandTypes: [[SQLType]] = []
        var columns: [ResultColumn] = []
        for operand in operation.operands {
            let (plan, operandColumns) = try bindQuery(operand)
            if plan.readsWorkingTable && (plans.isEmpty ? restrictsLeft : restrictsRight) {
                throw VireoError(.invalidRecursion, "recursive reference to query must not appear within \(operation.kind.rawValue)")
            }
            if plans.isEmpty {
                columns = operandColumns
            } else {
                guard operandColumns.count == columns.count else {
                    throw VireoError(.syntaxError, "each \(operation.kind.rawValue) query must have the same number of columns")
                }
                for (index, column) in operandColumns.enumerated() {
                    guard SQLType.canMeet(columns[index].type, column.type) else {
                        throw VireoError(.typeMismatch, "\(operation.kind.rawValue) types \(columns[index].type) and \(column.type) cannot be matched")
                    }
                    columns[index].type = SQLType.common([columns[index].type, column.type])
                    columns[index].origin = ColumnOrigin.common([columns[index].origin, column.origin])
                }
            }
            plans.append(plan)
            operandTypes.append(operandColumns.map(\.type))
        }
        // Each operand's values take the common types (1 UNION 2.5 is numeric 1 and 2.5), so
        // a column's values are all of the type it is described with.
        for (index, types) in operandTypes.enumerated() where types != columns.map(\.type) {
            let converted = try zip(types, columns).enumerated().map { position, pair in
                try convert((.column(position), pair.0), to: pair.1.type)
            }
            plans[index] = .project(plans[index], converted)
        }
        return (.setOperation(operation.kind, all: operation.all, plans), columns)
    }

    /// ORDER BY (by output name or position) and LIMIT over a set operation's result. As in
    /// PostgreSQL, the keys must name result columns: expressions are rejected.
    private func orderAndLimit(_ plan: PlanNode, _ columns: [ResultColumn], _ query: Query) throws -> (PlanNode, [ResultColumn]) {
        let keys = try query.orderBy.map { item -> SortKey in
            guard let expression = try outputReference(item.expression, columns) else {
                throw VireoError(.featureNotSupported, "invalid UNION/INTERSECT/EXCEPT ORDER BY clause: only result column names or positions can be used")
            }
            return SortKey(expression: expression, descending: item.descending, nullsFirst: item.effectiveNullsFirst)
        }
        return (try applyOrderAndLimit(plan, keys, query), columns)
    }

    /// `ORDER BY 2` or `ORDER BY alias`: the output column it names.
    func outputReference(_ expression: SQLExpression, _ columns: [ResultColumn]) throws -> BoundExpression? {
        switch expression {
        case .literal(.integer(let position)):
            guard position >= 1 && position <= columns.count else {
                throw VireoError(.invalidColumnReference, "ORDER BY position \(position) is not in select list")
            }
            return .column(Int(position) - 1)
        case .column(let reference) where reference.table == nil:
            return columns.firstIndex { $0.name == reference.column }.map { .column($0) }
        default:
            return nil
        }
    }

    func applyOrderAndLimit(_ plan: PlanNode, _ keys: [SortKey], _ query: Query) throws -> PlanNode {
        let limit = try query.limit.map { try coerce(bind($0, Scope()), to: .int) }
        let offset = try query.offset.map { try coerce(bind($0, Scope()), to: .int) }
        if query.withTies, let limit {
            guard query.limit != .literal(.null) else {
                throw VireoError(.invalidRowCount, "row count cannot be null in FETCH FIRST ... WITH TIES clause")
            }
            // The keys tell the ties apart: DISTINCT ON and FOR UPDATE pass none (their rows are sorted below).
            guard !keys.isEmpty else {
                throw VireoError(.featureNotSupported, "FETCH FIRST … WITH TIES is not supported with DISTINCT ON or FOR UPDATE")
            }
            return .limitWithTies(.sort(plan, keys), keys, limit: limit, offset: offset)
        }
        var result = plan
        if !keys.isEmpty {
            if let limit {
                // Keeps LIMIT + OFFSET rows; the LIMIT node above skips the offset.
                result = .topK(result, keys, limit: limit, offset: offset)
            } else {
                result = .sort(result, keys)
            }
        }
        if limit != nil || offset != nil { result = .limit(result, limit: limit, offset: offset) }
        return result
    }

    private func bindSelect(_ select: Select, _ query: Query) throws -> (PlanNode, [ResultColumn]) {
        let locking = takePendingLocking()
        // Locked rows are limited above the LockRows node: no access path may apply the limit.
        // Nor may one limit the rows WITH TIES reads past the limit.
        let unlimited = locking.isEmpty && !query.withTies ? query : Query(body: query.body, orderBy: query.orderBy, with: query.with)
        let select = try liftingSetReturningItem(expandingRowItems(select), query)
        var (source, scope) = try bindFrom(select.from)
        let whereClause = try select.whereClause.map { try coerce(bind($0, scope), to: .bool) }
        if hasAggregates(select, query) {
            return try bindAggregateSelect(select, query, source: source, scope: scope, whereClause: whereClause)
        }
        let windows = try windowContext(for: select)
        windowContext = windows
        var items = try selectItems(select.items, scope)
        let distinctKeys = try distinctOnKeys(select.distinctOn, &items, scope)
        let keys = try orderKeys(query.orderBy, &items, scope)
        windowContext = nil
        if select.distinct && items.contains(where: \.hidden) {
            // A hidden sort column would take part in DISTINCT and let duplicates through.
            throw VireoError(.invalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
        }
        if !windows.calls.isEmpty {
            source = try AccessPath.choose(source, scope: scope, whereClause: whereClause, order: [], query: nil,
                                           binder: self, distinct: true)
            items = Self.resolvingWindowColumns(items, inputWidth: scope.width)
            let plan = PlanNode.project(.window(source, windows.calls), items.map(\.expression))
            return try finishSelect(plan, items, keys.map(\.output), distinctKeys, select, query)
        }
        source = try AccessPath.choose(source, scope: scope, whereClause: whereClause, order: keys, query: unlimited,
                                       binder: self, distinct: select.distinct || !distinctKeys.isEmpty)
        var sortKeys = keys.map(\.output)
        if case .vectorScan = source, keys.count == 1, !query.withTies {
            // The vector scan emits rows nearest first: no sort, and no distance column.
            sortKeys = []
            if items.last?.hidden == true { items.removeLast() }
        }
        // Ties are found by the keys, which WITH TIES keeps (their sort of sorted rows is cheap).
        if case .indexScan(_, let range) = source, range.ordered, !query.withTies { sortKeys = [] }
        let locks = try lockTargets(locking, &items, scope)
        let reading = items.map(\.expression) + [whereClause].compactMap { $0 }
        if !reading.contains(where: \.hasCorrelatedSubquery) {
            source = source.readingOnly(Self.columnsRead(by: reading, width: scope.width))
        }
        guard !locks.isEmpty || !locking.isEmpty else {
            return try finishSelect(.project(source, items.map(\.expression)), items, sortKeys, distinctKeys, select, query)
        }
        // Sort, lock each row in that order, drop the hidden columns, then limit.
        var (plan, columns) = try finishSelect(.project(source, items.map(\.expression)), items, sortKeys, distinctKeys, select, unlimited,
                                               locks: locks)
        plan = try applyOrderAndLimit(plan, [], query)
        return (plan, columns)
    }

    /// DISTINCT, DISTINCT ON, ORDER BY and LIMIT over the projected rows, then the hidden
    /// sort columns dropped.
    func finishSelect(_ projected: PlanNode, _ items: [OutputItem], _ sortKeys: [SortKey], _ distinctKeys: [Int],
                      _ select: Select, _ query: Query, locks: [RowLockTarget] = []) throws -> (PlanNode, [ResultColumn]) {
        var plan = projected
        if select.distinct { plan = .distinct(plan) }
        if distinctKeys.isEmpty {
            plan = try applyOrderAndLimit(plan, sortKeys, query)
        } else {
            let leading = sortKeys.prefix(distinctKeys.count).compactMap { key -> Int? in
                if case .column(let position) = key.expression { return position }
                return nil
            }
            guard leading.allSatisfy(distinctKeys.contains), leading.count == min(sortKeys.count, distinctKeys.count) else {
                throw VireoError(.invalidColumnReference, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
            }
            // Rows of one DISTINCT ON group must be adjacent: sort by the keys ORDER BY leaves out too.
            let extra = distinctKeys.filter { !leading.contains($0) }.map { SortKey(expression: .column($0), descending: false, nullsFirst: false) }
            let distinctSort = Array(sortKeys.prefix(distinctKeys.count)) + extra + sortKeys.dropFirst(distinctKeys.count)
            plan = .distinctOn(.sort(plan, distinctSort), keys: distinctKeys.map { .column($0) })
            plan = try applyOrderAndLimit(plan, [], query)
        }
        if !locks.isEmpty { plan = .lockRows(plan, locks) }
        let visible = items.filter { !$0.hidden }
        if visible.count != items.count { plan = .project(plan, visible.indices.map { .column($0) }) }
        return (plan, visible.map(\.resultColumn))
    }

    /// DISTINCT ON keys as positions among the output items: a select-list column (by
    /// position, name or the same expression) or a hidden column added for it.
    func distinctOnKeys(_ expressions: [SQLExpression], _ items: inout [OutputItem], _ scope: Scope) throws -> [Int] {
        try expressions.map { expression in
            let visible = items.filter { !$0.hidden }.map { ResultColumn(name: $0.name, type: $0.type) }
            if case .column(let index)? = try outputReference(expression, visible) { return index }
            if let index = items.firstIndex(where: { $0.source == expression }) { return index }
            let (bound, type) = try bind(expression, scope)
            items.append(OutputItem(expression: bound, name: "?distinct?", type: type, hidden: true, source: expression))
            return items.count - 1
        }
    }

    /// Which positions of a row of `width` the expressions read.
    static func columnsRead(by expressions: [BoundExpression], width: Int) -> [Bool] {
        var needed = [Bool](repeating: false, count: width)
        for expression in expressions { expression.visitColumns { if $0 < width { needed[$0] = true } } }
        return needed
    }

    /// An output column: its expression over the input row, name and type; hidden ones
    /// carry ORDER BY keys that are not in the select list.
    struct OutputItem {
        var expression: BoundExpression
        var name: String
        var type: SQLType
        var hidden = false
        /// The select-list expression it came from (nil for `*`), so an ORDER BY key written
        /// the same way sorts by it instead of adding a hidden column.
        var source: SQLExpression? = nil
        /// The column or declared type it shows unchanged, for the result's description.
        var origin: ColumnOrigin? = nil

        var resultColumn: ResultColumn { ResultColumn(name: name, type: type, origin: origin) }
    }

    /// ORDER BY keys, both as output-column references (for the sort) and as expressions
    /// over the input row (for choosing an access path).
    struct OrderKey {
        var output: SortKey
        var input: BoundExpression
    }

    func selectItems(_ items: [SelectItem], _ scope: Scope) throws -> [OutputItem] {
        try items.flatMap { item -> [OutputItem] in
            switch item {
            case .wildcard:
                guard !scope.entries.isEmpty else { throw VireoError(.syntaxError, "SELECT * with no tables specified is not valid") }
                return try scope.visibleColumns().map {
                    OutputItem(expression: .column($0.position), name: $0.name, type: $0.type, origin: scope.origin(at: $0.position))
                }
            case .qualifiedWildcard(let table):
                return try scope.visibleColumns(of: table).map {
                    OutputItem(expression: .column($0.position), name: $0.name, type: $0.type, origin: scope.origin(at: $0.position))
                }
            case .expandedRow(let call):
                throw VireoError(.featureNotSupported, "(\(call.name)(…)).* is supported only in a SELECT's select list")
            case .expression(let expression, let alias):
                let name = alias ?? Self.columnName(expression)
                if case .column(let reference) = expression, let (position, type) = try scope.resolve(reference),
                   scope.isBlankPadded(position) {
                    // A char(n) column shown as a result keeps its padding, as PostgreSQL prints it.
                    return [OutputItem(expression: .column(position), name: name, type: type, source: expression, origin: scope.origin(at: position))]
                }
                let (bound, type) = try bind(expression, scope)
                return [OutputItem(expression: bound, name: name, type: type, source: expression, origin: origin(of: expression, bound, scope))]
            }
        }
    }

    /// What a select-list expression shows unchanged: a column read as it is, or a value cast
    /// to a declared type.
    func origin(of expression: SQLExpression, _ bound: BoundExpression, _ scope: Scope) -> ColumnOrigin? {
        switch (expression, bound) {
        case (.column, .column(let position)): return scope.origin(at: position)
        case (.cast(_, let typeName), _): return Self.castOrigin(typeName)
        case (.function(let call), _) where call.name == "coalesce" && call.over == nil: return coalesceOrigin(call.arguments, scope)
        default: return nil
        }
    }

    /// COALESCE whose first typed argument is varchar is varchar, literals taking that type, as
    /// PostgreSQL resolves it; the length stays only when every argument declares the same.
    private func coalesceOrigin(_ arguments: [SQLExpression], _ scope: Scope) -> ColumnOrigin? {
        let typed = arguments.filter { if case .literal = $0 { false } else { true } }
        let types = typed.map { argument -> ColumnType? in
            switch argument {
            case .column(let reference):
                if let (position, _) = try? scope.resolve(reference) { scope.origin(at: position)?.declaredType } else { nil }
            case .cast(_, let typeName): Self.castOrigin(typeName)?.declaredType
            case .function(let call) where call.name == "coalesce" && call.over == nil: coalesceOrigin(call.arguments, scope)?.declaredType
            default: nil
            }
        }
        // The first typed argument decides between varchar and text (each converts to the
        // other implicitly, so select_common_type keeps the first).
        guard let first = types.first ?? nil, case .varchar = first else { return nil }
        let same = typed.count == arguments.count && types.allSatisfy { $0 == first }
        return ColumnOrigin(castTo: same ? first : .varchar(length: 0))
    }

    /// A cast to a type whose name or modifier the value's SQL type does not keep (varchar,
    /// varchar(n), char(n), numeric(p,s), timestamp(p) …) describes its result with it, as
    /// PostgreSQL does.
    private static func castOrigin(_ typeName: TypeName) -> ColumnOrigin? {
        switch typeName {
        case .varchar, .char, .numeric(_?, _), .fractionalSeconds: (try? typeName.columnType()).map(ColumnOrigin.init(castTo:))
        default: nil
        }
    }

    func orderKeys(_ orderBy: [OrderItem], _ items: inout [OutputItem], _ scope: Scope) throws -> [OrderKey] {
        try orderBy.map { item in
            if case .column(let reference) = item.expression, reference.table == nil {
                // PostgreSQL: a bare name naming two different output columns is ambiguous.
                let matches = items.filter { !$0.hidden && $0.name == reference.column }
                if Set(matches.map { "\($0.expression)" }).count > 1 {
                    throw VireoError(.ambiguousColumn, "ORDER BY \"\(reference.column)\" is ambiguous")
                }
            }
            let visible = items.filter { !$0.hidden }.map { ResultColumn(name: $0.name, type: $0.type) }
            let position: Int
            if case .column(let index)? = try outputReference(item.expression, visible) {
                position = index
            } else if let index = items.firstIndex(where: { $0.source == item.expression }) {
                position = index
            } else {
                let (bound, type) = try bind(item.expression, scope)
                items.append(OutputItem(expression: bound, name: "?order?", type: type, hidden: true))
                position = items.count - 1
            }
            let key = SortKey(expression: .column(position), descending: item.descending, nullsFirst: item.effectiveNullsFirst)
            return OrderKey(output: key, input: items[position].expression)
        }
    }

    /// PostgreSQL's name for an unaliased output column.
    static func columnName(_ expression: SQLExpression) -> String { figuredName(expression).name }

    /// PostgreSQL's FigureColname: a column, function or subquery names the result firmly; a
    /// cast of anything else is named after the type (`int4`, `float8`, `bpchar`), a CASE after
    /// its ELSE when that is named firmly, else `case`.
    private static func figuredName(_ expression: SQLExpression) -> (name: String, isFirm: Bool) {
        switch expression {
        case .column(let reference): return (reference.column, true)
        // Prefix operators parse as calls (Parser+Expressions.swift) but are operators.
        case .function(let call) where call.isPrefixOperator: return ("?column?", false)
        case .function(let call): return (call.name, true)
        case .cast(let operand, let type):
            let inner = figuredName(operand)
            return inner.isFirm ? inner : (type.internalName, false)
        case .caseWhen(let caseExpression):
            if let otherwise = caseExpression.elseResult, case let inner = figuredName(otherwise), inner.isFirm { return inner }
            return ("case", false)
        case .exists: return ("exists", true)
        case .row: return ("row", true)
        case .array, .arraySubquery: return ("array", true)
        case .subscripted(let array, _, _, _): return figuredName(array)
        case .field(_, let name): return (name, true)
        case .subquery(let query): return query.firstColumnName.map { ($0, true) } ?? ("?column?", false)
        default: return ("?column?", false)
        }
    }
}

extension Query {
    /// The name PostgreSQL gives the first column: a scalar subquery's column is named after it.
    var firstColumnName: String? {
        switch body {
        case .select(let select):
            guard case .expression(let expression, let alias)? = select.items.first else { return nil }
            return alias ?? Binder.columnName(expression)
        case .setOperation(let operation): return operation.operands[0].firstColumnName
        case .values: return "column1"
        }
    }
}
