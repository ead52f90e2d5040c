import VireoStorage

/// `bm25(document, query [, k1 [, b]])`: a row's BM25 score (see BM25) against the statistics
/// of the documents: those of a tsvector column, or of the gin index whose key is the
/// expression `document` (`to_tsvector('english', body)`). The function is made while binding,
/// for that source: its body reads the statement's data, through `ScalarFunction.contextBody`.
enum TextScore {
    static let name = "bm25"
    static let argumentCountRange = 2...4

    /// Where a bm25 call's corpus statistics come from.
    enum Source: Hashable, Sendable {
        /// A tsvector column (its gin index's statistics, or counted from its rows).
        case column(Int)
        /// The gin index of this name, keyed on the call's document expression.
        case index(String)
    }

    /// The function scoring documents of `source` in `tableName`.
    static func function(table tableName: String, source: Source) -> ScalarFunction {
        var function = ScalarFunction(name, argumentCountRange, [.tsvector, .tsquery, .double], volatile: true, returns: .double) { _ in
            throw VireoError(.internalError, "bm25() evaluated without its statement's data")
        }
        function.contextBody = { arguments, context in
            if arguments.contains(where: \.isNull) { return .null }
            let parameters = try BM25.Parameters(k1: try Functions.double(arguments[2]), b: try Functions.double(arguments[3])).validated()
            let vector = try TSVector(parsing: Cast.textForm(arguments[0]))
            let terms = BM25.Terms(try TSQuery(parsing: Cast.textForm(arguments[1])))
            let statistics = try TextCorpusStatistics.load(table: tableName, source: source, context)
            return .double(try BM25.score(vector, terms, statistics, parameters, context.data))
        }
        return function
    }

    /// The call `function`'s arguments describe, if `expression` is a bm25() call: its
    /// document (a column or an expression over the row), query, k1 and b.
    static func call(_ expression: BoundExpression) -> (document: BoundExpression, query: BoundExpression, k1: BoundExpression, b: BoundExpression)? {
        guard case .function(let function, let arguments) = expression, function.name == name, function.contextBody != nil,
              arguments.count == 4 else { return nil }
        return (arguments[0], arguments[1], arguments[2], arguments[3])
    }

    /// The gin index of `table` (with BM25 statistics) whose key is `document`, an
    /// expression over the table's row. Not a partial index: its statistics would count only
    /// some of the rows.
    static func index(_ table: TableDefinition, document: BoundExpression) -> IndexDefinition? {
        guard let wanted = document.structuralKey else { return nil }
        return table.indexes.first { index in
            guard index.keepsTextStatistics, index.predicate == nil, let bound = try? IndexExpressions.shared.bound(index, table: table) else { return false }
            return bound.keys.first?.structuralKey == wanted
        }
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
        guard arguments[0].type == .tsvector, let (table, source) = textScoreSource(arguments[0].expression, scope) else {
            throw VireoError(.featureNotSupported, "bm25() needs as its first argument a tsvector column of a table, or an expression "
                + "a gin index of the table keys on (to_tsvector('english', body)), for the documents' statistics")
        }
        let query = try coerce(arguments[1], to: .tsquery)
        guard arguments[1].type == .unknown || arguments[1].type == .tsquery else {
            throw VireoError(.undefinedFunction, "function bm25(tsvector, \(arguments[1].type)) does not exist")
        }
        let defaults = BM25.Parameters()
        let k1 = arguments.count > 2 ? try convert(arguments[2], to: .double) : .constant(.double(defaults.k1))
        let b = arguments.count > 3 ? try convert(arguments[3], to: .double) : .constant(.double(defaults.b))
        let function = TextScore.function(table: table.name, source: source)
        return (.function(function, [arguments[0].expression, query, k1, b]), .double)
    }

    /// The table of FROM whose documents `document` is, and where their statistics come
    /// from: a tsvector column, or an expression over one table's row that a gin index keys on.
    private func textScoreSource(_ document: BoundExpression, _ scope: Scope) -> (TableDefinition, TextScore.Source)? {
        for entry in scope.entries {
            guard let table = entry.table else { continue }
            let columns = entry.offset..<(entry.offset + table.columns.count)
            if case .column(let position) = document {
                if columns.contains(position) { return (table, .column(position - entry.offset)) }
                continue
            }
            var inside = true
            let local = document.mapColumns { position in
                if !columns.contains(position) { inside = false }
                return .column(position - entry.offset)
            }
            if inside, let index = TextScore.index(table, document: local) { return (table, .index(index.name)) }
        }
        return nil
    }
}
