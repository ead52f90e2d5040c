import Foundation
import Testing
@testable import VireoStorage

/// Compact leaf cells (format version 2, BTreeNode.swift): their size, round trips through
/// every tree operation, files of format version 1 (legacy leaves) read, converted as they
/// are written and raised to version 2, and a newer version refused.
@Suite("Compact leaf cells and legacy leaves")
struct CompactLeafTests {
    /// Rows of the fixture: key, then value, with some values in overflow pages.
    static func fixtureValue(_ number: Int) -> [UInt8] {
        valueBytes(number, length: number % 97 == 0 ? 20_000 : 10 + number % 40)
    }

    /// A database with table "t" (raw row-id keys) holding 3,000 rows of which two in three
    /// were removed again, so its leaves are about a third full and fit in legacy cells.
    static func makeThinnedDatabase(_ path: String, _ backend: any IOBackend) throws -> (BTree, [[UInt8]: [UInt8]]) {
        let store = try Store.open(path: path, options: testOptions(backend))
        defer { try? store.close() }
        var model: [[UInt8]: [UInt8]] = [:]
        let tree = try store.write { transaction -> BTree in
            try transaction.createTable(TableDefinition(name: "t", columns: [], rowKeyForm: .fixed))
            let tree = try transaction.table("t").tree
            for number in 0..<3_000 {
                let key = KeyCodec.encodeRowID(Int64(number), form: .fixed)
                try tree.insert(key: key, value: fixtureValue(number), in: transaction.pages)
                model[key] = fixtureValue(number)
            }
            return tree
        }
        try store.write { transaction in
            for number in 0..<3_000 where number % 3 != 0 {
                let key = KeyCodec.encodeRowID(Int64(number), form: .fixed)
                try tree.remove(key: key, in: transaction.pages)
                model[key] = nil
            }
        }
        return (tree, model)
    }

    /// Rewrites every B+tree leaf of the file in the legacy cell layout and sets format
    /// version 1: the file a version-1 build would have written with the same rows.
    static func makeLegacy(_ path: String, _ backend: any IOBackend) throws {
        let pager = try Pager.open(path: path, options: testOptions(backend))
        defer { try? pager.close() }
        try writePages(pager) { transaction in
            let pageCount: UInt32 = try transaction.withPage(0) { $0.loadLE(at: MetaPage.pageCountOffset) }
            for pageNumber in 1..<pageCount where try transaction.withPage(pageNumber, { BTreeNode.isLeaf($0) }) {
                try transaction.withMutablePage(pageNumber) { try rewriteLegacy($0) }
            }
            try transaction.withMutablePage(0) { $0.storeLE(UInt32(1), at: MetaPage.versionOffset) }
        }
    }

    /// The legacy layout of a leaf: key length u16, flags u8, value length u32, key, value.
    static func rewriteLegacy(_ page: UnsafeMutableRawBufferPointer) throws {
        let view = UnsafeRawBufferPointer(page)
        let cells = try (0..<BTreeNode.cellCount(view)).map { index -> [UInt8] in
            let cell = try BTreeNode.leafCell(view, index)
            var bytes = [UInt8]()
            appendLE(UInt16(cell.keyLength), to: &bytes)
            bytes.append(cell.isOverflow ? BTreeNode.overflowFlag : 0)
            appendLE(UInt32(cell.valueLength), to: &bytes)
            let offset = try BTreeNode.cellOffset(view, index)
            bytes.append(contentsOf: view[cell.keyStart..<(offset + cell.size(from: offset))])
            return bytes
        }
        #expect(BTreeNode.bytesNeeded(cells) <= BTreeNode.usableBytes, "the fixture's leaf fits in legacy cells")
        var end = page.count
        for (index, cell) in cells.enumerated() {
            end -= cell.count
            cell.withUnsafeBytes { (page.baseAddress! + end).copyMemory(from: $0.baseAddress!, byteCount: cell.count) }
            page.storeLE(UInt16(end), at: BTreeNode.slotArrayOffset + 2 * index)
        }
        page.storeLE(UInt16(cells.count), at: BTreeNode.cellCountOffset)
        page.storeLE(UInt16(end), at: BTreeNode.contentStartOffset)
        page.storeLE(UInt16(0), at: BTreeNode.fragmentedOffset)
        page[BTreeNode.nodeFlagsOffset] = 0
    }

