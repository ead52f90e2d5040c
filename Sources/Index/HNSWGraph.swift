import CVireoSupport

/// The memory of an HNSW graph, as plain pointers so hot loops pay no class-property
/// or exclusivity checks. The owning `HNSWIndex` replaces a `HNSWGraph` only under its
/// exclusive lock; everyone else copies it under the shared lock and uses the copy.
///
/// Layout of level 0: one contiguous record per node, `recordBytes` long, a multiple of
/// 64 bytes so that records, and the vectors inside them, start on cache lines (an
/// unaligned 384-d vector spans 25 lines instead of 24, and half its 64-byte loads split):
/// - `[linkCount: UInt32][links: UInt32 × linkCapacity0]`, zero padding to 64 bytes, then
///   `[vector: Float32 × dimension]`, zero padding
/// - or with int8 quantization, a 16-byte header right before 64-byte-aligned codes:
///   `[linkCount][links]`, padding, `[scale: Float32][squared norm: Float32]
///   [sum of codes: Int32][0: UInt32][codes: Int8 × dimension]`, padding. An int8 graph
///   keeps no float32 copy: re-ranking reads the full vectors through the caller's
///   `VectorSource` (in the SQL engine, the table's rows in the buffer pool), and building
///   compares codes with codes
/// - or with binary quantization, the same with a 32-byte header before 64-byte-aligned
///   bits: `[header: see VIREO_BIN_HEADER_BYTES][bits: UInt64 × ⌈dimension / 64⌉]` (see
///   BinaryQuantizer; the bits are the signs of the vector minus its nearest of `centres`)
/// Snapshots store records packed, without the padding or the int8 code sum (format v3; see
/// HNSWIndex+Snapshot.swift): `packedRecordBytes` each.
/// - upper levels: per node with level L > 0, one block of L × (1 + m) UInt32, level l
///   at offset (l − 1)(1 + m): `[linkCount][links × m]`
/// - per node: label (Int64), level (Int32), tombstone flag (UInt32, 0 or 1)
/// - per node, in memory only: how many level-0 lists link to it (`inLinks`), so that
///   pruning never drops a node's last in-link on level 0 (snapshots recount them)
///
/// Invariants: link counts never exceed the level's capacity; every stored link is the id
/// of a node whose record was complete before the link was published (links are stored
/// with release and loaded with acquire); vectors never change once published; a node's
/// `inLinks` never exceeds the number of level-0 lists holding it (counted up after a link
/// is stored, down before it is removed), and never drops from 1 to 0.
struct HNSWGraph: @unchecked Sendable {
    let dimension: Int
    let m: Int
    let quantization: VectorQuantization
    let linkCapacity0: Int
    let recordBytes: Int
    /// Offset of the float vector, or with int8 of the 16-byte code header.
    let vectorOffsetBytes: Int
    /// Bytes of `[linkCount][links]`.
    let linkBytes: Int
    /// Bytes of the payload in a snapshot: the vector, or scale, norm and codes padded to 4.
    let packedPayloadBytes: Int
    private(set) var capacity: Int
    private(set) var level0: UnsafeMutableRawPointer
    private(set) var labels: UnsafeMutablePointer<Int64>
    private(set) var levels: UnsafeMutablePointer<Int32>
    private(set) var tombstones: UnsafeMutablePointer<UInt32>
    private(set) var inLinks: UnsafeMutablePointer<UInt32>
    private(set) var upperLinks: UnsafeMutablePointer<UnsafeMutablePointer<UInt32>?>
    /// Binary quantization's centres (one zero centre until the index learns them; written
    /// only under the index's exclusive lock). Shared with the graph a grow makes.
    let centres: BinaryCentres

