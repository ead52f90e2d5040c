import CVireoSupport
import VireoStorage

// HNSW snapshot format, version 3. All integers little-endian.
//
//   offset  size  field
//        0     8  magic "VIREOHNS"
//        8     4  format version (3; 2 is read too)
//       12     1  metric code (0 l2, 1 inner product, 2 cosine)
//       13     1  quantization code (0 none, 1 int8, 2 binary; builds before binary
//                 reject code 2 as unknown, so the version stayed 3)
//       14     2  zero
//       16     4  dimension
//       20     4  m
//       24     4  ef_construction
//       28     4  default ef_search
//       32     8  seed
//       40     8  level generator state
//       48     8  node count N (tombstones included)
//       56     4  entry point id (0xFFFFFFFF when empty)
//       60     4  max level (Int32, −1 when empty)
//       64        labels: N × Int64
//                 levels: N × Int32
//                 flags:  N × UInt32 (0 live, 1 deleted)
//                 level 0: N packed records (in memory they are padded to cache lines,
//                          see HNSWGraph): 4 · (1 + 2m) bytes of [link count][2m links],
//                          then 4 · dimension bytes of vector, or with int8:
//                          [scale f32][squared norm f32][codes, padded to 4], or with
//                          binary: [‖r‖² f32][‖r‖²/‖r‖₁ f32][⟨r,c⟩ f32][bits set u32]
//                          [bits: ⌈dimension / 64⌉ × u64]
//                 floats: only in version 2 with int8, N × dimension Float32 (the full
//                          vectors, which version 3 no longer keeps: an int8 index re-ranks
//                          from its `VectorSource`); read past and dropped
//                 upper levels: for each node with level L > 0, in id order,
//                          L × (1 + m) UInt32: [link count][m links] per level
//                 centres: only with binary, [learned u32 (0 or 1)][K u32][K × dimension
//                          f32]: the centres codes are measured against (K ≤ 256), and
//                          whether they are final
//   end − 4    4  CRC32C of every byte before it
//
// A snapshot is valid when its magic, version and CRC match and every field is in range:
// link counts within capacity, links < N, no self links, levels ≤ 30, flags 0 or 1,
// the entry point is a node whose level is the max level, and live labels are unique.
// Anything else throws `corruption`; reading never traps.
enum HNSWSnapshot {
    static let magic: [UInt8] = Array("VIREOHNS".utf8)
    static let version: UInt32 = 3
    /// The last version whose int8 snapshots carry a float copy of every vector.
    static let versionWithFloats: UInt32 = 2
    static let headerBytes = 64
    static let noEntry = UInt32.max
}

