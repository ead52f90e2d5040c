import VireoStorage

/// While binding a select list and ORDER BY that may call window functions: the calls
/// found so far. A call binds to a placeholder column, resolved to its place after the
/// input row once the input's width is known (see `resolvingWindowColumns`).
final class WindowContext {
    static let placeholderBase = 1 << 40
    let named: [String: WindowSpecification]
    var calls: [WindowCall] = []
    var types: [SQLType] = []

    init(named: [String: WindowSpecification]) { self.named = named }
}

extension Binder {
    /// Starts collecting window calls for a SELECT; throws for a WINDOW name given twice.
    func windowContext(for select: Select) throws -> WindowContext {
        var named: [String: WindowSpecification] = [:]
        for window in select.windows {
            guard named[window.name] == nil else {
                throw VireoError(.windowingError, "window \"\(window.name)\" is already defined")
            }
            named[window.name] = try resolve(window.specification, named)
        }
        return WindowContext(named: named)
    }

    /// Output items with window placeholders replaced by the columns the window node appends
    /// after an input row of `inputWidth`.
    static func resolvingWindowColumns(_ items: [OutputItem], inputWidth: Int) -> [OutputItem] {
        items.map { item in
            var resolved = item
            resolved.expression = item.expression.mapColumns { index in
                index >= WindowContext.placeholderBase ? .column(inputWidth + index - WindowContext.placeholderBase) : .column(index)
            }
            return resolved
        }
    }

    /// `f(…) OVER …` as a column of the window node's output.
    func windowFunction(_ call: FunctionCall, _ over: WindowSpecification, _ scope: Scope) throws -> Typed {
        guard let context = windowContext else {
            throw VireoError(.windowingError, "window functions are not allowed here")
        }
        windowContext = nil
        defer { windowContext = context }
        let specification = try resolve(over, context.named)
        let (kind, arguments, type) = try windowKind(call, scope)
        let partitionBy = try specification.partitionBy.map { try bind($0, scope).expression }
        let orderBy = try specification.orderBy.map { item in
            SortKey(expression: try bind(item.expression, scope).expression, descending: item.descending, nullsFirst: item.effectiveNullsFirst)
        }
        let frame = try boundFrame(specification, scope)
        let sortKey = (specification.partitionBy.map(\.sql) + ["|"] + specification.orderBy.map(\.sql)).joined(separator: ",")
        context.calls.append(WindowCall(kind: kind, arguments: arguments, partitionBy: partitionBy, orderBy: orderBy,
                                        frame: frame, sortKey: sortKey))
        context.types.append(type)
        return (.column(WindowContext.placeholderBase + context.calls.count - 1), type)
    }

    /// A window function or an aggregate used as one, its arguments and result type.
    private func windowKind(_ call: FunctionCall, _ scope: Scope) throws -> (WindowCall.Kind, [BoundExpression], SQLType) {
        if let function = WindowCall.Function(rawValue: call.name) {
            guard !call.star, !call.distinct, call.filter == nil else {
                throw VireoError(.syntaxError, "\(call.name) is not an aggregate: * , DISTINCT and FILTER do not apply")
            }
            var typed = try call.arguments.map { try bind($0, scope) }
            if typed.count == 3 { (typed[0], typed[2]) = try valueAndDefault(typed[0], typed[2], call) }
            return (.function(function), try windowArguments(function, typed, call), windowResultType(function, typed))
        }
        if AggregateCall.Function(rawValue: call.name) != nil {
            if call.distinct { throw VireoError(.featureNotSupported, "DISTINCT is not implemented for window functions") }
            let (aggregate, type) = try aggregateCall(call, scope)
            return (.aggregate(aggregate), [], type)
        }
        throw VireoError(.wrongObjectType, "OVER specified, but \(call.name) is not a window function nor an aggregate function")
    }

    private func windowArguments(_ function: WindowCall.Function, _ typed: [Typed], _ call: FunctionCall) throws -> [BoundExpression] {
        let counts: ClosedRange<Int>
        switch function {
        case .rowNumber, .rank, .denseRank, .percentRank, .cumeDist: counts = 0...0
        case .ntile, .firstValue, .lastValue: counts = 1...1
        case .nthValue: counts = 2...2
        case .lag, .lead: counts = 1...3
        }
        guard counts.contains(typed.count) else {
            let types = typed.map { $0.type == .unknown ? "unknown" : "\($0.type)" }.joined(separator: ", ")
            throw VireoError(.undefinedFunction, "function \(call.name)(\(types)) does not exist")
        }
        return try typed.enumerated().map { position, argument in
            switch (function, position) {
            case (.ntile, 0), (.nthValue, 1), (.lag, 1), (.lead, 1): return try coerce(argument, to: .int)
            case (_, 2): return try unify(typed[0], argument).1.expression
            case (_, 0) where argument.type == .unknown: return try coerce(argument, to: .text)
            default: return argument.expression
            }
        }
    }

