import VireoStorage

/// pgvector's text form of vectors: `[1,2,3]`, and the exact errors it gives for bad input.
public enum VectorText {
    /// pgvector's limit on dimensions.
    public static let dimensionsMax = 16_000

    /// Parses `[1, 2.5, -3e2]`. Whitespace is allowed around elements and brackets.
    public static func parse(_ text: String) throws -> [Float] {
        let bytes = Array(text.utf8)
        var position = skipSpaces(bytes, 0)
        guard position < bytes.count, bytes[position] == UInt8(ascii: "[") else {
            throw malformed(text, "Vector contents must start with \"[\".")
        }
        position += 1
        var elements: [Float] = []
        if let end = emptyVectorEnd(bytes, position) {
            try checkJunk(bytes, end, text)
            throw VireoError(.dataException, "vector must have at least 1 dimension")
        }
        while true {
            guard position < bytes.count else { throw malformed(text, "Unexpected end of input.") }
            if bytes[position] == UInt8(ascii: ",") { throw malformed(text, nil) }
            position = skipSpaces(bytes, position)
            guard position < bytes.count else { throw malformed(text, "Unexpected end of input.") }
            let start = position
            while position < bytes.count, !isSeparator(bytes[position]) { position += 1 }
            elements.append(try element(bytes[start..<position], text))
            position = skipSpaces(bytes, position)
            guard position < bytes.count else { throw malformed(text, "Unexpected end of input.") }
            if bytes[position] == UInt8(ascii: "]") { break }
            guard bytes[position] == UInt8(ascii: ",") else { throw invalid(text) }
            position += 1
        }
        try checkJunk(bytes, position + 1, text)
        guard elements.count <= dimensionsMax else {
            throw VireoError(.limitExceeded, "vector cannot have more than \(dimensionsMax) dimensions")
        }
        return elements
    }

    /// The text form, with each element in its shortest exact spelling (`[1,2.5,1e+38]`).
    public static func format(_ vector: [Float]) -> String {
        "[" + vector.map(formatElement).joined(separator: ",") + "]"
    }

    static func formatElement(_ element: Float) -> String {
        var text = element.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }

    /// pgvector's array_to_vector: an array of numbers as a vector, refusing NULL elements
    /// (22004), too few or too many elements, a count other than the declared dimension, and
    /// elements that are NaN or infinite as float4 (a double beyond float4's range).
    public static func fromArray(_ elements: [Value], dimension: Int?) throws -> [Float] {
        if elements.contains(where: \.isNull) { throw VireoError(.nullValueNotAllowed, "array must not contain nulls") }
        if elements.isEmpty { throw VireoError(.dataException, "vector must have at least 1 dimension") }
        guard elements.count <= dimensionsMax else {
            throw VireoError(.limitExceeded, "vector cannot have more than \(dimensionsMax) dimensions")
        }
        if let dimension { try check(count: elements.count, dimension: dimension) }
        let vector = try elements.map { element -> Float in
            switch element {
            case .int(let number): return Float(number)
            case .double(let number): return Float(number)
            case .numeric(let number): return Float(number.double)
            default: throw VireoError(.dataException, "unsupported array type")
            }
        }
        try checkFinite(vector)
        return vector
    }

    /// Checks a vector against a declared dimension (pgvector's typmod check).
    public static func check(_ vector: [Float], dimension: Int) throws {
        try check(count: vector.count, dimension: dimension)
    }

    static func check(count: Int, dimension: Int) throws {
        guard count == dimension else {
            throw VireoError(.dataException, "expected \(dimension) dimensions, not \(count)")
        }
    }

    /// Checks that two vectors have the same dimension before an operation on both.
    public static func checkSameDimensions(_ a: [Float], _ b: [Float]) throws {
        guard a.count == b.count else {
            throw VireoError(.dataException, "different vector dimensions \(a.count) and \(b.count)")
        }
    }

    /// Checks elements computed from a vector for NaN and infinity (pgvector rejects both).
    public static func checkFinite(_ vector: [Float]) throws {
        // A float is NaN or infinite when its exponent bits are all set: the largest
        // magnitude's bits tell, in a loop without branches that the compiler vectorises
        // (every parameter vector of a query passes here).
        var largestMagnitude: UInt32 = 0
        for value in vector { largestMagnitude = max(largestMagnitude, value.bitPattern & 0x7FFF_FFFF) }
        guard largestMagnitude >= 0x7F80_0000 else { return }
        if vector.first(where: { !$0.isFinite })?.isNaN == true { throw VireoError(.dataException, "NaN not allowed in vector") }
        throw VireoError(.dataException, "infinite value not allowed in vector")
    }

    private static func element(_ bytes: ArraySlice<UInt8>, _ text: String) throws -> Float {
        guard let value = Float(String(decoding: bytes, as: UTF8.self)), !bytes.isEmpty else { throw invalid(text) }
        if value.isNaN { throw VireoError(.dataException, "NaN not allowed in vector") }
        if value.isInfinite { throw VireoError(.dataException, "infinite value not allowed in vector") }
        return value
    }

    private static func emptyVectorEnd(_ bytes: [UInt8], _ position: Int) -> Int? {
        let next = skipSpaces(bytes, position)
        return next < bytes.count && bytes[next] == UInt8(ascii: "]") ? next + 1 : nil
    }

    private static func checkJunk(_ bytes: [UInt8], _ position: Int, _ text: String) throws {
        guard skipSpaces(bytes, position) == bytes.count else {
            throw malformed(text, "Junk after closing right brace.")
        }
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || isSpace(byte)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private static func skipSpaces(_ bytes: [UInt8], _ start: Int) -> Int {
        var position = start
        while position < bytes.count, isSpace(bytes[position]) { position += 1 }
        return position
    }

    private static func malformed(_ text: String, _ detail: String?) -> VireoError {
        VireoError(.invalidTextRepresentation, "malformed vector literal: \"\(text)\"" + (detail.map { " (\($0))" } ?? ""))
    }

    private static func invalid(_ text: String) -> VireoError {
        VireoError(.invalidTextRepresentation, "invalid input syntax for type vector: \"\(text)\"")
    }
}

/// pgvector's halfvec: a vector of half-precision floats. Vireo keeps its values as float32
/// vectors that a Float16 holds exactly; these are the conversions into that form.
public enum HalfVector {
    /// The largest dimension of a halfvec HNSW index in pgvector; Vireo's index takes it too.
    public static let indexDimensionsMax = 4_000

    /// `vector` rounded to half precision (to nearest, ties to even, as pgvector's
    /// Float4ToHalf): 22003 naming the element when it is beyond a half's range (±65504);
    /// tiny elements become zero. With `dimension`, pgvector's typmod check first.
    public static func rounded(_ vector: [Float], dimension: Int?) throws -> [Float] {
        if let dimension { try VectorText.check(vector, dimension: dimension) }
        var result = [Float](repeating: 0, count: vector.count)
        for index in vector.indices {
            let half = Float(Float16(vector[index]))
            if half.isInfinite, vector[index].isFinite {
                throw VireoError(.numericOutOfRange, "\"\(VectorText.formatElement(vector[index]))\" is out of range for type halfvec")
            }
            result[index] = half
        }
        return result
    }
}
