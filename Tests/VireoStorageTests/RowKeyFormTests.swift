import Foundation
import Testing
@testable import VireoStorage

/// Row-id keys in their two forms (KeyCodec+RowID.swift): the compact form's bytes, order
/// and round trip at every length class; tables with the fixed 8-byte keys older builds
/// wrote still read, change and scan; a compact-keyed table raises the format version;
/// the integrity check reads both forms and finds bad keys.
@Suite("Row-id keys, fixed and compact")
struct RowKeyFormTests {
    /// Every id at and around a length-class boundary of the compact form, both signs,
    /// in ascending order.
    static let boundaryIDs: [Int64] = {
        var ids: Set<Int64> = [.min, .min + 1, -1, 0, 1, .max - 1, .max]
        for length in 1...7 {
            let power = Int64(1) << (8 * length)
            ids.formUnion([power - 2, power - 1, power, power + 1, -power - 1, -power, -power + 1])
        }
        ids.formUnion([Int64(1) << 56 - 1, Int64(1) << 56, -(Int64(1) << 56), -(Int64(1) << 56) - 1])
        return ids.sorted()
    }()

    @Test("compact keys: the class byte and the significant bytes, at each length")
    func compactBytes() {
        let cases: [(Int64, [UInt8])] = [
            (0, [0x80]), (1, [0x81, 0x01]), (255, [0x81, 0xFF]), (256, [0x82, 0x01, 0x00]),
            (100_000, [0x83, 0x01, 0x86, 0xA0]), (-1, [0x7F]), (-2, [0x7E, 0xFE]), (-256, [0x7E, 0x00]),
            (-257, [0x7D, 0xFE, 0xFF]), (.max, [0x88, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            (.min, [0x77, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
        ]
        for (id, expected) in cases {
            let bytes = KeyCodec.encodeRowID(id, form: .compact)
            #expect(bytes == expected, "id \(id): expected \(expected), got \(bytes)")
        }
        #expect(KeyCodec.encodeRowID(1, form: .fixed) == [0x80, 0, 0, 0, 0, 0, 0, 1], "the fixed form is the bytes older builds wrote")
    }

    @Test("around every length class, both forms keep integer order and round trip exactly")
    func boundaries() throws {
        for form in [RowKeyForm.fixed, .compact] {
            let keys = Self.boundaryIDs.map { KeyCodec.encodeRowID($0, form: form) }
            for (index, pair) in zip(keys, keys.dropFirst()).enumerated() {
                #expect(pair.0.lexicographicallyPrecedes(pair.1),
                        "\(form): \(Self.boundaryIDs[index]) should sort before \(Self.boundaryIDs[index + 1]) (\(pair.0) vs \(pair.1))")
            }
            for (id, key) in zip(Self.boundaryIDs, keys) {
                let back = try KeyCodec.decodeRowID(key, form: form)
                #expect(back == id, "\(form): expected \(id), got \(back) from \(key)")
                let magnitude = UInt64(bitPattern: id < 0 ? ~id : id)
                let expectedCount = form == .fixed ? 8 : 1 + (64 - magnitude.leadingZeroBitCount + 7) / 8
                #expect(key.count == expectedCount, "\(form): id \(id) is \(key.count) bytes, expected \(expectedCount)")
            }
        }
    }

    @Test("property: for random pairs of ids, memcmp order of the keys is integer order")
    func randomPairsKeepOrder() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = CodecTestRandom(seed: seed)
        // Ids of every bit length and sign, so every class meets every other.
        func randomID() -> Int64 {
            let bits = Int.random(in: 0...64, using: &random)
            let raw = bits == 0 ? 0 : UInt64.random(in: 0...UInt64.max, using: &random) >> (64 - bits)
            return Bool.random(using: &random) ? Int64(bitPattern: raw) : ~Int64(bitPattern: raw)
        }
        for _ in 0..<20_000 {
            let (a, b) = (randomID(), randomID())
            for form in [RowKeyForm.fixed, .compact] {
                let (keyA, keyB) = (KeyCodec.encodeRowID(a, form: form), KeyCodec.encodeRowID(b, form: form))
                let keyOrder = keyA.lexicographicallyPrecedes(keyB) ? -1 : (keyA == keyB ? 0 : 1)
                let idOrder = a < b ? -1 : (a == b ? 0 : 1)
                #expect(keyOrder == idOrder, "seed \(seed), \(form): \(a) vs \(b) gave key order \(keyOrder)")
                #expect(try KeyCodec.decodeRowID(keyA, form: form) == a, "seed \(seed), \(form): \(a) does not round trip")
            }
        }
    }

    @Test("the stack, appended and array encodings are the same bytes")
    func encodingsAgree() {
        for id in Self.boundaryIDs {
            for form in [RowKeyForm.fixed, .compact] {
                let array = KeyCodec.encodeRowID(id, form: form)
                let stack = KeyCodec.withRowIDKey(id, form: form) { Array($0) }
                var appended: [UInt8] = [0xAB]
                KeyCodec.appendRowID(id, form: form, to: &appended)
                #expect(stack == array && Array(appended.dropFirst()) == array, "\(form), \(id): \(stack) / \(appended) / \(array)")
            }
        }
    }

    @Test("malformed compact keys are corruption errors; random bytes decode only as the key of their id")
    func malformedCompactKeys() throws {
        let bad: [[UInt8]] = [
            [], [0x76], [0x89], [0x00], [0xFF], [0x81], [0x80, 0x00], [0x82, 0x01],
            [0x81, 0x00], [0x7E, 0xFF], [0x83, 0x00, 0x01, 0x02],
            [0x88, 0x80, 0, 0, 0, 0, 0, 0, 0], [0x77, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        ]
        for bytes in bad {
            #expect(throws: VireoError.self, "\(bytes) should not decode") { try KeyCodec.decodeRowID(bytes, form: .compact) }
        }
        #expect(throws: VireoError.self) { try KeyCodec.decodeRowID([1, 2, 3], form: .fixed) }
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = CodecTestRandom(seed: seed)
        var accepted = 0
        for _ in 0..<20_000 {
            let count = Int.random(in: 1...9, using: &random)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            bytes[0] = UInt8(Int(KeyCodec.compactNegativeClass) - 8 + Int.random(in: 0...17, using: &random))
            guard let id = try? KeyCodec.decodeRowID(bytes, form: .compact) else { continue }
            accepted += 1
            #expect(KeyCodec.encodeRowID(id, form: .compact) == bytes, "seed \(seed): \(bytes) decoded as \(id), whose key differs")
        }
        #expect(accepted > 100, "seed \(seed): only \(accepted) random keys were valid")
    }

    // MARK: Tables

    static func table(_ name: String, _ form: RowKeyForm) -> TableDefinition {
        TableDefinition(name: name, columns: [
            ColumnDefinition(name: "id", type: .int, notNull: true), ColumnDefinition(name: "name", type: .text),
        ], rowIDColumn: 0, rowKeyForm: form)
    }

    static let ids: [Int64] = [-70_000, -300, -1, 0, 1, 2, 255, 256, 65_535, 65_536, 1 << 40]

    /// Creates table `name` with keys in `form` and a row for each of `ids`.
    static func create(_ name: String, _ form: RowKeyForm, in store: Store) throws {
        try store.write { transaction in
            try transaction.createTable(table(name, form))
            for id in ids { try transaction.insert(into: name, row: [.int(id), .text("row \(id)")]) }
        }
    }

    /// Sets the file's format version, as an older build left it (a new file gets this
    /// build's version).
    static func setVersion(_ version: UInt32, _ store: Store) throws {
        try store.write { transaction in
            try transaction.pages.withMutablePage(0) { $0.storeLE(version, at: MetaPage.versionOffset) }
        }
    }

    static func version(_ store: Store) throws -> UInt32 {
        try store.pager.read { view in try view.withPage(0) { $0.loadLE(at: MetaPage.versionOffset) } }
    }

    /// Row ids of `table` as a scan between `lower` and `upper` sees them.
    static func scan(_ store: Store, _ table: String, from lower: Int64? = nil, to upper: Int64? = nil, reverse: Bool = false) throws -> [Int64] {
        try store.read { snapshot in
            var ids: [Int64] = []
            try snapshot.scanRows(try snapshot.table(table), from: lower, to: upper, reverse: reverse) { id, record in
                let idColumn = try record.values()[0]
                #expect(idColumn == .int(id), "row \(id) reads its id column as \(idColumn)")
                ids.append(id)
                return true
            }
            return ids
        }
    }

    @Test("a table with the fixed keys an older build wrote reads, updates, deletes, scans and grows after reopen")
    func fixedKeyTableStillWorks() throws {
        try withBackend(.posix) { backend, directory in
            let path = directory + "/old.vireo"
            var store = try Store.open(path: path, options: testOptions(backend))
            try Self.setVersion(2, store)
            // What a format-2 build wrote: 8-byte keys, no "rowKeys" in the catalog entry.
            try Self.create("old", .fixed, in: store)
            #expect(try Self.version(store) == 2, "a file with only fixed-key tables stays at version 2")
            let entry = try store.pager.read { view in try store.catalogTree.value(forKey: Array("t/old".utf8), in: view) }
            #expect(entry.map { String(decoding: $0, as: UTF8.self).contains("rowKeys") } == false, "the catalog entry is an older build's")
            let keyLengths = try store.pager.read { view in
                var lengths = Set<Int>()
                try store.catalog.table("old").tree.scan(in: view) { key, _ in lengths.insert(key.count); return true }
                return lengths
            }
            #expect(keyLengths == [8], "fixed keys are 8 bytes, got lengths \(keyLengths)")
            try store.close()

            store = try Store.open(path: path, options: testOptions(backend))
            defer { try? store.close() }
            #expect(try store.catalog.table("old").rowKeyForm == .fixed)
            #expect(try Self.scan(store, "old") == Self.ids)
            #expect(try Self.scan(store, "old", from: -300, to: 256) == [-300, -1, 0, 1, 2, 255, 256])
            #expect(try Self.scan(store, "old", from: 1, reverse: true) == Array(Self.ids.filter { $0 >= 1 }.reversed()))
            try store.write { transaction in
                #expect(try transaction.update("old", rowID: 255, to: [.int(255), .text("changed")]) == 255)
                #expect(try transaction.delete(from: "old", rowID: -1) != nil)
                try transaction.insert(into: "old", row: [.int(7), .text("new")])
            }
            try store.read { snapshot in
                let table = try snapshot.table("old")
                #expect(try snapshot.row(table, rowID: 255) == [.int(255), .text("changed")])
                #expect(try snapshot.row(table, rowID: -1) == nil)
                #expect(try snapshot.row(table, rowID: 7) == [.int(7), .text("new")])
            }
            // A new table next to it gets compact keys and raises the format version.
            try Self.create("new", .compact, in: store)
            #expect(try Self.version(store) == StorageFormat.compactRowKeysVersion)
            #expect(try store.catalog.table("new").rowKeyForm == .compact)
            #expect(try Self.scan(store, "new") == Self.ids)
            #expect(try Self.scan(store, "new", from: -299, to: 65_536) == [-1, 0, 1, 2, 255, 256, 65_535, 65_536])
            try expectSound(store)
        }
    }

    @Test("compact keys take 1 + the id's significant bytes; a new table's next row id follows the largest")
    func compactTableKeys() throws {
        try withBackend(.posix) { backend, directory in
            let path = directory + "/new.vireo"
            var store = try Store.open(path: path, options: testOptions(backend))
            try store.write { transaction in
                try transaction.createTable(TableDefinition(name: "auto", columns: [ColumnDefinition(name: "v", type: .text)]))
                for number in 0..<300 { try transaction.insert(into: "auto", row: [.text("v\(number)")]) }
            }
            try store.close()
            store = try Store.open(path: path, options: testOptions(backend))
            defer { try? store.close() }
            let table = try store.catalog.table("auto")
            let keys = try store.pager.read { view in
                var keys: [[UInt8]] = []
                try table.tree.scan(in: view) { key, _ in keys.append(Array(key)); return true }
                return keys
            }
            #expect(keys.count == 300 && keys.first == [0x81, 0x01] && keys.last == [0x82, 0x01, 0x2C], "keys \(keys.prefix(2)) … \(keys.suffix(1))")
            let next = try store.write { try $0.insert(into: "auto", row: [.text("next")]) }
            #expect(next == 301, "the next row id after 300 compact keys: got \(next)")
            try expectSound(store)
        }
    }

    @Test("the version is raised with the table: a rolled-back CREATE TABLE leaves it")
    func versionRaisedWithTheTable() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/raise.vireo", options: testOptions(backend))
            defer { try? store.close() }
            try Self.setVersion(2, store)
            try store.write { try $0.createTable(Self.table("old", .fixed)) }
            let transaction = try store.beginWrite()
            try transaction.createTable(Self.table("new", .compact))
            transaction.rollback()
            #expect(try Self.version(store) == 2, "a rolled-back compact table must not raise the version")
            try store.write { try $0.createTable(Self.table("new", .compact)) }
            #expect(try Self.version(store) == 3)
        }
    }

    @Test("the integrity check finds a key not in its table's form and a compact table in a version-2 file")
    func integrityCheckReadsTheForm() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/check.vireo", options: testOptions(backend))
            defer { try? store.close() }
            try Self.create("t", .compact, in: store)
            try expectSound(store)
            let table = try store.catalog.table("t")
            let stored = try store.pager.read { view in try table.tree.value(forKey: KeyCodec.encodeRowID(1, form: .compact), in: view) }
            let record = try #require(stored)
            try store.write { transaction in
                // The 8-byte key of a row: another form's key in a compact tree.
                _ = try table.tree.insert(key: KeyCodec.encodeRowID(3, form: .fixed), value: record, in: transaction.pages)
            }
            var report = try store.checkIntegrity()
            #expect(report.problems.contains { $0.hasPrefix("table t:") && $0.contains("malformed key: a compact row id is 8 bytes") }, "\(report)")
            try store.write { transaction in _ = try table.tree.remove(key: KeyCodec.encodeRowID(3, form: .fixed), in: transaction.pages) }
            try expectSound(store)
            try Self.setVersion(2, store)
            report = try store.checkIntegrity()
            #expect(report.problems.contains { $0.contains("compact row keys in a file of format version 2") }, "\(report)")
        }
    }
}
