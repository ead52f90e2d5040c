// Row-id keys: a row id as bytes whose memcmp order is the integer order. Two forms; a
// table's tree uses one (TableDefinition.rowKeyForm, stored in its catalog entry):
//
//   fixed     8 bytes: the id big-endian with the sign bit flipped. Every table created
//             before format version 3, every index entry (which ends in the row id, found
//             by its 8 bytes from the end) and index value, and a vector index's change tree.
//   compact   1 to 9 bytes (format version 3; every table created since): a class byte,
//             then the id's significant bytes big-endian.
//               id >= 0: class 0x80 + L, then the L low bytes of id, where L (0...8) is the
//                        fewest bytes that hold id: 0 -> 80; 1 -> 81 01;
//                        255 -> 81 FF; 256 -> 82 01 00; 100000 -> 83 01 86 A0
//               id <  0: class 0x7F - L, then the L low bytes of id (two's complement),
//                        where L is the fewest bytes that hold ~id (= -id - 1):
//                        -1 -> 7F; -2 -> 7E FE; -256 -> 7E 00; -257 -> 7D FE FF
//             The class byte orders the lengths (0x77, the most negative ids, up to 0x88,
//             the largest) and within a class every key has the same length, so memcmp
//             order is integer order and no key is a prefix of another. Only the shortest
//             form is valid: a first payload byte 0x00 (id >= 0) or 0xFF (id < 0) is
//             rejected as corruption, so each id has one key.
//
// Invariants:
//   R1. For ids a < b in one form, key(a) < key(b) in memcmp order; decode(key(a)) == a.
//   R2. Every key of a table's tree is a valid key of that table's form; a file with a
//       compact-keyed table has format version >= 3 (StorageFormat.compactRowKeysVersion),
//       so an older build refuses it instead of misreading its keys.
//
// Every row key is built by `storeRowID` and read by `decodeRowID`; the other functions
// here are ways of holding the bytes (on the stack, appended, an array).

/// How a tree's keys hold row ids (see the format above).
public enum RowKeyForm: String, Codable, Sendable, Hashable {
    /// 8 bytes, big-endian with the sign bit flipped.
    case fixed
    /// A length class byte, then the id's significant bytes: 1 to 9 bytes.
    case compact
}

extension KeyCodec {
    /// Size of a row id in the fixed form (index entries end in it).
    public static let rowIDSizeBytes = 8
    /// The longest row-id key of any form.
    public static let rowIDKeySizeBytesMax = 9
    /// The class byte of the compact form's key for ids 0 ..< 256^L is `compactNonNegativeClass + L`;
    /// for ids -256^L ..< -256^(L-1) (and -1 at L = 0) it is `compactNegativeClass - L`.
    static let compactNonNegativeClass: UInt8 = 0x80
    static let compactNegativeClass: UInt8 = 0x7F

    /// Writes the key of `id` in `form` at the start of `buffer` (at least
    /// `rowIDKeySizeBytesMax` bytes) and returns its length: the one encoder of row keys.
    @inline(__always)
    static func storeRowID(_ id: Int64, form: RowKeyForm, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        assert(buffer.count >= rowIDKeySizeBytesMax, "a row-id key buffer holds \(rowIDKeySizeBytesMax) bytes")
        switch form {
        case .fixed:
            buffer.storeBytes(of: orderedBits(id).bigEndian, toByteOffset: 0, as: UInt64.self)
            return rowIDSizeBytes
        case .compact:
            let magnitude = UInt64(bitPattern: id < 0 ? ~id : id)
            let length = (64 - magnitude.leadingZeroBitCount + 7) / 8
            buffer[0] = id < 0 ? compactNegativeClass - UInt8(length) : compactNonNegativeClass + UInt8(length)
            // The low `length` bytes of id, big-endian, from offset 1 (a shift by 64 gives 0).
            let payload = UInt64(bitPattern: id) << (64 - 8 * length)
            buffer.storeBytes(of: payload.bigEndian, toByteOffset: 1, as: UInt64.self)
            return 1 + length
        }
    }

