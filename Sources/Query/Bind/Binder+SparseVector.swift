import VireoStorage

/// pgvector's sparsevec in expressions. Its values are texts (`SparseVector`), so what
/// tells them from text is the type bound here: a distance or comparison with a sparsevec
/// on either side makes both sides sparsevecs (vector and halfvec cast to it implicitly in
/// pgvector), pgvector's functions take their sparsevec forms, and a cast to a dense type
/// decodes the text.
extension Binder {
    /// An operand of a sparsevec operator or function: an untyped literal or parameter is
    /// a sparsevec, a vector or halfvec is cast to one; 42883 for any other type.
    func sparseOperand(_ operand: Typed, _ describe: () -> String) throws -> BoundExpression {
        switch operand.type {
        case .unknown: return try coerce(operand, to: .sparsevec(nil))
        case .sparsevec: return operand.expression
        case let type where type.isVector: return .cast(operand.expression, .sparsevec(nil))
        default: throw VireoError.undefinedOperator(describe())
        }
    }

    /// `<->`, `<#>`, `<=>`, `<+>` with a sparsevec on either side; nil otherwise.
    func sparseDistance(_ op: BinaryOperator, _ a: Typed, _ b: Typed) throws -> Typed? {
        guard a.type.isSparseVector || b.type.isSparseVector else { return nil }
        let describe = { "\(a.type.unconstrained) \(op.rawValue) \(b.type.unconstrained)" }
        return (.binary(op, try sparseOperand(a, describe), try sparseOperand(b, describe)), .double)
    }

    /// `=`, `<>`, `<`, … with a sparsevec on either side: pgvector's sparsevec_cmp against 0.
    func sparseComparison(_ op: BinaryOperator, _ a: Typed, _ b: Typed) throws -> Typed? {
        guard a.type.isSparseVector || b.type.isSparseVector else { return nil }
        let describe = { "\(a.type.unconstrained) \(op.rawValue) \(b.type.unconstrained)" }
        let compared = BoundExpression.function(SparseVectorFunctions.compare, [try sparseOperand(a, describe), try sparseOperand(b, describe)])
        return (.binary(op, compared, .constant(.int(0))), .bool)
    }

    /// l2_distance, inner_product, cosine_distance, l1_distance, l2_norm and l2_normalize
    /// of a sparsevec; nil for other calls.
    func sparseVectorFunction(_ name: String, _ arguments: [Typed]) throws -> Typed? {
        guard arguments.contains(where: { $0.type.isSparseVector }), let function = SparseVectorFunctions.byName[name],
              function.arity.contains(arguments.count) else { return nil }
        let describe = { "\(name)(\(arguments.map { $0.type.unconstrained.description }.joined(separator: ", ")))" }
        let bound = try arguments.map { try sparseOperand($0, describe) }
        return (.function(function, bound), function.resultType(arguments.map(\.type)))
    }

    /// A sparsevec cast to a vector or halfvec (its text decoded); nil for other casts.
    static func sparseToDense(_ typed: Typed, _ type: SQLType) -> BoundExpression? {
        guard typed.type.isSparseVector, type.isVector else { return nil }
        return .function(SparseVectorFunctions.toDense(type), [typed.expression])
    }

    /// A vector or halfvec, or a sparsevec of another declared dimension, made the
    /// sparsevec `type`; nil for other pairs.
    static func toSparse(_ typed: Typed, _ type: SQLType) -> BoundExpression? {
        guard type.isSparseVector, typed.type != type, typed.type.isVector || typed.type.isSparseVector && type != .sparsevec(nil) else {
            return nil
        }
        return .cast(typed.expression, type)
    }
}
