import VireoStorage

/// pgvector's distance functions and vector arithmetic, on pairs of vectors.
public enum VectorMath {
    public static func l2Distance(_ a: [Float], _ b: [Float]) throws -> Double {
        try VectorText.checkSameDimensions(a, b)
        var sum: Float = 0
        for index in a.indices {
            let difference = a[index] - b[index]
            sum += difference * difference
        }
        return Double(sum).squareRoot()
    }

    public static func innerProduct(_ a: [Float], _ b: [Float]) throws -> Double {
        try VectorText.checkSameDimensions(a, b)
        var sum: Float = 0
        for index in a.indices { sum += a[index] * b[index] }
        return Double(sum)
    }

    /// 1 − cosine similarity; NaN when either vector is zero (as pgvector).
    public static func cosineDistance(_ a: [Float], _ b: [Float]) throws -> Double {
        try VectorText.checkSameDimensions(a, b)
        var (dot, normA, normB): (Float, Float, Float) = (0, 0, 0)
        for index in a.indices {
            dot += a[index] * b[index]
            normA += a[index] * a[index]
            normB += b[index] * b[index]
        }
        let similarity = Double(dot) / (Double(normA) * Double(normB)).squareRoot()
        if similarity.isNaN { return .nan }
        return 1 - min(1, max(-1, similarity))
    }

    public static func l1Distance(_ a: [Float], _ b: [Float]) throws -> Double {
        try VectorText.checkSameDimensions(a, b)
        var sum: Float = 0
        for index in a.indices { sum += abs(a[index] - b[index]) }
        return Double(sum)
    }

    public static func norm(_ a: [Float]) -> Double {
        var sum: Double = 0
        for value in a { sum += Double(value) * Double(value) }
        return sum.squareRoot()
    }

    public static func normalized(_ a: [Float]) -> [Float] {
        let length = norm(a)
        guard length > 0 else { return a }
        return a.map { Float(Double($0) / length) }
    }

    /// Element-wise `+ - *`, rejecting overflow as pgvector does.
    public static func elementwise(_ a: [Float], _ b: [Float], _ operation: (Float, Float) -> Float) throws -> [Float] {
        try VectorText.checkSameDimensions(a, b)
        let result = zip(a, b).map(operation)
        for (index, value) in result.enumerated() where value.isInfinite {
            _ = index
            throw VireoError(.dataException, "value out of range: overflow")
        }
        return result
    }
}
