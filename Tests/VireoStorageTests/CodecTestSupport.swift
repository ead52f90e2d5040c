import Testing
@testable import VireoStorage

/// Seeded, so that codec property tests are reproducible; the seed is printed in every
/// failure message.
typealias CodecTestRandom = SplitMix64

/// The kinds of value the random generators produce, one per `Value` case but NULL.
enum CodecTestKind: CaseIterable {
    case bool, int, double, text, bytes, json, timestamp, vector
}

/// Random values biased towards edge cases: extremes, signed zeros, NaNs, infinities,
/// strings with embedded NULs and short alphabets so that prefixes and ties are common.
struct CodecValueGenerator {
    var random: CodecTestRandom

    static let edgeIntegers: [Int64] = [.min, .min + 1, -256, -1, 0, 1, 255, 256, .max - 1, .max]
    static let edgeDoubles: [Double] = [
        -.infinity, -.greatestFiniteMagnitude, -1.5, -.leastNonzeroMagnitude, -0.0, 0.0,
        .leastNonzeroMagnitude, .leastNormalMagnitude, 1.5, .greatestFiniteMagnitude, .infinity,
        .nan, -.nan, .signalingNaN, Double(bitPattern: 0x7FF0_0000_0000_0001),
    ]
    static let edgeFloats: [Float] = [-.infinity, -2, -0.0, 0.0, .leastNonzeroMagnitude, 0.5, 2, .infinity, .nan, -.nan]
    static let textPieces = ["a", "b", "\0", "\u{1}", "\u{7F}", "é", "e\u{301}", "😀", "ab"]
    static let bytePieces: [UInt8] = [0x00, 0x01, 0x7F, 0xFE, 0xFF]

    mutating func value(_ kind: CodecTestKind, nullPercent: Int = 10) -> Value {
        if Int.random(in: 0..<100, using: &random) < nullPercent { return .null }
        switch kind {
        case .bool: return .bool(Bool.random(using: &random))
        case .int: return .int(integer())
        case .timestamp: return .timestamp(integer())
        case .double: return .double(double())
        case .text: return .text(text())
        case .json: return .json(text())
        case .bytes: return .bytes(bytes())
        case .vector: return .vector(vector())
        }
    }

    mutating func row(columnCount: Int) -> [Value] {
        (0..<columnCount).map { _ in value(CodecTestKind.allCases.randomElement(using: &random) ?? .int) }
    }

    mutating func integer() -> Int64 {
        switch Int.random(in: 0..<3, using: &random) {
        case 0: Self.edgeIntegers.randomElement(using: &random) ?? 0
        case 1: Int64.random(in: -1000...1000, using: &random)
        default: Int64.random(in: .min ... .max, using: &random)
        }
    }

    mutating func double() -> Double {
        Bool.random(using: &random)
            ? Self.edgeDoubles.randomElement(using: &random) ?? 0
            : Double(bitPattern: UInt64.random(in: .min ... .max, using: &random))
    }

    mutating func text() -> String {
        let length = Int.random(in: 0...4, using: &random)
        return (0..<length).map { _ in Self.textPieces.randomElement(using: &random) ?? "" }.joined()
    }

    mutating func bytes() -> [UInt8] {
        (0..<Int.random(in: 0...4, using: &random)).map { _ in Self.bytePieces.randomElement(using: &random) ?? 0 }
    }

    mutating func vector() -> [Float] {
        (0..<Int.random(in: 0...3, using: &random)).map { _ in Self.edgeFloats.randomElement(using: &random) ?? 0 }
    }
}

/// Equality that treats doubles and floats by bit pattern, so NaN equals itself and -0.0
/// differs from 0.0: what a lossless round trip must preserve.
func sameBits(_ left: Value, _ right: Value) -> Bool {
    switch (left, right) {
    case (.double(let a), .double(let b)): a.bitPattern == b.bitPattern
    case (.vector(let a), .vector(let b)): a.map(\.bitPattern) == b.map(\.bitPattern)
    default: left == right
    }
}

func sameBits(_ left: [Value], _ right: [Value]) -> Bool {
    left.count == right.count && zip(left, right).allSatisfy { sameBits($0, $1) }
}

/// A short description of a value for failure messages (long values are abbreviated).
func describe(_ values: [Value]) -> String {
    let text = "\(values)"
    return text.count <= 300 ? text : String(text.prefix(300)) + "… (\(text.count) characters)"
}
