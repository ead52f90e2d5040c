/// FNV-1a hashes: stable across processes and runs, unlike Swift's seeded `Hasher`, for
/// values that are stored or shown (OIDs, index terms, hashed embedding features).
enum FNV1a {
    static func hash32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        bytes.reduce(2_166_136_261) { ($0 ^ UInt32($1)) &* 16_777_619 }
    }

    static func hash64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}
