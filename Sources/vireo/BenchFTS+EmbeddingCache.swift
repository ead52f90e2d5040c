import Foundation

/// Document vectors kept between benchmark runs, so that trying a fusion or a second query set
/// does not embed 50,000 documents again (MiniLM embeds about 100 a second here). The file:
///
///   "VIREO-EMBED-CACHE-1\n", then one record a text: text byte count (UInt32 LE), the text's
///   UTF-8 bytes, dimension count (UInt32 LE), that many Float32 LE.
///
/// Only benchmark data: a truncated or foreign file is ignored (and rewritten), never trusted.
struct EmbeddingCache {
    static let magic = Array("VIREO-EMBED-CACHE-1\n".utf8)
    static let textBytesMax = 1 << 20, dimensionsMax = 4096

    var vectors: [String: [Float]] = [:]

    init() {}

    init(path: String) {
        guard let data = FileManager.default.contents(atPath: path), data.starts(with: Self.magic) else { return }
        var bytes = ByteReader(bytes: [UInt8](data), position: Self.magic.count)
        while let text = bytes.text(), let vector = bytes.vector() { vectors[text] = vector }
    }

    func write(path: String) throws {
        var out = Self.magic
        for (text, vector) in vectors {
            let utf8 = Array(text.utf8)
            Self.append(UInt32(utf8.count), to: &out)
            out += utf8
            Self.append(UInt32(vector.count), to: &out)
            for value in vector { Self.append(value.bitPattern, to: &out) }
        }
        try Data(out).write(to: URL(fileURLWithPath: path))
    }

    private static func append(_ value: UInt32, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }
}

private struct ByteReader {
    var bytes: [UInt8]
    var position: Int

    mutating func count(max: Int) -> Int? {
        guard position + 4 <= bytes.count else { return nil }
        let value = (0..<4).reduce(0) { $0 | Int(bytes[position + $1]) << (8 * $1) }
        position += 4
        return value <= max ? value : nil
    }

    mutating func text() -> String? {
        guard let length = count(max: EmbeddingCache.textBytesMax), position + length <= bytes.count else { return nil }
        defer { position += length }
        return String(decoding: bytes[position..<position + length], as: UTF8.self)
    }

    mutating func vector() -> [Float]? {
        guard let dimensions = count(max: EmbeddingCache.dimensionsMax), position + 4 * dimensions <= bytes.count else { return nil }
        var vector: [Float] = []
        vector.reserveCapacity(dimensions)
        for _ in 0..<dimensions {
            guard let bits = count(max: Int(UInt32.max)) else { return nil }
            vector.append(Float(bitPattern: UInt32(bits)))
        }
        return vector
    }
}
