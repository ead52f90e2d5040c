/// Multi-dimensional arrays are nested `.array` values: an n-dimensional array is the array
/// of its (n-1)-dimensional sub-arrays, in row-major order as PostgreSQL prints them
/// (`{{1,2},{3,4}}` is `.array([.array([1, 2]), .array([3, 4])])`). An element type is never
/// an array, so an `.array` inside an array is always a sub-array, never an element.
///
/// Invariants (the query layer builds only such values; the record codec stores the nesting
/// as nested records, so no format change was needed):
///   1. Rectangular: the sub-arrays of one array all have the same dimensions.
///   2. No empty sub-array: an empty array is `.array([])` whatever its declared dimensions.
///   3. Lower bounds are 1 in every dimension.
extension Value {
    /// The length of each dimension, outermost first; empty for an empty array or a non-array.
    public var arrayDimensions: [Int] {
        var dimensions: [Int] = []
        var level = self
        while case .array(let elements) = level, !elements.isEmpty {
            dimensions.append(elements.count)
            level = elements[0]
        }
        return dimensions
    }

    /// The elements in storage order (row-major), sub-arrays flattened; nil for a non-array.
    public var arrayLeaves: [Value]? {
        guard case .array(let elements) = self else { return nil }
        guard elements.contains(where: \.isArray) else { return elements }
        var leaves: [Value] = []
        for element in elements {
            if let inner = element.arrayLeaves { leaves += inner } else { leaves.append(element) }
        }
        return leaves
    }

    /// Whether the value is an array (of any dimensions).
    public var isArray: Bool {
        if case .array = self { return true }
        return false
    }

    /// The array with `transform` applied to each element (not to sub-arrays), its shape kept.
    public func mappingArrayLeaves(_ transform: (Value) throws -> Value) rethrows -> Value {
        guard case .array(let elements) = self else { return try transform(self) }
        return .array(try elements.map { try $0.mappingArrayLeaves(transform) })
    }

    /// An array of `dimensions` holding `leaves` in row-major order; `.array([])` when a
    /// dimension is 0. `leaves.count` must be the product of the dimensions.
    public static func shapedArray(_ leaves: some Collection<Value>, dimensions: some Collection<Int>) -> Value {
        guard let first = dimensions.first, first > 0, !leaves.isEmpty else { return .array([]) }
        let inner = dimensions.dropFirst()
        guard !inner.isEmpty else { return .array(Array(leaves)) }
        let stride = leaves.count / first
        return .array((0..<first).map { row in
            let start = leaves.index(leaves.startIndex, offsetBy: row * stride)
            let end = leaves.index(start, offsetBy: stride)
            return shapedArray(leaves[start..<end], dimensions: inner)
        })
    }
}
