import Foundation
import VireoStorage

/// sparsevec's text input (`{1:1.5, 3:2}/5`) and binary form, with pgvector's errors.
extension SparseVector {
    /// Parses pgvector's text form: whitespace allowed around every part, indices 1-based in
    /// any order (sorted here), zero values dropped; with `dimension`, the typmod check.
    public init(parsing text: String, dimension declared: Int? = nil) throws {
        let bytes = Array(text.utf8)
        // pgvector sizes its buffer by the commas before parsing: the limit comes first.
        if bytes.count(where: { $0 == UInt8(ascii: ",") }) + 1 > Self.nonZeroMax {
            throw VireoError(.limitExceeded, "sparsevec cannot have more than \(Self.nonZeroMax) non-zero elements")
        }
        var reader = SparseTextReader(bytes: bytes, text: text)
        let elements = try reader.elements()
        let dimension = try reader.dimension()
        try Self.checkDimension(dimension)
        try Self.check(dimension, declared: declared)
        // Indices beyond Int32 are clamped as pgvector clamps them, so they fail the bounds check.
        let sorted = elements.sorted { $0.index < $1.index }
        try self.init(dimension: dimension, indices: sorted.map { Int32(clamping: $0.index - 1) }, values: sorted.map(\.value))
    }

    /// Decodes pgvector's binary form: int32 dimension, int32 count, int32 0, the 0-based
    /// indices (int32), the values (float32), big-endian.
    public init(binary bytes: [UInt8], dimension declared: Int? = nil) throws {
        var reader = SparseBinaryReader(bytes)
        let dimension = Int(try reader.int32()), count = Int(try reader.int32()), unused = try reader.int32()
        try Self.checkDimension(dimension)
        if count < 0 { throw VireoError(.dataException, "sparsevec cannot have negative number of elements") }
        if count > Self.nonZeroMax {
            throw VireoError(.limitExceeded, "sparsevec cannot have more than \(Self.nonZeroMax) non-zero elements")
        }
        if count > dimension { throw VireoError(.limitExceeded, "sparsevec cannot have more elements than dimensions") }
        try Self.check(dimension, declared: declared)
        if unused != 0 { throw VireoError(.dataException, "expected unused to be 0, not \(unused)") }
        var indices: [Int32] = []
        for position in 0..<count {
            indices.append(try reader.int32())
            try Self.checkIndex(indices, position, dimension: dimension)
        }
        var values: [Float] = []
        for _ in 0..<count {
            let value = Float(bitPattern: UInt32(bitPattern: try reader.int32()))
            try Self.checkElement(value)
            if value == 0 { throw VireoError(.dataException, "binary representation of sparsevec cannot contain zero values") }
            values.append(value)
        }
        guard reader.isAtEnd else { throw SparseBinaryReader.malformed }
        try self.init(dimension: dimension, indices: indices, values: values)
    }

    /// pgvector's binary form (see `init(binary:)`).
    public var binary: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12 + 8 * indices.count)
        func append(_ value: Int32) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
        append(Int32(dimension))
        append(Int32(indices.count))
        append(0)
        for index in indices { append(index) }
        for value in values { append(Int32(bitPattern: value.bitPattern)) }
        return bytes
    }
}

/// Big-endian int32s from a byte array; 22P02 when the bytes run out.
private struct SparseBinaryReader {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { position == bytes.count }

    static let malformed = VireoError(.invalidTextRepresentation, "malformed binary sparsevec parameter")

    mutating func int32() throws -> Int32 {
        guard position + 4 <= bytes.count else { throw Self.malformed }
        defer { position += 4 }
        return bytes[position..<position + 4].reduce(Int32(0)) { $0 << 8 | Int32($1) }
    }
}

/// The reading of a sparsevec's text, as pgvector's sparsevec_in reads it.
private struct SparseTextReader {
    let bytes: [UInt8]
    let text: String
    var position = 0

    init(bytes: [UInt8], text: String) {
        self.bytes = bytes
        self.text = text
    }

    /// `{index:value, …}`, the braces included; zero values left out.
    mutating func elements() throws -> [(index: Int, value: Float)] {
        skipSpaces()
        guard accept("{") else { throw invalid(detail: "Vector contents must start with \"{\".") }
        skipSpaces()
        var elements: [(index: Int, value: Float)] = []
        if accept("}") { return elements }
        while true {
            skipSpaces()
            guard position < bytes.count else { throw invalid() }
            let index = try integer()
            skipSpaces()
            guard accept(":") else { throw invalid() }
            skipSpaces()
            let value = try float()
            if value != 0 { elements.append((index, value)) }
            skipSpaces()
            if accept(",") { continue }
            guard accept("}") else { throw invalid() }
            return elements
        }
    }

    /// `/dimension` and nothing after it but whitespace.
    mutating func dimension() throws -> Int {
        skipSpaces()
        guard accept("/") else { throw invalid(detail: "Unexpected end of input.") }
        skipSpaces()
        let dimension = try integer()
        skipSpaces()
        guard position == bytes.count else { throw invalid(detail: "Junk after closing.") }
        return dimension
    }

    /// strtol's reading: an optional sign and decimal digits, kept in Int32's range.
    private mutating func integer() throws -> Int {
        let start = position
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+") { position += 1 }
        let digitsStart = position
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
        guard position > digitsStart else {
            position = start
            throw invalid()
        }
        let number = Int(String(decoding: bytes[start..<position], as: UTF8.self)) ?? (bytes[start] == UInt8(ascii: "-") ? Int.min : Int.max)
        return min(Int(Int32.max), max(Int(Int32.min), number))
    }

    /// strtof's reading of the longest number here (nan and inf included); 22003 when it
    /// overflows float32, as float4in.
    private mutating func float() throws -> Float {
        let start = position
        while position < bytes.count, !Self.ends(bytes[position]) { position += 1 }
        let spelled = String(decoding: bytes[start..<position], as: UTF8.self)
        guard !spelled.isEmpty, let value = Float(spelled) else { throw invalid() }
        // strtof's ERANGE: a finite spelling beyond float32, or a non-zero one below it.
        if let wide = Double(spelled), value.isInfinite && wide.isFinite || value == 0 && wide != 0 {
            throw VireoError(.numericOutOfRange, "\"\(spelled)\" is out of range for type sparsevec")
        }
        try SparseVector.checkElement(value)
        return value
    }

    private static func ends(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private mutating func accept(_ character: Unicode.Scalar) -> Bool {
        guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
        position += 1
        return true
    }

    private mutating func skipSpaces() {
        while position < bytes.count, bytes[position] == 0x20 || (0x09...0x0D).contains(bytes[position]) { position += 1 }
    }

    private func invalid(detail: String? = nil) -> VireoError {
        VireoError(.invalidTextRepresentation, "invalid input syntax for type sparsevec: \"\(text)\"", detail: detail)
    }
}