    init(dimension: Int, m: Int, capacity: Int, quantization: VectorQuantization = .none, centres: BinaryCentres? = nil) {
        self.dimension = dimension
        self.m = m
        self.quantization = quantization
        linkCapacity0 = 2 * m
        linkBytes = 4 * (1 + linkCapacity0)
        switch quantization {
        case .int8:
            let codesOffset = Self.roundUp(linkBytes + Int(VIREO_I8_HEADER_BYTES), 64)
            vectorOffsetBytes = codesOffset - Int(VIREO_I8_HEADER_BYTES)
            recordBytes = Self.roundUp(codesOffset + dimension, 64)
            packedPayloadBytes = 8 + Self.roundUp(dimension, 4)
        case .binary:
            let codesOffset = Self.roundUp(linkBytes + Int(VIREO_BIN_HEADER_BYTES), 64)
            vectorOffsetBytes = codesOffset - Int(VIREO_BIN_HEADER_BYTES)
            recordBytes = Self.roundUp(vectorOffsetBytes + BinaryQuantizer.codeBytes(dimension: dimension), 64)
            packedPayloadBytes = BinaryQuantizer.codeBytes(dimension: dimension)
        case .none:
            vectorOffsetBytes = Self.roundUp(linkBytes, 64)
            recordBytes = Self.roundUp(vectorOffsetBytes + 4 * dimension, 64)
            packedPayloadBytes = 4 * dimension
        }
        self.capacity = max(capacity, 1)
        level0 = LargeAllocation.allocate(byteCount: self.capacity * recordBytes)
        labels = .allocate(capacity: self.capacity)
        levels = .allocate(capacity: self.capacity)
        tombstones = .allocate(capacity: self.capacity)
        inLinks = .allocate(capacity: self.capacity)
        inLinks.initialize(repeating: 0, count: self.capacity)
        upperLinks = .allocate(capacity: self.capacity)
        self.centres = centres ?? BinaryCentres(dimension: dimension,
                                                capacity: quantization == .binary ? BinaryQuantizer.centreCountMax : 1)
    }

    /// Whether the records hold codes instead of float vectors (int8 or binary).
    var quantized: Bool { quantization != .none }

    static func roundUp(_ value: Int, _ multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }

    /// Bytes of one level-0 record in a snapshot.
    var packedRecordBytes: Int { linkBytes + packedPayloadBytes }

    /// Where a batch distance kernel finds node `id`'s vector (float) or code header
    /// (int8): `base + id * recordBytes`.
    var payloadBase: UnsafeRawPointer { UnsafeRawPointer(level0 + vectorOffsetBytes) }

    /// Frees everything; `nodeCount` nodes have upper-level blocks to free.
    func deallocate(nodeCount: Int) {
        for i in 0..<nodeCount { upperLinks[i]?.deallocate() }
        LargeAllocation.free(level0)
        labels.deallocate()
        levels.deallocate()
        tombstones.deallocate()
        inLinks.deallocate()
        upperLinks.deallocate()
    }

    /// Moves the first `nodeCount` nodes into arrays of `newCapacity`.
    mutating func grow(to newCapacity: Int, nodeCount: Int) {
        let bigger = HNSWGraph(dimension: dimension, m: m, capacity: newCapacity, quantization: quantization, centres: centres)
        bigger.level0.copyMemory(from: level0, byteCount: nodeCount * recordBytes)
        bigger.labels.update(from: labels, count: nodeCount)
        bigger.levels.update(from: levels, count: nodeCount)
        bigger.tombstones.update(from: tombstones, count: nodeCount)
        bigger.inLinks.update(from: inLinks, count: nodeCount)
        bigger.upperLinks.update(from: upperLinks, count: nodeCount)
        LargeAllocation.free(level0)
        labels.deallocate()
        levels.deallocate()
        tombstones.deallocate()
        inLinks.deallocate()
        upperLinks.deallocate()
        self = bigger
    }

    /// Bytes held by the arrays for `nodeCount` nodes, upper-level blocks included.
    func memoryBytes(nodeCount: Int) -> Int {
        var total = capacity * (recordBytes + 8 + 4 + 4 + 4 + 8) + 4 * dimension * centres.count
        for i in 0..<nodeCount where levels[i] > 0 { total += Int(levels[i]) * (1 + m) * 4 }
        return total
    }

    /// The float32 vector of `id`; only a float graph has one (an int8 graph keeps codes).
    @inline(__always)
    func vector(_ id: UInt32) -> UnsafeMutablePointer<Float> {
        assert(!quantized, "an int8 graph keeps no float vectors")
        return (level0 + Int(id) * recordBytes + vectorOffsetBytes).assumingMemoryBound(to: Float.self)
    }