    /// lag/lead's value and default in one type, as PostgreSQL's anycompatible: an unknown
    /// literal takes the other's type, integer and double become double, others must agree.
    private func valueAndDefault(_ value: Typed, _ fallback: Typed, _ call: FunctionCall) throws -> (Typed, Typed) {
        if value.type == .unknown && fallback.type == .unknown {
            return ((try coerce(value, to: .text), .text), (try coerce(fallback, to: .text), .text))
        }
        if value.type == .unknown || fallback.type == .unknown || value.type == fallback.type { return try unify(value, fallback) }
        if value.type.isNumeric && fallback.type.isNumeric {
            let common = SQLType.common([value.type, fallback.type])
            return ((.cast(value.expression, common), common), (.cast(fallback.expression, common), common))
        }
        throw VireoError(.undefinedFunction, "function \(call.name)(\(value.type), integer, \(fallback.type)) does not exist")
    }

    private func windowResultType(_ function: WindowCall.Function, _ typed: [Typed]) -> SQLType {
        switch function {
        case .rowNumber, .rank, .denseRank, .ntile: .int
        case .percentRank, .cumeDist: .double
        default: typed.first.map { $0.type == .unknown ? .text : $0.type } ?? .unknown
        }
    }

    /// `OVER (w …)` on top of the WINDOW clause's `w`, by PostgreSQL's rules: the new window
    /// may add ORDER BY and a frame, never replace what `w` has.
    func resolve(_ specification: WindowSpecification, _ named: [String: WindowSpecification]) throws -> WindowSpecification {
        guard let name = specification.name else { return specification }
        guard var base = named[name] else { throw VireoError(.undefinedObject, "window \"\(name)\" does not exist") }
        let bare = specification.partitionBy.isEmpty && specification.orderBy.isEmpty && specification.frame == nil
        if bare { return base }
        if !specification.partitionBy.isEmpty {
            throw VireoError(.windowingError, "cannot override PARTITION BY clause of window \"\(name)\"")
        }
        if !specification.orderBy.isEmpty {
            guard base.orderBy.isEmpty else { throw VireoError(.windowingError, "cannot override ORDER BY clause of window \"\(name)\"") }
            base.orderBy = specification.orderBy
        }
        if base.frame != nil { throw VireoError(.windowingError, "cannot copy window \"\(name)\" because it has a frame clause") }
        base.frame = specification.frame
        base.name = nil
        return base
    }

    private func boundFrame(_ specification: WindowSpecification, _ scope: Scope) throws -> BoundFrame {
        guard let frame = specification.frame else { return .default }
        switch (frame.start, frame.end) {
        case (.unboundedFollowing, _): throw VireoError(.windowingError, "frame start cannot be UNBOUNDED FOLLOWING")
        case (_, .unboundedPreceding): throw VireoError(.windowingError, "frame end cannot be UNBOUNDED PRECEDING")
        case (.currentRow, .preceding): throw VireoError(.windowingError, "frame starting from current row cannot have preceding rows")
        case (.following, .preceding), (.following, .currentRow):
            throw VireoError(.windowingError, "frame starting from following row cannot have preceding rows")
        default: break
        }
        let hasOffset = !frame.expressions.isEmpty
        if frame.mode == .groups, specification.orderBy.isEmpty {
            throw VireoError(.windowingError, "GROUPS mode requires an ORDER BY clause")
        }
        if frame.mode == .range, hasOffset, specification.orderBy.count != 1 {
            throw VireoError(.windowingError, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
        }
        let offsetType: SQLType = frame.mode != .range ? .int : (try specification.orderBy.first.map { try bind($0.expression, scope).type } ?? .int)
        if frame.mode == .range, hasOffset, !offsetType.isNumeric {
            throw VireoError(.featureNotSupported, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type \(offsetType)")
        }
        func bound(_ bound: WindowFrame.Bound) throws -> BoundFrame.Bound {
            switch bound {
            case .unboundedPreceding: return .unboundedPreceding
            case .unboundedFollowing: return .unboundedFollowing
            case .currentRow: return .currentRow
            case .preceding(let offset): return .preceding(try coerce(bind(offset, Scope()), to: offsetType))
            case .following(let offset): return .following(try coerce(bind(offset, Scope()), to: offsetType))
            }
        }
        return BoundFrame(mode: frame.mode, start: try bound(frame.start), end: try bound(frame.end), exclusion: frame.exclusion)
    }
}
