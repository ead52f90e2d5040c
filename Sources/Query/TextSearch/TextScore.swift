import VireoStorage

/// `bm25(tsv, query [, k1 [, b]])`: a row's BM25 score (see BM25) against the statistics
/// of the table column `tsv` names. The function is made while binding, for that column:
/// its body reads the statement's data, through `ScalarFunction.contextBody`.
enum TextScore {
    static let name = "bm25"
    static let argumentCountRange = 2...4

    /// The function scoring `column` of `tableName`.
    static func function(table tableName: String, column: Int) -> ScalarFunction {
        var function = ScalarFunction(name, argumentCountRange, [.tsvector, .tsquery, .double], volatile: true, returns: .double) { _ in
            throw VireoError(.internalError, "bm25() evaluated without its statement's data")
        }
        function.contextBody = { arguments, context in
            if arguments.contains(where: \.isNull) { return .null }
            let parameters = try BM25.Parameters(k1: try Functions.double(arguments[2]), b: try Functions.double(arguments[3])).validated()
            let vector = try TSVector(parsing: Cast.textForm(arguments[0]))
            let terms = BM25.Terms(try TSQuery(parsing: Cast.textForm(arguments[1])))
            let statistics = try TextCorpusStatistics.load(table: tableName, column: column, context)
            return .double(try BM25.score(vector, terms, statistics, parameters, context.data))
        }
        return function
    }

    /// The call `function`'s arguments describe, if `expression` is a bm25() call: its
    /// column, query, k1 and b.
    static func call(_ expression: BoundExpression) -> (column: Int, query: BoundExpression, k1: BoundExpression, b: BoundExpression)? {
        guard case .function(let function, let arguments) = expression, function.name == name, function.contextBody != nil,
              arguments.count == 4, case .column(let column) = arguments[0] else { return nil }
        return (column, arguments[1], arguments[2], arguments[3])
    }
}

extension Binder {
    /// Binds `bm25(tsv, query [, k1 [, b]])`; `tsv` must be a tsvector column of a table in
    /// FROM, whose statistics (its gin index's, or counted from its rows) the score uses.
    func textScore(_ arguments: [Typed], _ scope: Scope) throws -> Typed {
        guard TextScore.argumentCountRange.contains(arguments.count) else {
            throw VireoError(.undefinedFunction, "function bm25(\(arguments.count) arguments) does not exist",
                             hint: "bm25(tsvector column, tsquery [, k1 [, b]])")
        }
        guard case .column(let position) = arguments[0].expression,
              let entry = scope.entries.first(where: { position >= $0.offset && position < $0.offset + $0.width }),
              let table = entry.table, position - entry.offset < table.columns.count, arguments[0].type == .tsvector else {
            throw VireoError(.featureNotSupported, "bm25() needs a tsvector column of a table as its first argument, for the table's statistics")
        }
        let query = try coerce(arguments[1], to: .tsquery)
        guard arguments[1].type == .unknown || arguments[1].type == .tsquery else {
            throw VireoError(.undefinedFunction, "function bm25(tsvector, \(arguments[1].type)) does not exist")
        }
        let defaults = BM25.Parameters()
        let k1 = arguments.count > 2 ? try convert(arguments[2], to: .double) : .constant(.double(defaults.k1))
        let b = arguments.count > 3 ? try convert(arguments[3], to: .double) : .constant(.double(defaults.b))
        let function = TextScore.function(table: table.name, column: position - entry.offset)
        return (.function(function, [arguments[0].expression, query, k1, b]), .double)
    }
}