    /// Reads a row id from exactly one key of `form`: the one decoder of row keys. Throws
    /// `VireoError(.corruption)` on a key of another length or not in its shortest form.
    @inline(__always)
    public static func decodeRowID(_ bytes: UnsafeRawBufferPointer, form: RowKeyForm) throws -> Int64 {
        switch form {
        case .fixed:
            guard bytes.count == rowIDSizeBytes else { throw malformedRowID(bytes, form, "is \(bytes.count) bytes, expected 8") }
            return Int64(bitPattern: UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)) ^ signBit64)
        case .compact:
            guard let first = bytes.first else { throw malformedRowID(bytes, form, "is empty") }
            let isNegative = first < compactNonNegativeClass
            let length = isNegative ? Int(compactNegativeClass) - Int(first) : Int(first) - Int(compactNonNegativeClass)
            guard length <= 8, bytes.count == 1 + length else {
                throw malformedRowID(bytes, form, "is \(bytes.count) bytes, its class byte 0x\(String(first, radix: 16)) says \(1 + length)")
            }
            let low = compactPayload(bytes, length: length)
            guard length == 0 || bytes[1] != (isNegative ? 0xFF : 0x00),
                  length < 8 || (bytes[1] >= 0x80) == isNegative else {
                throw malformedRowID(bytes, form, "is not the shortest form of its id")
            }
            // A negative id's bytes above the stored ones are all ones (a shift by 64 gives 0).
            return Int64(bitPattern: isNegative ? low | (UInt64.max << (8 * length)) : low)
        }
    }

    /// The `length` bytes after a compact key's class byte (`bytes.count == 1 + length`),
    /// big-endian: one load of the key's last 4 or 8 bytes, masked, where the key is that
    /// long (a scan decodes a key per row); byte by byte otherwise.
    @inline(__always)
    static func compactPayload(_ bytes: UnsafeRawBufferPointer, length: Int) -> UInt64 {
        let count = bytes.count
        let mask = UInt64.max >> (64 - 8 * length)
        if length <= 4 && count >= 4 {
            return UInt64(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))) & mask
        }
        if count >= 8 { return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)) & mask }
        var low: UInt64 = 0
        for index in 1..<count { low = low << 8 | UInt64(bytes[index]) }
        return low
    }

    static func malformedRowID(_ bytes: UnsafeRawBufferPointer, _ form: RowKeyForm, _ detail: String) -> VireoError {
        VireoError(.corruption, "malformed key: a \(form.rawValue) row id \(detail) (\(bytes.map { String($0, radix: 16) }.joined(separator: " ")))")
    }

    /// Calls `body` with the key of `id` in `form`, kept on the stack: a point lookup by
    /// row id (a join's probe, a foreign-key check) then allocates nothing for its key.
    @inline(__always)
    public static func withRowIDKey<R>(_ id: Int64, form: RowKeyForm, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var storage: (UInt64, UInt64) = (0, 0)
        return try withUnsafeMutableBytes(of: &storage) { buffer in
            let count = storeRowID(id, form: form, into: buffer)
            return try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Appends the key of `id` in `form` to `bytes` (an index entry appends the fixed form).
    public static func appendRowID(_ id: Int64, form: RowKeyForm, to bytes: inout [UInt8]) {
        withRowIDKey(id, form: form) { bytes.append(contentsOf: $0) }
    }

    /// The key of `id` in `form`, as an array.
    public static func encodeRowID(_ id: Int64, form: RowKeyForm) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rowIDKeySizeBytesMax)
        appendRowID(id, form: form, to: &bytes)
        return bytes
    }

    /// Reads a row id from an array holding exactly one key of `form`.
    public static func decodeRowID(_ bytes: [UInt8], form: RowKeyForm) throws -> Int64 {
        try bytes.withUnsafeBytes { try decodeRowID($0, form: form) }
    }
}
