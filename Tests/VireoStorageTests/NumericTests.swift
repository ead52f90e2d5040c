import Foundation
import Testing
@testable import VireoStorage

/// Exact decimals: text in and out, arithmetic against Int128 and known PostgreSQL answers,
/// the record format (scale kept) and the key format (ordered by value, 1.5 = 1.50).
@Suite("numeric: exact decimals")
struct NumericTests {
    static let samples = [
        "0", "0.00", "1", "-1", "1.5", "1.50", "-1.5", "0.001", "-0.001", "123456789012345678901234567890.123",
        "-99999999999999999999.99", "1e20", "1.5e-7", "4294967296", "18446744073709551616", "0.1", "10", "100",
        "-100", "999.999", "1000",
    ]

    static func number(_ text: String) -> Numeric { Numeric(text)! }

    @Test("text input and output keep the digits and the display scale")
    func textRoundTrip() {
        let cases: [(String, String)] = [
            ("1.50", "1.50"), (" -0.0 ", "0.0"), ("+12", "12"), ("1e3", "1000"), ("1.5e-3", "0.0015"), ("-2.5E+2", "-250"),
            (".5", "0.5"), ("5.", "5"), ("000123.4500", "123.4500"), ("18446744073709551616", "18446744073709551616"),
        ]
        for (input, output) in cases { #expect(Numeric(input)?.description == output, "\(input)") }
        for bad in ["", "abc", "1.2.3", "1e", "--1", "1 2", "e5", "."] { #expect(Numeric(bad) == nil, "\(bad)") }
    }

    @Test("magnitudes multiply, divide and print like 128-bit integers")
    func magnitudeArithmetic() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let a = UInt128(UInt64.random(in: 0...UInt64.max, using: &generator)) * UInt128(UInt32.random(in: 1...UInt32.max, using: &generator))
            let b = UInt128(UInt64.random(in: 1...UInt64.max >> UInt64.random(in: 0...62, using: &generator), using: &generator))
            let x = Magnitude(decimalDigits: Array(String(a).utf8)), y = Magnitude(decimalDigits: Array(String(b).utf8))
            #expect(x.decimalString == String(a))
            let (quotient, remainder) = x.quotientAndRemainder(dividingBy: y)
            #expect(quotient.decimalString == String(a / b) && remainder.decimalString == String(a % b), "\(a) / \(b)")
            #expect((x + y).decimalString == String(a + b))
            #expect((x - (quotient * y)).decimalString == String(a % b))
        }
        // Knuth's rare add-back step: a divisor whose top limbs make the estimate one too large.
        let x = Magnitude(decimalDigits: Array("340282366920938463463374607431768211455".utf8))
        let y = Magnitude(decimalDigits: Array("18446744073709551617".utf8))
        let (q, r) = x.quotientAndRemainder(dividingBy: y)
        #expect((q * y + r).decimalString == x.decimalString && Magnitude.compare(r, y) < 0)
    }

    @Test("arithmetic has PostgreSQL's result scales")
    func arithmeticScales() throws {
        let n = Self.number
        #expect((n("0.1") + n("0.2")).description == "0.3")
        #expect((n("1.10") + n("2")).description == "3.10")
        #expect((n("1") - n("1.000")).description == "0.000")
        #expect(try (n("1.10") * n("2")).description == "2.20")
        #expect(try (n("1") / n("3")).description == "0.33333333333333333333")
        #expect(try (n("10") / n("4")).description == "2.5000000000000000")
        #expect(try (n("100") / n("7")).description == "14.2857142857142857")
        #expect(try (n("0.001") / n("3")).description == "0.00033333333333333333")
        #expect(try (n("-7.5") % n("2")).description == "-1.5")
        #expect(try n("2").divided(by: n("3"), scale: 0).description == "1")
        #expect(n("2.345").rounded(toScale: 2).description == "2.35")
        #expect(n("-2.5").rounded(toScale: 0).description == "-3")
        #expect(n("1234.5").rounded(toScale: -2).description == "1200")
        #expect(n("-2.7").truncated(toScale: 0).description == "-2")
        #expect(n("-2.5").floor.description == "-3" && n("-2.5").ceiling.description == "-2")
        #expect(throws: VireoError.self) { try n("1") / n("0.00") }
    }