    /// Node `id`'s binary code (header, then bits; only with binary quantization).
    @inline(__always)
    func binaryCode(_ id: UInt32) -> UnsafeRawPointer {
        UnsafeRawPointer(level0 + Int(id) * recordBytes + vectorOffsetBytes)
    }

    /// Quantized form of `id` (only with int8): scale, squared norm, int8 codes.
    @inline(__always)
    func code(_ id: UInt32) -> (scale: Float, normSquared: Float, codes: UnsafePointer<Int8>) {
        let base = level0 + Int(id) * recordBytes + vectorOffsetBytes
        return (base.load(as: Float.self), base.load(fromByteOffset: 4, as: Float.self),
                UnsafePointer((base + Int(VIREO_I8_HEADER_BYTES)).assumingMemoryBound(to: Int8.self)))
    }

    /// Copies node `id`'s level-0 record, packed, to `destination` (`packedRecordBytes`).
    func packRecord(_ id: Int, into destination: UnsafeMutableRawPointer) {
        let record = level0 + id * recordBytes
        destination.copyMemory(from: record, byteCount: linkBytes)
        let payload = destination + linkBytes
        if quantization == .int8 {
            payload.copyMemory(from: record + vectorOffsetBytes, byteCount: 8)
            payload.advanced(by: 8).initializeMemory(as: UInt8.self, repeating: 0, count: packedPayloadBytes - 8)
            payload.advanced(by: 8).copyMemory(from: record + vectorOffsetBytes + Int(VIREO_I8_HEADER_BYTES), byteCount: dimension)
        } else {
            payload.copyMemory(from: record + vectorOffsetBytes, byteCount: packedPayloadBytes)
        }
    }

    /// Writes node `id`'s level-0 record from its packed form (`packedRecordBytes`),
    /// zeroing the padding and recomputing the code sum.
    func unpackRecord(_ id: Int, from source: UnsafeRawPointer) {
        let record = level0 + id * recordBytes
        record.initializeMemory(as: UInt8.self, repeating: 0, count: recordBytes)
        record.copyMemory(from: source, byteCount: linkBytes)
        let payload = source + linkBytes
        if quantization == .int8 {
            let header = record + vectorOffsetBytes
            header.copyMemory(from: payload, byteCount: 8)
            let codes = header + Int(VIREO_I8_HEADER_BYTES)
            codes.copyMemory(from: payload + 8, byteCount: dimension)
            header.storeBytes(of: Self.codeSum(codes.assumingMemoryBound(to: Int8.self), dimension), toByteOffset: 8, as: Int32.self)
        } else {
            (record + vectorOffsetBytes).copyMemory(from: payload, byteCount: packedPayloadBytes)
        }
    }

    static func codeSum(_ codes: UnsafePointer<Int8>, _ count: Int) -> Int32 {
        var sum: Int32 = 0
        for i in 0..<count { sum += Int32(codes[i]) }
        return sum
    }

    /// The link list of `id` at `level`: element 0 is the count, then the links.
    @inline(__always)
    func linkList(_ id: UInt32, level: Int) -> UnsafeMutablePointer<UInt32> {
        if level == 0 {
            return (level0 + Int(id) * recordBytes).assumingMemoryBound(to: UInt32.self)
        }
        return upperLinks[Int(id)]! + (level - 1) * (1 + m)
    }

    @inline(__always)
    func linkCapacity(level: Int) -> Int { level == 0 ? linkCapacity0 : m }

    @inline(__always)
    func isDeleted(_ id: UInt32) -> Bool { vireo_load_acquire_u32(tombstones + Int(id)) != 0 }

    @inline(__always)
    func setFlag(_ id: UInt32, _ flag: UInt32) { vireo_store_release_u32(tombstones + Int(id), flag) }