extension HNSWIndex {
    /// A self-contained binary snapshot of the index (format above).
    public func serialize() -> [UInt8] {
        var bytes: [UInt8] = []
        serialize(chunkBytes: 1 << 20) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// The same snapshot handed to `sink` in chunks of about `chunkBytes`, so that an index
    /// of many gigabytes can be written to a file without a second copy in memory. Inserts
    /// and searches wait until it is done, as for `serialize()`.
    public func serialize(chunkBytes: Int = 4 << 20, to sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try withoutActuallyEscaping(sink) { sink in
            try growthLock.withWriteLock {
                var writer = ByteWriter(chunkBytes: chunkBytes, sink: sink)
                try writeSnapshot(&writer, state.withLock { $0 })
            }
        }
    }

    private func writeSnapshot(_ writer: inout ByteWriter, _ s: HNSWState) throws {
        let n = s.nodeCount
        try writeHeader(&writer, s)
        try writer.append(raw: graph.labels, byteCount: n * 8)
        try writer.append(raw: graph.levels, byteCount: n * 4)
        for id in 0..<n { try writer.append(graph.tombstones[id] == NodeFlag.live ? UInt32(0) : UInt32(1)) }
        let packed = UnsafeMutableRawPointer.allocate(byteCount: graph.packedRecordBytes, alignment: 64)
        defer { packed.deallocate() }
        for id in 0..<n {
            graph.packRecord(id, into: packed)
            try writer.append(raw: packed, byteCount: graph.packedRecordBytes)
        }
        for id in 0..<n where graph.levels[id] > 0 {
            try writer.append(raw: graph.upperLinks[id]!, byteCount: Int(graph.levels[id]) * (1 + m) * 4)
        }
        if quantization == .binary {
            try writer.append(UInt32(training.withLock { $0.trained } ? 1 : 0))
            try writer.append(UInt32(graph.centres.count))
            try writer.append(raw: graph.centres.values, byteCount: graph.centres.count * dimension * 4)
        }
        try writer.flush()
        let crc = writer.checksum
        try writer.append(crc)
        try writer.flush()
    }

    private func writeHeader(_ writer: inout ByteWriter, _ s: HNSWState) throws {
        try writer.append(raw: HNSWSnapshot.magic, byteCount: 8)
        try writer.append(HNSWSnapshot.version)
        try writer.append(metric.code)
        try writer.append(quantization.code); try writer.append(UInt16(0))
        try writer.append(UInt32(dimension))
        try writer.append(UInt32(m))
        try writer.append(UInt32(efConstruction))
        try writer.append(UInt32(defaultEfSearch))
        try writer.append(seed)
        try writer.append(s.random.state)
        try writer.append(UInt64(s.nodeCount))
        try writer.append(s.entryPoint ?? HNSWSnapshot.noEntry)
        try writer.append(Int32(s.maxLevel))
    }

    /// Reads a snapshot made by `serialize()`. Throws `corruption` (naming `source`) for
    /// bad magic, version, checksum or any out-of-range field.
    public convenience init(deserializing bytes: [UInt8], source: String = "HNSW snapshot") throws {
        try self.init(decoded: bytes.withUnsafeBytes { try Self.decode($0, source: source) }, source: source)
    }

    /// The same from memory the caller owns, such as a mapped snapshot file: nothing is
    /// copied but the index itself.
    public convenience init(deserializing raw: UnsafeRawBufferPointer, source: String = "HNSW snapshot") throws {
        try self.init(decoded: Self.decode(raw, source: source), source: source)
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, source: String) throws -> (SnapshotHeader, HNSWGraph, Bool) {
        var reader = try checkedReader(raw, source: source)
        let header = try SnapshotHeader(&reader)
        let (graph, trained) = try readGraph(&reader, header)
        return (header, graph, trained)
    }

    private convenience init(decoded: (SnapshotHeader, HNSWGraph, Bool), source: String) throws {
        let (header, loaded, trained) = decoded
        do {
            try self.init(dimension: header.dimension, metric: header.metric, m: header.m,
                          efConstruction: header.efConstruction, seed: header.seed,
                          defaultEfSearch: header.defaultEfSearch, quantization: header.quantization,
                          initialCapacity: 16)
        } catch {
            loaded.deallocate(nodeCount: header.nodeCount)
            throw VireoError(.corruption, "corruption in '\(source)': parameters out of range: \(error)")
        }
        var restored = HNSWState(seed: header.randomState)
        restored.nodeCount = header.nodeCount
        restored.entryPoint = header.entryPoint
        restored.maxLevel = header.maxLevel
        for id in 0..<header.nodeCount {
            if loaded.tombstones[id] != NodeFlag.live {
                restored.tombstoneCount += 1
            } else if restored.ids.updateValue(UInt32(id), forKey: loaded.labels[id]) != nil {
                loaded.deallocate(nodeCount: header.nodeCount)
                throw VireoError(.corruption, "corruption in '\(source)': label \(loaded.labels[id]) is live twice")
            }
        }
        graph.deallocate(nodeCount: 0)
        graph = loaded
        state.withLock { $0 = restored }
        training.withLock { $0.trained = trained }
    }

    /// A reader over everything but the trailing checksum, once the checksum matches.
    static func checkedReader(_ raw: UnsafeRawBufferPointer, source: String) throws -> ByteReader {
        guard raw.count >= HNSWSnapshot.headerBytes + 4 else {
            throw VireoError(.corruption, "corruption in '\(source)': \(raw.count) bytes is too short")
        }
        let stored = raw.loadUnaligned(fromByteOffset: raw.count - 4, as: UInt32.self).littleEndian
        let computed = vireo_crc32c(0, raw.baseAddress, raw.count - 4)
        guard stored == computed else {
            throw VireoError(.corruption, "corruption in '\(source)': checksum \(stored) != computed \(computed)")
        }
        return ByteReader(UnsafeRawBufferPointer(rebasing: raw[0..<raw.count - 4]), source: source)
    }

    /// Reads the node sections into a new graph, validating every field; also whether a
    /// binary graph's centre is learned (true for the others).
    static func readGraph(_ reader: inout ByteReader, _ h: SnapshotHeader) throws -> (HNSWGraph, Bool) {
        let g = HNSWGraph(dimension: h.dimension, m: h.m, capacity: max(h.nodeCount, 16), quantization: h.quantization)
        let n = h.nodeCount
        var upperRead = 0
        do {
            try reader.read(into: g.labels, byteCount: n * 8)
            try reader.read(into: g.levels, byteCount: n * 4)
            try reader.read(into: g.tombstones, byteCount: n * 4)
            let packed = UnsafeMutableRawPointer.allocate(byteCount: g.packedRecordBytes, alignment: 64)
            defer { packed.deallocate() }
            for id in 0..<n {
                try reader.read(into: packed, byteCount: g.packedRecordBytes)
                g.unpackRecord(id, from: packed)
            }
            if h.version == HNSWSnapshot.versionWithFloats && g.quantization == .int8 { try reader.skip(n * h.dimension * 4) }
            for id in 0..<n {
                g.upperLinks[id] = nil
                upperRead = id + 1
                let level = Int(g.levels[id])
                guard (0...levelMax).contains(level), g.tombstones[id] <= 1 else {
                    throw reader.corrupt("node \(id): level \(level) or flag \(g.tombstones[id]) out of range")
                }
                guard level > 0 else { continue }
                let block = UnsafeMutablePointer<UInt32>.allocate(capacity: level * (1 + h.m))
                g.upperLinks[id] = block
                try reader.read(into: block, byteCount: level * (1 + h.m) * 4)
            }
            var trained = true
            if h.quantization == .binary {
                let flag = try reader.read(UInt32.self)
                let count = Int(try reader.read(UInt32.self))
                guard flag <= 1, (1...BinaryQuantizer.centreCountMax).contains(count) else {
                    throw reader.corrupt("binary centres: flag \(flag), count \(count)")
                }
                trained = flag == 1
                let values = UnsafeMutablePointer<Float>.allocate(capacity: count * h.dimension)
                defer { values.deallocate() }
                try reader.read(into: values, byteCount: count * h.dimension * 4)
                guard (0..<count * h.dimension).allSatisfy({ values[$0].isFinite }) else { throw reader.corrupt("binary centres not finite") }
                g.centres.set(values, count: count)
                for id in 0..<n {
                    if let problem = BinaryQuantizer.problems(g.binaryCode(UInt32(id)), centreCount: count, dimension: h.dimension) {
                        throw reader.corrupt("node \(id): \(problem)")
                    }
                }
            }
            guard reader.remaining == 0 else { throw reader.corrupt("\(reader.remaining) unexpected trailing bytes") }
            try validateLinks(g, h, reader)
            g.recountInLinks(nodeCount: n)
            return (g, trained)
        } catch {
            g.deallocate(nodeCount: upperRead)
            throw error
        }
    }

    /// Every link count within capacity, every link to another existing node that has
    /// the level, and an entry point at the max level: what searching relies on.
    static func validateLinks(_ g: HNSWGraph, _ h: SnapshotHeader, _ reader: ByteReader) throws {
        let n = h.nodeCount
        if let entry = h.entryPoint {
            guard Int(entry) < n, Int(g.levels[Int(entry)]) == h.maxLevel else {
                throw reader.corrupt("entry point \(entry) or max level \(h.maxLevel) inconsistent")
            }
        } else if n > 0 || h.maxLevel != -1 {
            throw reader.corrupt("\(n) nodes but no entry point")
        }
        for id in 0..<n {
            for level in 0...Int(g.levels[id]) {
                let list = g.linkList(UInt32(id), level: level)
                guard Int(list[0]) <= g.linkCapacity(level: level) else {
                    throw reader.corrupt("node \(id) level \(level): link count \(list[0]) over capacity")
                }
                for j in 0..<Int(list[0]) {
                    let link = Int(list[1 + j])
                    guard link < n, link != id, Int(g.levels[link]) >= level else {
                        throw reader.corrupt("node \(id) level \(level): bad link \(link)")
                    }
                }
            }
        }
    }
}

/// The fixed 64-byte header of a snapshot.
struct SnapshotHeader {
    var version: UInt32
    var metric: VectorMetric
    var quantization: VectorQuantization
    var dimension: Int, m: Int, efConstruction: Int, defaultEfSearch: Int
    var seed: UInt64, randomState: UInt64
    var nodeCount: Int
    var entryPoint: UInt32?
    var maxLevel: Int