    @Test("numeric(p,s) rounds to s digits and refuses more than p-s before the point")
    func typmod() throws {
        #expect(try Self.number("10.005").fitted(precision: 10, scale: 2).description == "10.01")
        #expect(try Self.number("0.5").fitted(precision: 1, scale: 1).description == "0.5")
        #expect(try Self.number("999.994").fitted(precision: 5, scale: 2).description == "999.99")
        do {
            _ = try Self.number("999.995").fitted(precision: 5, scale: 2)
            Issue.record("999.995 fits numeric(5,2)")
        } catch let error as VireoError {
            #expect(error.sqlState == "22003")
            #expect(error.detail == "A field with precision 5, scale 2 must round to an absolute value less than 10^3.")
        }
    }

    @Test("records keep the display scale; NULLs and other columns around it survive")
    func recordRoundTrip() throws {
        let row = Self.samples.map { Value.numeric(Self.number($0)) } + [.null, .int(5), .text("x")]
        let decoded = try RecordCodec.decode(RecordCodec.encode(row))
        #expect(decoded == row)
        #expect(zip(decoded, row).allSatisfy { $0.messageText == $1.messageText }, "scales kept")
    }

    @Test("keys sort by value, equal values give equal keys, descending keys invert")
    func keyOrder() throws {
        for a in Self.samples {
            for b in Self.samples {
                let x = Self.number(a), y = Self.number(b)
                let byKey = compareBytes(KeyCodec.encode([.numeric(x)]), KeyCodec.encode([.numeric(y)]))
                #expect(byKey == Numeric.compare(x, y), "\(a) vs \(b)")
                let descending = compareBytes(KeyCodec.encode([.numeric(x)], descending: [true]), KeyCodec.encode([.numeric(y)], descending: [true]))
                #expect(descending == -Numeric.compare(x, y))
                if x == y { #expect(x.hashValue == y.hashValue) }
            }
            guard case .numeric(let decoded)? = try KeyCodec.decode(KeyCodec.encode([.numeric(Self.number(a))])).first else {
                Issue.record("\(a) did not decode")
                continue
            }
            #expect(decoded == Self.number(a))
        }
    }

    @Test("float8 becomes numeric with 15 significant digits, as PostgreSQL casts it")
    func fromDouble() {
        #expect(Numeric(0.1)?.description == "0.1")
        #expect(Numeric(1.0 / 3)?.description == "0.333333333333333")
        #expect(Numeric(1e20)?.description == "100000000000000000000")
        #expect(Numeric(-1.5e-7)?.description == "-0.00000015")
        // NaN and the infinities become numeric's own special values, as in PostgreSQL 14+.
        #expect(Numeric(Double.nan)?.isNaN == true)
        #expect(Numeric(-Double.infinity) == Numeric.negativeInfinity)
        #expect(Self.number("0.1").double == 0.1)
    }

    @Test("numeric to double gives the double its text parses to, with and without the exact fast path")
    func toDouble() {
        // Edges of the fast path: a coefficient of 2^53 - 1 and 2^53, scales 22 and 23,
        // zero with a scale, negatives, the special values; then random decimals.
        var texts = ["9007199254740991", "9007199254740992", "900719925474099.1", "9007199254740993", "0.0000000000000000000001",
                     "0.00000000000000000000001", "1.0000000000000000000000", "0.000", "-0.5", "-123456.789",
                     "123456789012345678901234567890.123", "1e20", "1.5e-7", "NaN", "Infinity", "-Infinity"]
        var random = SplitMix64(seed: 17)
        for _ in 0..<2_000 {
            let digits = String(UInt64.random(in: 0...UInt64(1) << 54, using: &random))
            let scale = Int.random(in: 0...min(24, digits.count), using: &random)
            let point = digits.index(digits.endIndex, offsetBy: -scale)
            let sign = Bool.random(using: &random) && digits != "0" ? "-" : ""
            let whole = point == digits.startIndex ? "0" : String(digits[..<point])
            texts.append(sign + whole + (scale == 0 ? "" : "." + digits[point...]))
        }
        for text in texts {
            let expected = Double(text) ?? .nan
            let actual = Self.number(text).double
            #expect(actual == expected || (actual.isNaN && expected.isNaN), "\(text): expected \(expected), got \(actual)")
            #expect(actual.sign == expected.sign || expected.isNaN, "\(text): sign")
        }
    }
}