    /// Format version and the numbers of legacy and compact leaves, read from the file.
    static func census(_ path: String, _ backend: any IOBackend) throws -> (version: UInt32, legacy: Int, compact: Int) {
        let pager = try Pager.open(path: path, options: testOptions(backend))
        defer { try? pager.close() }
        return try census(pager)
    }

    static func census(_ pager: Pager) throws -> (version: UInt32, legacy: Int, compact: Int) {
        try pager.read { view in
            let version: UInt32 = try view.withPage(0) { $0.loadLE(at: MetaPage.versionOffset) }
            let pageCount: UInt32 = try view.withPage(0) { $0.loadLE(at: MetaPage.pageCountOffset) }
            var legacy = 0
            var compact = 0
            for pageNumber in 1..<pageCount {
                try view.withPage(pageNumber) { page in
                    guard BTreeNode.isLeaf(page) else { return }
                    if BTreeNode.isCompactLeaf(page) { compact += 1 } else { legacy += 1 }
                }
            }
            return (version, legacy, compact)
        }
    }

    @Test("a compact cell of an 8-byte key and a 20-byte value takes 30 bytes and a slot")
    func cellSize() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/size.vireo", options: testOptions(backend))
            defer { try? store.close() }
            let tree = try store.write { transaction -> BTree in
                try transaction.createTable(TableDefinition(name: "t", columns: [], rowKeyForm: .fixed))
                let tree = try transaction.table("t").tree
                try tree.insert(key: KeyCodec.encodeRowID(1, form: .fixed), value: valueBytes(1, length: 20), in: transaction.pages)
                // 200 bytes: the value length (400 with the flag bit) takes two varint bytes.
                try tree.insert(key: KeyCodec.encodeRowID(2, form: .fixed), value: valueBytes(2, length: 200), in: transaction.pages)
                return tree
            }
            let (used, compact, sizes) = try store.pager.read { view in
                try tree.node(view, tree.root) { page in
                    (BTreeNode.usedBytes(page), BTreeNode.isCompactLeaf(page), try (0..<2).map { try BTreeNode.cellSize(page, $0) })
                }
            }
            #expect(compact)
            #expect(sizes == [2 + 8 + 20, 3 + 8 + 200])
            #expect(used == 30 + 211 + 4)
            #expect(try contents(of: tree, in: store.pager)[KeyCodec.encodeRowID(2, form: .fixed)] == valueBytes(2, length: 200))
            #expect(try Self.census(store.pager).version == StorageFormat.newFileVersion, "a new file has the version every file needs")
        }
    }

    @Test("a version-1 file with legacy leaves reads as it is and stays version 1 until written")
    func legacyFileReads() throws {
        try withBackend(.posix) { backend, directory in
            let path = directory + "/legacy.vireo"
            let (tree, model) = try Self.makeThinnedDatabase(path, backend)
            try Self.makeLegacy(path, backend)
            let before = try Self.census(path, backend)
            #expect(before.version == 1 && before.compact == 0 && before.legacy > 5, "fixture: \(before)")
            let store = try Store.open(path: path, options: testOptions(backend))
            #expect(try contents(of: tree, in: store.pager) == model)
            try expectSound(store)
            try store.close()
            let after = try Self.census(path, backend)
            #expect(after.version == 1 && after.compact == 0, "reading wrote nothing: \(after)")
        }
    }

    @Test("writing into a version-1 file converts the leaves it writes, raises the version, and keeps every row",
          arguments: BackendKind.allCases)
    func legacyFileConverts(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let path = directory + "/legacy.vireo"
            let (tree, fixtureModel) = try Self.makeThinnedDatabase(path, backend)
            var model = fixtureModel
            try Self.makeLegacy(path, backend)
            let legacyBefore = try Self.census(path, backend).legacy
            var store = try Store.open(path: path, options: testOptions(backend))
            // One row in a legacy leaf overwritten with a value of its own size: the leaf
            // is converted first, so the cell (smaller now) is still overwritten in place.
            try store.write { transaction in
                let key = KeyCodec.encodeRowID(2_400, form: .fixed)
                let value = valueBytes(-1, length: Self.fixtureValue(2_400).count)
                try tree.insert(key: key, value: value, in: transaction.pages)
                model[key] = value
            }
            let afterOne = try Self.census(store.pager)
            #expect(afterOne.version == 2, "the first write raised the version")
            #expect(afterOne.legacy < legacyBefore && afterOne.legacy >= legacyBefore - 2, "only the written leaves converted: \(afterOne) of \(legacyBefore)")
            let (written, untouched) = try store.pager.read { view in
                try [2_400, 0].map { number in
                    let leaf = try KeyCodec.encodeRowID(Int64(number), form: .fixed).withUnsafeBytes { key in
                        try tree.descend(to: key, in: view) { _, _ in }
                    }
                    return try tree.node(view, leaf) { BTreeNode.isCompactLeaf($0) }
                }.pair
            }
            #expect(written && !untouched, "the leaf of the overwritten row is compact, the first leaf still legacy")
            // Everything else: inserts between legacy cells (splits), growing and shrinking
            // updates, overflow values in and out, removals down to merges.
            try store.write { transaction in
                for number in 0..<3_000 {
                    let key = KeyCodec.encodeRowID(Int64(number), form: .fixed)
                    switch number % 7 {
                    case 0: try tree.insert(key: key, value: valueBytes(number, length: 60), in: transaction.pages)  // grows
                            model[key] = valueBytes(number, length: 60)
                    case 1: try tree.insert(key: key, value: valueBytes(number, length: 3), in: transaction.pages)  // shrinks or new
                            model[key] = valueBytes(number, length: 3)
                    case 2: try tree.insert(key: key, value: valueBytes(number, length: 9_000), in: transaction.pages)  // overflow
                            model[key] = valueBytes(number, length: 9_000)
                    case 3: #expect(try tree.remove(key: key, in: transaction.pages) == (model[key] != nil))
                            model[key] = nil
                    default: break
                    }
                }
            }
            #expect(try contents(of: tree, in: store.pager) == model)
            try expectSound(store)
            try store.write { transaction in
                for number in 0..<2_800 {
                    let key = KeyCodec.encodeRowID(Int64(number), form: .fixed)
                    if model[key] != nil { try tree.remove(key: key, in: transaction.pages) }
                    model[key] = nil
                }
            }
            try expectSound(store)
            try store.close()
            store = try Store.open(path: path, options: testOptions(backend))
            #expect(try contents(of: tree, in: store.pager) == model, "after reopen")
            try expectSound(store)
            try store.close()
            let after = try Self.census(path, backend)
            #expect(after.version == 2 && after.compact > 0, "\(after)")
        }
    }

    @Test("a file of a newer format version is refused with an error that says so")
    func newerVersionRefused() throws {
        try withBackend(.posix) { backend, directory in
            let path = directory + "/newer.vireo"
            let pager = try Pager.open(path: path, options: testOptions(backend))
            try writePages(pager) { transaction in
                try transaction.withMutablePage(0) { $0.storeLE(StorageFormat.version + 1, at: MetaPage.versionOffset) }
            }
            try pager.close()
            #expect {
                try Pager.open(path: path, options: testOptions(backend))
            } throws: { error in
                "\(error)".contains("format version \(StorageFormat.version + 1)") && "\(error)".contains("newer build")
                    && !"\(error)".contains("damaged")
            }
        }
    }

    /// `BTreeNode.search` reads a compact leaf's usual cells (both lengths in one byte) by a
    /// path of their own and the others through `key`; both must agree with the keys' order.
    @Test("a leaf's binary search places every key, present or not, in compact and legacy cells with long keys and values")
    func leafSearchAgreesWithKeyOrder() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/search.vireo", options: testOptions(backend))
            defer { try? store.close() }
            var random = SplitMix64(seed: 0x5EA4C8)
            let lengths = [1, 2, 3, 9, 130, 200]
            let alphabet: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0xFF]
            var keys = Set<[UInt8]>()
            while keys.count < 40 {  // keys of 128 bytes or more and values of 64 or more take two-byte lengths
                let length = lengths[Int.random(in: 0..<lengths.count, using: &random)]
                var key: [UInt8] = []
                for _ in 0..<length { key.append(alphabet[Int.random(in: 0..<alphabet.count, using: &random)]) }
                keys.insert(key)
            }
            let tree = try store.write { transaction -> BTree in
                try transaction.createTable(TableDefinition(name: "t", columns: [], rowKeyForm: .fixed))
                let tree = try transaction.table("t").tree
                for (number, key) in keys.enumerated() {
                    try tree.insert(key: key, value: valueBytes(number, length: number % 2 == 0 ? 10 : 100), in: transaction.pages)
                }
                return tree
            }
            let sorted = keys.sorted { $0.lexicographicallyPrecedes($1) }
            var probes: [[UInt8]] = sorted + [[], [0xFF, 0xFF, 0xFF]]
            for key in sorted { probes += [key + [0], Array(key.dropLast()), key + [0xFF]] }
            for legacy in [false, true] {
                if legacy { try writePages(store.pager) { try $0.withMutablePage(tree.root) { try Self.rewriteLegacy($0) } } }
                try store.pager.read { view in
                    try view.withPage(tree.root) { page in
                        #expect(BTreeNode.isLeaf(page) && BTreeNode.isCompactLeaf(page) == !legacy, "one leaf, legacy \(legacy)")
                        for probe in probes {
                            let (index, found) = try probe.withUnsafeBytes { try BTreeNode.search(page, $0) }
                            let expected = sorted.firstIndex { !$0.lexicographicallyPrecedes(probe) } ?? sorted.count
                            let present = expected < sorted.count && sorted[expected] == probe
                            #expect(index == expected && found == present,
                                    "legacy \(legacy), key \(probe): expected (\(expected), \(present)), got (\(index), \(found))")
                        }
                    }
                }
            }
            // A cell count whose slot array would run past the page: reported, not read past it.
            try writePages(store.pager) { try $0.withMutablePage(tree.root) { $0.storeLE(UInt16(5_000), at: BTreeNode.cellCountOffset) } }
            #expect(throws: VireoError.self) { try store.pager.read { view in try tree.value(forKey: sorted[0], in: view) } }
            #expect(throws: VireoError.self, "a scan of its cells") { try contents(of: tree, in: store.pager) }
        }
    }

    @Test("malformed compact headers and unknown node flags are reported, not misread")
    func malformedHeaders() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/bad.vireo", options: testOptions(backend))
            defer { try? store.close() }
            let tree = try store.write { transaction -> BTree in
                try transaction.createTable(TableDefinition(name: "t", columns: [], rowKeyForm: .fixed))
                let tree = try transaction.table("t").tree
                for number in 0..<10 {
                    try tree.insert(key: KeyCodec.encodeRowID(Int64(number), form: .fixed), value: valueBytes(number, length: 20), in: transaction.pages)
                }
                return tree
            }
            try expectSound(store)
            // A value length that runs past the page end.
            var saved: [UInt8] = []
            try writePages(store.pager) { transaction in
                try transaction.withMutablePage(tree.root) { page in
                    let offset = Int(page.loadLE(at: BTreeNode.slotArrayOffset) as UInt16)
                    saved = [page[offset + 1], page[offset + 2]]
                    page[offset + 1] = 0xFE
                    page[offset + 2] = 0x7F
                }
            }
            #expect(throws: VireoError.self) { try contents(of: tree, in: store.pager) }
            #expect(try !store.checkIntegrity().isSound)
            // An unknown node flag.
            try writePages(store.pager) { transaction in
                try transaction.withMutablePage(tree.root) { page in
                    let offset = Int(page.loadLE(at: BTreeNode.slotArrayOffset) as UInt16)
                    page[offset + 1] = saved[0]
                    page[offset + 2] = saved[1]
                    page[BTreeNode.nodeFlagsOffset] = 0x81
                }
            }
            let report = try store.checkIntegrity()
            #expect(!report.isSound && "\(report)".contains("unknown node flags"), "\(report)")
        }
    }
}

private extension Array {
    /// The two elements of a two-element array.
    var pair: (Element, Element) { (self[0], self[1]) }
}