    /// Writes a node's vector (or its codes; binary codes against the nearest of `centres`), label and level and empties its link lists. Called
    /// before any other thread can know the id; the caller then publishes it by storing
    /// `NodeFlag.live` into its tombstone slot.
    func initializeNode(_ id: UInt32, label: Int64, level: Int, vector: UnsafePointer<Float>) {
        let i = startNode(id, label: label, level: level)
        if quantization == .binary {
            BinaryQuantizer.encode(vector, centres: centres, into: level0 + i * recordBytes + vectorOffsetBytes)
        } else if quantized {
            let base = level0 + i * recordBytes + vectorOffsetBytes
            let codes = (base + Int(VIREO_I8_HEADER_BYTES)).assumingMemoryBound(to: Int8.self)
            let (scale, normSquared) = Int8Quantizer.encode(vector, count: dimension, into: codes)
            base.storeBytes(of: scale, as: Float.self)
            base.storeBytes(of: normSquared, toByteOffset: 4, as: Float.self)
            base.storeBytes(of: Self.codeSum(codes, dimension), toByteOffset: 8, as: Int32.self)
        } else {
            self.vector(id).update(from: vector, count: dimension)
        }
        initializeLinks(i, level: level)
    }

    /// Writes a node whose code (header and codes) is copied from node `source` of the
    /// quantized graph `from` (a rebuild, which has no float vectors to encode again).
    func initializeNode(_ id: UInt32, label: Int64, level: Int, copyingCodesOf source: UInt32, from: HNSWGraph) {
        let i = startNode(id, label: label, level: level)
        let codeBytes = quantization == .binary ? BinaryQuantizer.codeBytes(dimension: dimension)
            : Int(VIREO_I8_HEADER_BYTES) + dimension
        (level0 + i * recordBytes + vectorOffsetBytes).copyMemory(
            from: from.level0 + Int(source) * from.recordBytes + from.vectorOffsetBytes, byteCount: codeBytes)
        initializeLinks(i, level: level)
    }

    /// Sets a new node's label and level and zeroes its level-0 record; returns its index.
    private func startNode(_ id: UInt32, label: Int64, level: Int) -> Int {
        let i = Int(id)
        labels[i] = label
        levels[i] = Int32(level)
        inLinks[i] = 0
        (level0 + i * recordBytes).initializeMemory(as: UInt8.self, repeating: 0, count: recordBytes)
        return i
    }

    private func initializeLinks(_ i: Int, level: Int) {
        if level > 0 {
            let block = UnsafeMutablePointer<UInt32>.allocate(capacity: level * (1 + m))
            block.initialize(repeating: 0, count: level * (1 + m))
            upperLinks[i] = block
        } else {
            upperLinks[i] = nil
        }
    }

    /// Replaces a link list; the caller holds the node's stripe lock.
    @inline(__always)
    func setLinks(_ id: UInt32, level: Int, _ links: [UInt32]) {
        let list = linkList(id, level: level)
        for (j, link) in links.enumerated() { vireo_store_release_u32(list + 1 + j, link) }
        vireo_store_release_u32(list, UInt32(links.count))
    }
}

extension HNSWGraph {
    /// Counts, after `id`'s level-0 list has stored a link to `target`, that link.
    @inline(__always)
    func noteInLink(_ target: UInt32) { vireo_increment_u32(inLinks + Int(target)) }

    /// Claims the removal of one level-0 link to `target`, before it is removed: false,
    /// claiming nothing, when it is the last one (the link must then stay).
    @inline(__always)
    func releaseInLink(_ target: UInt32) -> Bool { vireo_decrement_above_one_u32(inLinks + Int(target)) != 0 }

    @inline(__always)
    func inLinkCount(_ id: UInt32) -> UInt32 { vireo_load_acquire_u32(inLinks + Int(id)) }

    /// How many level-0 lists link to each of the first `nodeCount` nodes.
    func countInLinks(nodeCount: Int) -> [UInt32] {
        var counts = [UInt32](repeating: 0, count: nodeCount)
        for id in 0..<nodeCount {
            let list = linkList(UInt32(id), level: 0)
            for j in 0..<Int(list[0]) where Int(list[1 + j]) < nodeCount { counts[Int(list[1 + j])] += 1 }
        }
        return counts
    }

    /// Sets `inLinks` from the lists (after reading a snapshot). Not concurrent with inserts.
    func recountInLinks(nodeCount: Int) {
        for (id, count) in countInLinks(nodeCount: nodeCount).enumerated() { inLinks[id] = count }
    }
}
