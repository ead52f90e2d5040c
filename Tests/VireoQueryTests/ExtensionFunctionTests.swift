import Testing
@testable import VireoQuery
import VireoStorage

/// uuid-ossp's and pgcrypto's functions, built in; `CREATE EXTENSION` of either is accepted.
/// Name-based UUIDs and digests are RFC 4122's and the hash standards' (checked with
/// Python's uuid, hashlib and hmac, which agree with PostgreSQL's extensions).
@Suite("Built-in extensions: uuid-ossp and pgcrypto")
struct ExtensionFunctionTests {
    @Test("CREATE EXTENSION accepts the built-in ones and names them when refusing another")
    func createExtension() throws {
        let session = try Database.inMemory().session()
        for name in ["vector", "\"uuid-ossp\"", "pgcrypto"] {
            #expect(try session.execute("CREATE EXTENSION IF NOT EXISTS \(name)").commandTag == "CREATE EXTENSION")
        }
        do {
            try session.execute("CREATE EXTENSION postgis")
            Issue.record("postgis was accepted")
        } catch let error as VireoError {
            #expect(error.sqlState == "42704")
            #expect(error.message.contains("\"uuid-ossp\""))
        }
    }

    @Test("uuid-ossp: name spaces, name-based and random UUIDs with their version bits")
    func uuids() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT uuid_generate_v5(uuid_ns_url(), 'http://www.postgresql.org'), uuid_generate_v3(uuid_ns_dns(), 'example.com'), uuid_nil()")
                == ["e1ee1ad4-cd4e-5889-962a-4f605a68d94e", "9073926b-929f-31c2-abc9-fad77ae3e8eb", "00000000-0000-0000-0000-000000000000"])
        #expect(try typedValues(session, "SELECT uuid_ns_oid(), uuid_ns_x500(), pg_typeof(uuid_generate_v4())::text")
                == ["6ba7b812-9dad-11d1-80b4-00c04fd430c8", "6ba7b814-9dad-11d1-80b4-00c04fd430c8", "uuid"])
        let versions = try typedValues(session, """
            SELECT substr(uuid_generate_v4()::text, 15, 1), substr(uuid_generate_v1()::text, 15, 1), substr(uuid_generate_v1mc()::text, 15, 1),
                   substr(uuid_generate_v4()::text, 20, 1) IN ('8', '9', 'a', 'b'), uuid_generate_v4() <> uuid_generate_v4()
            """)
        #expect(versions == ["4", "1", "1", "t", "t"])
        try session.execute("CREATE TABLE t (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), name text)")
        try session.execute("INSERT INTO t (name) SELECT 'n' || g FROM generate_series(1, 50) g")
        #expect(try typedValues(session, "SELECT count(DISTINCT id) FROM t") == ["50"])
    }

    @Test("pgcrypto: digest and hmac of text and bytea, random bytes, and an unknown algorithm")
    func digests() throws {
        let session = try Database.inMemory().session()
        #expect(try typedValues(session, "SELECT encode(digest('abc', 'sha1'), 'hex'), encode(digest('\\x0102'::bytea, 'MD5'), 'hex')")
                == ["a9993e364706816aba3e25717850c26c9cd0d89d", "0cb988d042a7f28dd5fe2b55b3f5ac7a"])
        #expect(try typedValues(session, "SELECT encode(hmac('abc', 'key', 'sha256'), 'hex'), length(digest('x', 'sha512')), length(gen_random_bytes(16))")
                == ["9c196e32dc0175f86f4b1cb89289d6619de6bee699e4c378e68309ed97a1a6ab", "64", "16"])
        // SHA-224 (RFC 4231's test case 2, and a key longer than a block, which is hashed first).
        #expect(try typedValues(session, "SELECT encode(hmac('what do ya want for nothing?', 'Jefe', 'sha224'), 'hex'), encode(hmac('msg', repeat('k', 200), 'SHA224'), 'hex'), encode(digest('abc', 'sha224'), 'hex')")
                == ["a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44", "2c5cc29e6df0855d603751dbaf428c53b2d39b8c4326cacd75d9a2fc",
                    "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"])
        for sql in ["SELECT digest('abc', 'sha3')", "SELECT gen_random_bytes(0)", "SELECT gen_random_bytes(1025)"] {
            #expect(throws: VireoError.self) { try session.execute(sql) }
        }
    }
}
