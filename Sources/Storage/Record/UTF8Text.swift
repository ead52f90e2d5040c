/// Text read back from records and keys, checked to be valid UTF-8 (a record that is not
/// is corrupt).
enum UTF8Text {
    /// The string `bytes` spell, or nil when they are not valid UTF-8. ASCII, most stored
    /// text, is recognised eight bytes at a time and decoded without the general validator,
    /// whose generic entry point looks up type metadata on every call.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> String? {
        if isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let highBits: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        while index + 8 <= bytes.count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & highBits != 0 { return false }
            index += 8
        }
        while index < bytes.count {
            if bytes[index] & 0x80 != 0 { return false }
            index += 1
        }
        return true
    }
}
