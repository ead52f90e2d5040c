import VireoStorage

/// pgvector's functions of sparsevecs, which the binder chooses when an argument is one
/// (`Binder.sparseVectorFunction`), and the cast from sparsevec to a dense type.
enum SparseVectorFunctions {
    /// The sparsevec a value holds (its canonical text).
    static func sparse(_ value: Value) throws -> SparseVector {
        guard case .text(let text) = value else {
            throw VireoError(.typeMismatch, "expected a sparsevec, got \(SQLType(of: value))")
        }
        return try SparseVector(parsing: text)
    }

    private static func distance(_ name: String, _ op: BinaryOperator, negated: Bool = false) -> ScalarFunction {
        ScalarFunction(name, 2...2, [.sparsevec(nil)], returns: .double) { arguments in
            let value = try sparse(arguments[0]).distance(op, sparse(arguments[1]))
            return .double(negated ? -value : value)
        }
    }

    /// The functions by name; each takes sparsevecs where the dense one takes vectors.
    static let byName: [String: ScalarFunction] = [
        "l2_distance": distance("l2_distance", .l2Distance),
        "inner_product": distance("inner_product", .negativeInnerProduct, negated: true),
        "cosine_distance": distance("cosine_distance", .cosineDistance),
        "l1_distance": distance("l1_distance", .l1Distance),
        "l2_norm": ScalarFunction("l2_norm", 1...1, [.sparsevec(nil)], returns: .double) { .double(try sparse($0[0]).norm) },
        "l2_normalize": ScalarFunction("l2_normalize", 1...1, [.sparsevec(nil)], returns: .sparsevec(nil)) {
            .text(try sparse($0[0]).normalized().text)
        },
    ]

    /// pgvector's sparsevec_cmp (−1, 0, 1), which the comparison operators compare with 0.
    static let compare = ScalarFunction("sparsevec_cmp", 2...2, [.sparsevec(nil)], returns: .integer) { arguments in
        .int(Int64(try sparse(arguments[0]).compare(sparse(arguments[1]))))
    }

    /// The cast of a sparsevec to `target`, a vector or halfvec (of a dimension or any):
    /// pgvector's sparsevec_to_vector and sparsevec_to_halfvec.
    static func toDense(_ target: SQLType) -> ScalarFunction {
        ScalarFunction("sparsevec_to_\(target.unconstrained)", 1...1, [.sparsevec(nil)], returns: target) { arguments in
            let dense = try sparse(arguments[0]).dense
            return try Cast.convert(.vector(dense), to: target)
        }
    }
}
