import Testing
@testable import VireoQuery
import VireoStorage

@Suite("bytea functions: digests and encode/decode as PostgreSQL computes them")
struct ByteaFunctionTests {
    private func database() throws -> Database { try Database.inMemory() }

    @Test("md5 of text and bytea, and the SHA-2 digests of bytea, as PostgreSQL computes them")
    func digests() throws {
        let db = try database()
        #expect(try rows(db, "SELECT md5('abc'), md5('abc'::bytea)")[0] == ["900150983cd24fb0d6963f7d28e17f72", "900150983cd24fb0d6963f7d28e17f72"])
        #expect(try rows(db, "SELECT encode(sha256('abc'), 'hex')")[0][0] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try rows(db, "SELECT encode(sha512(''), 'hex')")[0][0].hasPrefix("cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"))
        #expect(try rows(db, "SELECT length(sha384('x')), octet_length(sha512('x')), length('\\x0102'::bytea)")[0] == ["48", "64", "2"])
        #expect(try rows(db, "SELECT sha256(NULL::bytea) IS NULL")[0][0] == "t")
        // SHA-224 is Vireo's own (swift-crypto has none): the empty message, one block, several.
        #expect(try rows(db, "SELECT encode(sha224(''), 'hex'), encode(sha224('abc'), 'hex')")[0]
                == ["d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"])
        #expect(try rows(db, "SELECT encode(sha224(repeat('a', 1000)::bytea), 'hex')")[0][0] == "4e8f0ce90b64661a2b5e84be6d93a7d9b76871062f1814433d04a03d")
    }

    @Test("encode and decode in hex, base64 and escape round trip every byte")
    func encodeDecode() throws {
        let db = try database()
        #expect(try rows(db, #"SELECT encode('\x00ff5c41'::bytea, 'hex'), encode('\x00ff5c41'::bytea, 'escape')"#)[0] == ["00ff5c41", #"\000\377\\A"#])
        #expect(try rows(db, "SELECT encode('hello', 'base64'), decode('aGVsbG8=', 'base64') = 'hello'::bytea")[0] == ["aGVsbG8=", "t"])
        let long = try rows(db, "SELECT encode(decode(repeat('ab', 100), 'hex'), 'base64')")[0][0]
        #expect(long.split(separator: "\n").map(\.count).max() == 76, "PostgreSQL's 76-character lines: \(long)")
        for format in ["hex", "base64", "escape"] {
            let same = try rows(db, "SELECT decode(encode(b, '\(format)'), '\(format)') = b FROM (SELECT decode(string_agg(lpad(to_hex(n), 2, '0'), ''), 'hex') AS b FROM generate_series(0, 255) n) s")
            #expect(same == [["t"]], "\(format)")
        }
        #expect(sqlError(db, "SELECT decode('abc', 'hex')")?.sqlState == "22023")
        #expect(sqlError(db, "SELECT decode('zz', 'hex')")?.sqlState == "22023")
        #expect(sqlError(db, "SELECT encode('a'::bytea, 'rot13')")?.sqlState == "22023")
    }
}
