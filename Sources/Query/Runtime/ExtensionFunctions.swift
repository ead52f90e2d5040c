import Foundation
import Crypto
import VireoStorage

/// The functions of the contrib extensions that schemas and migrations most often create:
/// uuid-ossp's generators and pgcrypto's digests (pg_trgm's are in
/// SessionFunctions+Trigrams.swift). They are built in, as pgvector's type is:
/// `CREATE EXTENSION "uuid-ossp"` (pgcrypto, pg_trgm) is accepted and needed by nothing.
extension Functions {
    /// The extensions whose functions are built in, which CREATE EXTENSION accepts.
    static let builtInExtensions: Set<String> = ["vector", "uuid-ossp", "pgcrypto", "pg_trgm"]

    static let extensions: [ScalarFunction] = uuidOSSP + pgcrypto

    // MARK: uuid-ossp

    /// RFC 4122's name spaces, which uuid_ns_dns() and the others return.
    private static let nameSpaces: [(String, String)] = [
        ("uuid_ns_dns", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"), ("uuid_ns_url", "6ba7b811-9dad-11d1-80b4-00c04fd430c8"),
        ("uuid_ns_oid", "6ba7b812-9dad-11d1-80b4-00c04fd430c8"), ("uuid_ns_x500", "6ba7b814-9dad-11d1-80b4-00c04fd430c8"),
    ]

    private static let uuidOSSP: [ScalarFunction] = nameSpaces.map { name, uuid in
        ScalarFunction(name, 0...0, [], returns: .uuid) { _ in .text(uuid) }
    } + [
        ScalarFunction("uuid_nil", 0...0, [], returns: .uuid) { _ in .text("00000000-0000-0000-0000-000000000000") },
        ScalarFunction("uuid_generate_v4", 0...0, [], volatile: true, returns: .uuid) { _ in .text(UUID().uuidString.lowercased()) },
        // Vireo reads no network card: both time-based forms take a random node with the
        // multicast bit set, which is what uuid_generate_v1mc() is.
        ScalarFunction("uuid_generate_v1", 0...0, [], volatile: true, returns: .uuid) { _ in .text(timeBasedUUID()) },
        ScalarFunction("uuid_generate_v1mc", 0...0, [], volatile: true, returns: .uuid) { _ in .text(timeBasedUUID()) },
        ScalarFunction("uuid_generate_v3", 2...2, [.uuid, .text], returns: .uuid) { arguments in
            .text(try nameBasedUUID(arguments, version: 3) { Array(Insecure.MD5.hash(data: $0)) })
        },
        ScalarFunction("uuid_generate_v5", 2...2, [.uuid, .text], returns: .uuid) { arguments in
            .text(try nameBasedUUID(arguments, version: 5) { Array(Insecure.SHA1.hash(data: $0)) })
        },
    ]

    /// A version 3 or 5 UUID (RFC 4122 §4.3): the hash of the name space's 16 bytes and the
    /// name, with the version and variant bits set.
    private static func nameBasedUUID(_ arguments: [Value], version: UInt8, hash: ([UInt8]) -> [UInt8]) throws -> String {
        let nameSpace = try uuidBytes(string(arguments[0]))
        var bytes = Array(hash(nameSpace + Array(string(arguments[1]).utf8)).prefix(16))
        bytes[6] = bytes[6] & 0x0F | version << 4
        bytes[8] = bytes[8] & 0x3F | 0x80
        return uuidText(bytes)
    }

    /// A version 1 UUID: 100-ns intervals since 1582-10-15, a random clock sequence and a
    /// random node with the multicast bit set.
    private static func timeBasedUUID() -> String {
        let gregorianOffset: UInt64 = 0x01B2_1DD2_1381_4000
        let ticks = UInt64(Date().timeIntervalSince1970 * 10_000_000) &+ gregorianOffset
        var bytes = [UInt8](repeating: 0, count: 16)
        let low = UInt32(truncatingIfNeeded: ticks), middle = UInt16(truncatingIfNeeded: ticks >> 32)
        let high = UInt16(truncatingIfNeeded: ticks >> 48) & 0x0FFF | 0x1000
        for index in 0..<4 { bytes[index] = UInt8(truncatingIfNeeded: low >> (24 - 8 * index)) }
        (bytes[4], bytes[5]) = (UInt8(middle >> 8), UInt8(truncatingIfNeeded: middle))
        (bytes[6], bytes[7]) = (UInt8(high >> 8), UInt8(truncatingIfNeeded: high))
        for index in 8..<16 { bytes[index] = UInt8.random(in: 0...255) }
        bytes[8] = bytes[8] & 0x3F | 0x80
        bytes[10] |= 0x01
        return uuidText(bytes)
    }

    private static func uuidBytes(_ text: String) throws -> [UInt8] {
        let hex = Array(try Cast.canonicalUUID(text).utf8.filter { $0 != UInt8(ascii: "-") })
        return stride(from: 0, to: 32, by: 2).map { UInt8(String(decoding: hex[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
    }

    private static func uuidText(_ bytes: [UInt8]) -> String {
        let hex = hexDigits(bytes)
        let cuts = [8, 12, 16, 20].map { hex.index(hex.startIndex, offsetBy: $0) }
        return [hex[..<cuts[0]], hex[cuts[0]..<cuts[1]], hex[cuts[1]..<cuts[2]], hex[cuts[2]..<cuts[3]], hex[cuts[3]...]].joined(separator: "-")
    }

    // MARK: pgcrypto

    private static let pgcrypto: [ScalarFunction] = [
        ScalarFunction("digest", 2...2, [.text, .text], returns: .bytes) { arguments in
            .bytes(try digest(rawBytes(arguments[0]), algorithm: string(arguments[1])))
        },
        ScalarFunction("hmac", 3...3, [.text, .text, .text], returns: .bytes) { arguments in
            .bytes(try hmac(rawBytes(arguments[0]), key: rawBytes(arguments[1]), algorithm: string(arguments[2])))
        },
        ScalarFunction("gen_random_bytes", 1...1, [.integer], volatile: true, returns: .bytes) { arguments in
            let count = try int(arguments[0])
            guard (1...1024).contains(count) else {
                throw VireoError(.externalRoutineInvocation, "Length not in range")
            }
            return .bytes((0..<count).map { _ in UInt8.random(in: 0...255) })
        },
    ]

    /// pgcrypto's digest(): the algorithms swift-crypto has and SHA-224; others are 22023 as
    /// pgcrypto's "Cannot use …: No such hash algorithm".
    private static func digest(_ data: [UInt8], algorithm: String) throws -> [UInt8] {
        if algorithm.lowercased() == "sha224" { return SHA224.hash(data) }
        func hashed<H: HashFunction>(_: H.Type) -> [UInt8] { Array(H.hash(data: data)) }
        return hashed(try hashFunction(algorithm))
    }

    private static func hmac(_ data: [UInt8], key: [UInt8], algorithm: String) throws -> [UInt8] {
        if algorithm.lowercased() == "sha224" { return SHA224.authenticationCode(data, key: key) }
        func authenticated<H: HashFunction>(_: H.Type) -> [UInt8] {
            Array(HMAC<H>.authenticationCode(for: data, using: SymmetricKey(data: key)))
        }
        return authenticated(try hashFunction(algorithm))
    }

    /// The hash function pgcrypto names `algorithm` (any case).
    private static func hashFunction(_ algorithm: String) throws -> any HashFunction.Type {
        switch algorithm.lowercased() {
        case "md5": Insecure.MD5.self
        case "sha1": Insecure.SHA1.self
        case "sha256": SHA256.self
        case "sha384": SHA384.self
        case "sha512": SHA512.self
        default: throw unknownAlgorithm(algorithm)
        }
    }

    private static func unknownAlgorithm(_ name: String) -> VireoError {
        VireoError(.invalidParameter, "Cannot use \"\(name)\": No such hash algorithm")
    }
}
