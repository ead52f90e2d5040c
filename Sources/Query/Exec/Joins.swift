import VireoStorage

/// Inner, left, right and full joins: a hash join for equality conditions, nested loops
/// otherwise. The right side is held; RIGHT and FULL joins remember which of its rows
/// matched and emit the others, NULL-extended, after the left side is done.
enum Joins {
    static func nestedLoop(_ left: PlanNode, _ right: PlanNode, _ spec: JoinSpec, _ context: ExecutionContext,
                           _ path: String, _ emit: PlanExecutor.Emit) throws -> Bool {
        let rightRows = try PlanExecutor.materialize(right, context, path + ".1", for: .joining)
        var rightMatched = [Bool](repeating: false, count: spec.keepsRight ? rightRows.count : 0)
        let completed = try PlanExecutor.run(left, context, path: path + ".0") { leftRow in
            var matched = false
            for (index, rightRow) in rightRows.enumerated() {
                try context.checkCancel()
                let joined = leftRow + rightRow
                if let condition = spec.condition, !(try Evaluator.holds(condition, joined, context)) { continue }
                matched = true
                if spec.keepsRight { rightMatched[index] = true }
                if !(try emit(joined)) { return false }
            }
            return try emitUnmatched(matched, leftRow, spec, emit)
        }
        return try completed && emitUnmatchedRight(rightRows, rightMatched, spec, emit)
    }

    static func hash(_ left: PlanNode, _ right: PlanNode, _ spec: JoinSpec, _ leftKeys: [BoundExpression],
                     _ rightKeys: [BoundExpression], _ context: ExecutionContext, _ path: String,
                     _ emit: PlanExecutor.Emit) throws -> Bool {
        var table: [[GroupKey]: [Int]] = [:]
        let rightRows = try PlanExecutor.materialize(right, context, path + ".1", for: .joining)
        for (index, row) in rightRows.enumerated() {
            try context.checkCancel()
            let key = try rightKeys.map { try Evaluator.evaluate($0, row, context) }
            if key.contains(where: \.isNull) { continue }  // NULL never equals anything
            try context.workMemory.charge(key, for: .joining)  // the hash table's copy of the key
            table[key.map(GroupKey.init), default: []].append(index)
        }
        var rightMatched = [Bool](repeating: false, count: spec.keepsRight ? rightRows.count : 0)
        let completed = try PlanExecutor.run(left, context, path: path + ".0") { leftRow in
            let key = try leftKeys.map { try Evaluator.evaluate($0, leftRow, context) }
            var matched = false
            if !key.contains(where: \.isNull) {
                for index in table[key.map(GroupKey.init)] ?? [] {
                    try context.checkCancel()
                    let joined = leftRow + rightRows[index]
                    if let condition = spec.condition, !(try Evaluator.holds(condition, joined, context)) { continue }
                    matched = true
                    if spec.keepsRight { rightMatched[index] = true }
                    if !(try emit(joined)) { return false }
                }
            }
            return try emitUnmatched(matched, leftRow, spec, emit)
        }
        return try completed && emitUnmatchedRight(rightRows, rightMatched, spec, emit)
    }

    /// LATERAL: the right side runs for each left row, with that row as its enclosing row;
    /// what it held is given back to work_mem before the next.
    static func lateral(_ left: PlanNode, _ right: PlanNode, _ spec: JoinSpec, _ context: ExecutionContext,
                        _ path: String, _ emit: PlanExecutor.Emit) throws -> Bool {
        try PlanExecutor.run(left, context, path: path + ".0") { leftRow in
            let usedBytesBefore = context.workMemory.usedBytes
            defer { context.workMemory.release(bytes: context.workMemory.usedBytes - usedBytesBefore) }
            let rightRows = try PlanExecutor.materialize(right, context.nested(outer: leftRow), for: .joining)
            var matched = false
            for rightRow in rightRows {
                try context.checkCancel()
                let joined = leftRow + rightRow
                if let condition = spec.condition, !(try Evaluator.holds(condition, joined, context)) { continue }
                matched = true
                if !(try emit(joined)) { return false }
            }
            return try emitUnmatched(matched, leftRow, spec, emit)
        }
    }

    private static func emitUnmatched(_ matched: Bool, _ leftRow: [Value], _ spec: JoinSpec,
                                      _ emit: PlanExecutor.Emit) throws -> Bool {
        guard !matched, spec.keepsLeft else { return true }
        return try emit(leftRow + Array(repeating: .null, count: spec.rightWidth))
    }

    private static func emitUnmatchedRight(_ rightRows: [[Value]], _ matched: [Bool], _ spec: JoinSpec,
                                           _ emit: PlanExecutor.Emit) throws -> Bool {
        guard spec.keepsRight else { return true }
        let nulls = [Value](repeating: .null, count: spec.leftWidth)
        for (index, row) in rightRows.enumerated() where !matched[index] {
            if !(try emit(nulls + row)) { return false }
        }
        return true
    }
}

/// UNION, INTERSECT, EXCEPT (with or without ALL).
enum SetOperations {
    static func run(_ kind: SetOperation.Kind, _ all: Bool, _ left: PlanNode, _ right: PlanNode,
                    _ context: ExecutionContext, _ path: String, _ emit: PlanExecutor.Emit) throws -> Bool {
        let leftRows = try PlanExecutor.materialize(left, context, path + ".0", for: .setOperation)
        let rightRows = try PlanExecutor.materialize(right, context, path + ".1", for: .setOperation)
        var rightCounts: [[GroupKey]: Int] = [:]
        for row in rightRows {
            try context.workMemory.charge(row, for: .setOperation)  // the key's copy of the row
            rightCounts[row.map(GroupKey.init), default: 0] += 1
        }
        var emitted = Set<[GroupKey]>()
        let candidates = kind == .union ? leftRows + rightRows : leftRows
        for row in candidates {
            try context.checkCancel()
            let key = row.map(GroupKey.init)
            switch kind {
            case .union: break
            case .intersect, .except:
                let inRight = (rightCounts[key] ?? 0) > 0
                if inRight != (kind == .intersect) { continue }
                if all && kind == .intersect { rightCounts[key]! -= 1 }
            }
            if !all {
                guard emitted.insert(key).inserted else { continue }
                try context.workMemory.charge(row, for: .setOperation)
            }
            if !(try emit(row)) { return false }
        }
        return true
    }
}
