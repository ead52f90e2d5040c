import VireoStorage

/// OVERLAPS and date_bin: the overloads PostgreSQL chooses among by their arguments' types.
extension Binder {
    /// `overlaps(s1, e1, s2, e2)`, which `(s1, e1) OVERLAPS (s2, e2)` parses to. An end that
    /// is an interval is the period's length: the end is `start + length`, as PostgreSQL's
    /// SQL-language overloads compute it. All four endpoints take one type: time, or the
    /// widest of date, timestamp and timestamptz.
    func overlaps(_ call: FunctionCall, _ arguments: [Typed], _ scope: Scope) throws -> Typed {
        var endpoints = arguments
        for index in arguments.indices where index % 2 == 1 && arguments[index].type == .interval {
            endpoints[index] = try bind(.binary(.add, call.arguments[index - 1], call.arguments[index]), scope)
        }
        let known = endpoints.map(\.type).filter { $0 != .unknown }
        let type: SQLType
        if endpoints.count == 4, !known.isEmpty, known.allSatisfy({ $0 == .time }) {
            type = .time
        } else if endpoints.count == 4, known.allSatisfy(\.isDateTime) {
            type = known.contains(.timestamptz) || known.isEmpty ? .timestamptz : .timestamp
        } else {
            throw VireoError.undefinedFunction("pg_catalog.overlaps", arguments.map(\.type.description))
        }
        return (.function(Periods.overlaps, try endpoints.map { try convert($0, to: type) }), .bool)
    }

    /// `date_bin(stride, source, origin)`: of timestamps, unless either is a timestamptz
    /// (or neither type is known, timestamptz being PostgreSQL's preferred one).
    func dateBin(_ arguments: [Typed]) throws -> Typed {
        let known = arguments.dropFirst().map(\.type).filter { $0 != .unknown }
        guard arguments.count == 3, arguments[0].type == .interval || arguments[0].type == .unknown, known.allSatisfy(\.isDateTime) else {
            throw VireoError.undefinedFunction("date_bin", arguments.map(\.type.description))
        }
        let type: SQLType = known.isEmpty || known.contains(.timestamptz) ? .timestamptz : .timestamp
        let bound = [try coerce(arguments[0], to: .interval)] + (try arguments.dropFirst().map { try convert($0, to: type) })
        return (.function(Periods.dateBin, bound), type)
    }
}
