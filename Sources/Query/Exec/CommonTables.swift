import VireoStorage

/// WITH queries: their rows shared by every reference, and recursive queries.
enum CommonTables {
    /// A WITH query's rows. Read once, they stream from its plan (so a LIMIT above stops
    /// even an endless recursion); read more often, they are computed once and kept.
    static func scan(_ table: CommonTable, _ context: ExecutionContext, _ path: String, _ emit: PlanExecutor.Emit) throws -> Bool {
        if table.references <= 1 || table.isCorrelated { return try PlanExecutor.run(table.plan, context, path: path, emit) }
        let key = ObjectIdentifier(table)
        let rows: [[Value]]
        if let cached = context.cache.rows[key] {
            rows = cached
        } else {
            rows = try PlanExecutor.materialize(table.plan, context, path, for: .commonTable)
            context.cache.rows[key] = rows
        }
        for row in rows {
            try context.checkCancel()
            if !(try emit(row)) { return false }
        }
        return true
    }

    /// The previous iteration's rows, for the recursive term.
    static func workingTable(_ table: CommonTable, _ context: ExecutionContext, _ emit: PlanExecutor.Emit) throws -> Bool {
        for row in context.cache.workingTables[ObjectIdentifier(table)] ?? [] {
            try context.checkCancel()
            if !(try emit(row)) { return false }
        }
        return true
    }

    /// Runs the anchor, then the recursive term over the rows the last step added, until a
    /// step adds none. UNION drops rows already produced. Every row produced counts against
    /// work_mem and is never given back, so a recursion that does not end fails with 54000
    /// (or at statement_timeout, or when cancelled) instead of running forever.
    static func recursiveUnion(_ table: CommonTable, anchor: PlanNode, recursive: PlanNode, all: Bool,
                               _ context: ExecutionContext, _ path: String, _ emit: PlanExecutor.Emit) throws -> Bool {
        var seen = Set<[GroupKey]>()
        var working: [[Value]] = []
        var stopped = false
        let collect: PlanExecutor.Emit = { row in
            try context.checkCancel()
            if !all { guard seen.insert(row.map(GroupKey.init)).inserted else { return true } }
            try context.workMemory.charge(row, for: .recursion)
            working.append(row)
            if !(try emit(row)) { stopped = true; return false }
            return true
        }
        try PlanExecutor.run(anchor, context, path: path + ".0", collect)
        let key = ObjectIdentifier(table)
        while !stopped && !working.isEmpty {
            try context.checkCancel()
            context.cache.workingTables[key] = working
            working = []
            try PlanExecutor.run(recursive, context, path: path + ".1", collect)
        }
        context.cache.workingTables[key] = nil
        return !stopped
    }
}