    init(_ reader: inout ByteReader) throws {
        var magic = [UInt8](repeating: 0, count: 8)
        try reader.read(into: &magic, byteCount: 8)
        guard magic == HNSWSnapshot.magic else { throw reader.corrupt("bad magic \(magic)") }
        version = try reader.read(UInt32.self)
        guard version == HNSWSnapshot.version || version == HNSWSnapshot.versionWithFloats else {
            throw reader.corrupt("format version \(version), this build reads \(HNSWSnapshot.versionWithFloats)…\(HNSWSnapshot.version)")
        }
        let code = try reader.read(UInt8.self)
        guard let metric = VectorMetric(code: code) else { throw reader.corrupt("unknown metric code \(code)") }
        self.metric = metric
        let quantizationCode = try reader.read(UInt8.self)
        guard let quantization = VectorQuantization(code: quantizationCode) else {
            throw reader.corrupt("unknown quantization code \(quantizationCode)")
        }
        self.quantization = quantization
        _ = try reader.read(UInt16.self)
        dimension = Int(try reader.read(UInt32.self))
        m = Int(try reader.read(UInt32.self))
        efConstruction = Int(try reader.read(UInt32.self))
        defaultEfSearch = Int(try reader.read(UInt32.self))
        seed = try reader.read(UInt64.self)
        randomState = try reader.read(UInt64.self)
        let count = try reader.read(UInt64.self)
        let entry = try reader.read(UInt32.self)
        entryPoint = entry == HNSWSnapshot.noEntry ? nil : entry
        maxLevel = Int(try reader.read(Int32.self))
        guard (1...HNSWIndex.dimensionMax).contains(dimension), (2...HNSWIndex.mMax).contains(m),
              count <= UInt64(HNSWIndex.nodeCountMax),
              Int(count) * (4 * (1 + 2 * m) + Self.payloadBytesMin(quantization, dimension: dimension)) <= reader.remaining
        else { throw reader.corrupt("header fields out of range or larger than the file") }
        nodeCount = Int(count)
    }

    /// The fewest bytes a node's payload takes in a snapshot (for the size check).
    static func payloadBytesMin(_ quantization: VectorQuantization, dimension: Int) -> Int {
        switch quantization {
        case .none: 4 * dimension
        case .int8: 8
        case .binary: BinaryQuantizer.codeBytes(dimension: dimension)
        }
    }
}
