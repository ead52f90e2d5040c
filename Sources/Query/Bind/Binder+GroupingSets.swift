import VireoStorage

/// GROUP BY as PostgreSQL expands it: the distinct grouping expressions (the keys), and the
/// grouping sets, each the positions of the keys it groups by.
struct GroupingExpansion {
    /// PostgreSQL's limits: more sets is 54001, a CUBE of more elements 54011.
    static let setsMax = 4096
    static let cubeElementsMax = 12

    var keys: [SQLExpression] = []
    /// nil for a plain GROUP BY list (one set of every key), which the executor groups in
    /// one hash table.
    var sets: [[Int]]?

    /// `sameKey` tells two spellings of one key apart from two keys (`a` and `t.a`);
    /// `resolve` turns a position or an output name into the expression it stands for.
    init(_ elements: [GroupingElement], distinct: Bool, resolve: (SQLExpression) throws -> SQLExpression,
         sameKey: (SQLExpression, SQLExpression) throws -> Bool) throws {
        var keys: [SQLExpression] = []
        func position(_ expression: SQLExpression) throws -> Int {
            let resolved = try resolve(expression)
            if let found = try keys.firstIndex(where: { try sameKey($0, resolved) }) { return found }
            keys.append(resolved)
            return keys.count - 1
        }
        // `(a, b)` is one composite element: grouped together or not at all.
        func composite(_ expression: SQLExpression) throws -> [Int] {
            if case .row(let items) = expression { return try items.map(position) }
            return [try position(expression)]
        }
        func sets(_ element: GroupingElement) throws -> [[Int]] {
            switch element {
            case .expression(let expression): return [try composite(expression)]
            case .empty: return [[]]
            case .rollup(let items):
                let parts = try items.map(composite)
                return (0...parts.count).reversed().map { Array(parts.prefix($0).joined()) }
            case .cube(let items):
                guard items.count <= Self.cubeElementsMax else {
                    throw VireoError(.tooManyColumns, "CUBE is limited to \(Self.cubeElementsMax) elements")
                }
                let parts = try items.map(composite)
                return (0..<(1 << parts.count)).reversed().map { mask in
                    parts.indices.filter { mask & (1 << (parts.count - 1 - $0)) != 0 }.flatMap { parts[$0] }
                }
            case .sets(let elements):
                let expanded = try elements.flatMap(sets)
                guard expanded.count <= Self.setsMax else { throw Self.tooMany }
                return expanded
            }
        }
        var product: [[Int]] = [[]]
        var plain = true
        for element in elements {
            if case .expression = element {} else { plain = false }
            let next = try sets(element)
            guard product.count * next.count <= Self.setsMax else { throw Self.tooMany }
            product = product.flatMap { left in next.map { Self.union(left, $0) } }
        }
        if distinct { product = Self.withoutDuplicates(product) }
        self.keys = keys
        // `GROUP BY a, (b, c)` and `GROUP BY ()` group as a plain list does.
        self.sets = plain || (product.count == 1 && product[0].count == keys.count) ? nil : product
    }

    private static var tooMany: VireoError {
        VireoError(.statementTooComplex, "too many grouping sets present (maximum \(setsMax))")
    }

    /// The keys of `left` then those of `right` not in it (a key twice in a set is one key).
    private static func union(_ left: [Int], _ right: [Int]) -> [Int] {
        var result = left
        for key in right where !result.contains(key) { result.append(key) }
        return result
    }

    /// `GROUP BY DISTINCT`: each set once, sets being equal when they hold the same keys.
    private static func withoutDuplicates(_ sets: [[Int]]) -> [[Int]] {
        var seen = Set<[Int]>()
        return sets.filter { seen.insert($0.sorted()).inserted }
    }

    /// The keys every set groups by: only these determine other columns (a grouped primary
    /// key), as in PostgreSQL, since in another set's rows the key is NULL.
    var commonKeys: Set<Int> {
        guard let sets else { return Set(keys.indices) }
        return sets.dropFirst().reduce(Set(sets.first ?? [])) { $0.intersection($1) }
    }
}

extension Binder {
    /// GROUPING's arguments and limit, as PostgreSQL checks them.
    static let groupingArgumentsMax = 31

    /// `grouping(e1, …, en)`: a bit per argument, the first the most significant, set when the
    /// row's grouping set does not group by it. Each argument must be a GROUP BY key.
    func groupingCall(_ call: FunctionCall, _ context: AggregateContext) throws -> Typed {
        guard !call.star, !call.distinct, call.filter == nil, call.orderBy.isEmpty, call.withinGroup.isEmpty,
              call.argumentNames.isEmpty, !call.arguments.isEmpty else {
            throw VireoError(.syntaxError, "GROUPING takes a list of grouping expressions only")
        }
        guard call.arguments.count <= Self.groupingArgumentsMax else {
            throw VireoError(.tooManyArguments, "GROUPING must have fewer than \(Self.groupingArgumentsMax + 1) arguments")
        }
        let keys = try call.arguments.map { argument in
            guard let key = try groupKeyPosition(argument, context) else {
                throw VireoError(.groupingError, "arguments to GROUPING must be grouping expressions of the associated query level")
            }
            return key
        }
        return appendCall(AggregateCall(function: .grouping, argument: nil, distinct: false, groupingKeys: keys), type: .integer, context)
    }

    /// The position of `expression` among the GROUP BY keys: the same expression, or a column
    /// the same input column as a key (`emp.dept_id` grouped by `dept_id`); nil if none.
    func groupKeyPosition(_ expression: SQLExpression, _ context: AggregateContext) throws -> Int? {
        if let position = context.groupBy.firstIndex(of: expression) { return position }
        guard case .column(let reference) = expression, let (position, _) = try context.inputScope.resolve(reference) else {
            return nil
        }
        return try keyPosition(ofInputColumn: position, context)
    }

    /// The key that is the input column at `position`, if one is.
    func keyPosition(ofInputColumn position: Int, _ context: AggregateContext) throws -> Int? {
        try context.groupBy.firstIndex { key in
            guard case .column(let grouped) = key else { return false }
            return try context.inputScope.resolve(grouped)?.0 == position
        }
    }

    /// Whether two GROUP BY expressions are one key: equal, or columns naming one input column.
    func isSameGroupKey(_ a: SQLExpression, _ b: SQLExpression, _ scope: Scope) throws -> Bool {
        if a == b { return true }
        guard case .column(let first) = a, case .column(let second) = b,
              let (position, _) = try scope.resolve(first) else { return false }
        return try scope.resolve(second)?.0 == position
    }
}
