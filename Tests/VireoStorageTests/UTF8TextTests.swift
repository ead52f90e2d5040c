import Testing
@testable import VireoStorage

@Suite("Stored text: UTF-8 checked on read, ASCII on a fast path")
struct UTF8TextTests {
    private func decode(_ bytes: [UInt8]) -> String? { bytes.withUnsafeBytes { UTF8Text.decode($0) } }

    @Test("valid text of every length round-trips, ASCII or not")
    func validText() {
        for text in ["", "a", "seven!!", "eight!!!", "nine chars", String(repeating: "x", count: 67),
                     "héllo", "ascii then é", "日本語のテキスト", "emoji 🦜 at byte 6", String(repeating: "ab", count: 20) + "ü"] {
            #expect(decode(Array(text.utf8)) == text)
        }
    }

    @Test("invalid UTF-8 is refused wherever it sits, including sequences as long as their replacement")
    func invalidText() {
        let invalid: [[UInt8]] = [
            [0xFF], [0x80], [0xC3], Array("12345678".utf8) + [0xC3, 0x28],
            [0xF0, 0x9F, 0x98, 0x41],  // a truncated 4-byte sequence: three bytes, like U+FFFD
            Array("abcdefgh".utf8) + [0xED, 0xA0, 0x80],  // an encoded surrogate
            [0xC0, 0xAF],  // overlong
        ]
        for bytes in invalid { #expect(decode(bytes) == nil, "\(bytes)") }
    }

    @Test("the ASCII check looks at every byte, in whole words and in the tail")
    func asciiCheck() {
        for length in 0..<20 {
            #expect([UInt8](repeating: 0x41, count: length).withUnsafeBytes { UTF8Text.isASCII($0) })
            for position in 0..<length {
                var bytes = [UInt8](repeating: 0x41, count: length)
                bytes[position] = 0xC3
                #expect(!bytes.withUnsafeBytes { UTF8Text.isASCII($0) })
            }
        }
    }
}
