/// What `Store.checkIntegrity` found.
public struct IntegrityReport: Sendable, CustomStringConvertible {
    /// Problems found, each naming the page or object; empty when the database is sound.
    public var problems: [String] = []
    public var pageCount = 0
    public var freePageCount = 0
    /// Rows per table.
    public var rowCounts: [String: Int] = [:]
    public var isSound: Bool { problems.isEmpty }
    static let problemsMax = 100

    public var description: String {
        var lines = ["pages: \(pageCount) (\(freePageCount) free)"]
        lines += rowCounts.keys.sorted().map { "table \($0): \(rowCounts[$0] ?? 0) rows" }
        lines += problems.isEmpty ? ["ok"] : problems.map { "problem: \($0)" }
        return lines.joined(separator: "\n")
    }
}

extension Store {
    /// Walks every tree, overflow chain and the free list on a consistent snapshot and
    /// checks that each page is used exactly once and every node keeps its invariants.
    public func checkIntegrity() throws -> IntegrityReport {
        try read { snapshot in
            var checker = try IntegrityChecker(pages: snapshot.pages)
            checker.checkFreeList()
            _ = checker.checkTree(catalogTree, name: "catalog")
            for table in snapshot.catalog.tables.values.sorted(by: { $0.name < $1.name }) {
                checker.checkTable(table)
            }
            checker.checkNoLeaks()
            return checker.report
        }
    }
}

/// Bookkeeping of one integrity check.
/// The bytes a table and each of its indexes take in the database file: the table's B+tree
/// with its overflow pages; an index's tree, or its stored graph and change log. What
/// PostgreSQL's pg_relation_size and its family report.
public struct RelationSizes: Sendable, Equatable {
    public var table = 0
    public var indexes: [String: Int] = [:]
}

extension Store {
    /// Walks the pages of `table` and its indexes in the committed data (the integrity
    /// check's walk, without its checks of entries against rows); corruption if a walk fails.
    public func relationSizes(_ table: TableDefinition) throws -> RelationSizes {
        try read { snapshot in
            var checker = try IntegrityChecker(pages: snapshot.pages)
            _ = checker.checkTree(table.tree, name: "table")
            for index in table.indexes {
                let name = "index \(index.name)"
                if index.isBTree || index.isInverted {
                    _ = checker.checkTree(BTree(root: index.root), name: name)
                } else {
                    if index.root != 0 { checker.checkBlob(index.root, name: name) }
                    if let deltaRoot = index.deltaRoot { _ = checker.checkTree(BTree(root: deltaRoot), name: name + " (changes)") }
                }
            }
            if let problem = checker.report.problems.first { throw VireoError.corrupt(pager.path, problem) }
            var pageCounts: [String: Int] = [:]
            for case let owner? in checker.owners { pageCounts[owner, default: 0] += 1 }
            func bytes(_ name: String) -> Int {
                [name, name + " (overflow)", name + " (changes)", name + " (changes) (overflow)"]
                    .reduce(0) { $0 + (pageCounts[$1] ?? 0) } * StorageFormat.pageSizeBytes
            }
            var sizes = RelationSizes(table: bytes("table"))
            for index in table.indexes { sizes.indexes[index.name] = bytes("index \(index.name)") }
            return sizes
        }
    }
}

struct IntegrityChecker {
    let pages: ReadView
    var owners: [String?]
    var report = IntegrityReport()

    init(pages: ReadView) throws {
        self.pages = pages
        let pageCount: UInt32 = try pages.withPage(0) { $0.loadLE(at: MetaPage.pageCountOffset) }
        owners = Array(repeating: nil, count: Int(pageCount))
        report.pageCount = Int(pageCount)
        _ = claim(0, by: "meta")
    }

    mutating func problem(_ text: String) {
        if report.problems.count < IntegrityReport.problemsMax { report.problems.append(text) }
    }

    /// Records that `owner` uses `page`; false (with a problem) if out of range or taken.
    mutating func claim(_ page: PageNumber, by owner: String) -> Bool {
        guard Int(page) < owners.count else {
            problem("\(owner) refers to page \(page), past the page count \(owners.count)")
            return false
        }
        if let other = owners[Int(page)] {
            problem("page \(page) is used by both \(other) and \(owner)")
            return false
        }
        owners[Int(page)] = owner
        return true
    }

    mutating func checkFreeList() {
        do {
            var page: PageNumber = try pages.withPage(0) { $0.loadLE(at: MetaPage.freeListHeadOffset) }
            let expected: UInt32 = try pages.withPage(0) { $0.loadLE(at: MetaPage.freePageCountOffset) }
            var count = 0
            while page != 0 && count <= owners.count {
                guard claim(page, by: "the free list") else { return }
                let (type, next) = try pages.withPage(page) { (PageLayout.type($0), $0.loadLE(at: MetaPage.nextFreeOffset) as UInt32) }
                if type != .free { problem("page \(page) is on the free list but is not a free page") }
                count += 1
                page = next
            }
            if count != Int(expected) { problem("free list has \(count) pages, the meta page says \(expected)") }
            report.freePageCount = count
        } catch {
            problem("free list: \(error)")
        }
    }

    mutating func checkTable(_ table: TableDefinition) {
        let rows = checkTree(table.tree, name: "table \(table.name)")
        report.rowCounts[table.name] = rows
        if rows != nil { checkRowKeys(table) }
        for index in table.indexes {
            if index.isBTree {
                if checkTree(BTree(root: index.root), name: "index \(index.name)") != nil, rows != nil {
                    checkBTreeEntries(index, table: table)
                }
            } else if index.isInverted {
                if checkTree(BTree(root: index.root), name: "index \(index.name)") != nil { checkInvertedEntries(index, table: table) }
            } else {
                if index.root != 0 { checkBlob(index.root, name: "index \(index.name)") }
                if let deltaRoot = index.deltaRoot { _ = checkTree(BTree(root: deltaRoot), name: "index \(index.name) (changes)") }
            }
        }
    }

    /// Every key of a table's tree is a row id in the table's form, and a file holding a
    /// compact-keyed table (or a column of an enum type) has the format version that makes
    /// older builds refuse it (R2).
    mutating func checkRowKeys(_ table: TableDefinition) {
        do {
            let version: UInt32 = try pages.withPage(0) { $0.loadLE(at: MetaPage.versionOffset) }
            if table.rowKeyForm == .compact && version < StorageFormat.compactRowKeysVersion {
                problem("table \(table.name) has compact row keys in a file of format version \(version) (needs \(StorageFormat.compactRowKeysVersion))")
            }
            if table.columns.contains(where: { $0.type.enumType != nil }) && version < StorageFormat.enumTypesVersion {
                problem("table \(table.name) has a column of an enum type in a file of format version \(version) (needs \(StorageFormat.enumTypesVersion))")
            }
            let form = table.rowKeyForm
            try table.tree.scan(in: pages) { key, _ in
                _ = try KeyCodec.decodeRowID(key, form: form)
                return true
            }
        } catch {
            problem("table \(table.name): \(error)")
        }
    }

    /// Calls `body` with each row of `table` and its id, read in the table's key form.
    func forEachRow(_ table: TableDefinition, _ body: (Int64, RecordView) throws -> Void) throws {
        let form = table.rowKeyForm
        try table.tree.scan(in: pages) { key, value in
            let rowID = try KeyCodec.decodeRowID(key, form: form)
            try body(rowID, try RecordView(value, rowID: rowID))
            return true
        }
    }

    /// A B+tree index holds exactly the key of each row in it (every row, or the rows its
    /// predicate is true for), with the row id as its value.
    mutating func checkBTreeEntries(_ index: IndexDefinition, table: TableDefinition) {
        do {
            var expected: [[UInt8]: Int64] = [:]
            try forEachRow(table) { rowID, record in
                let row = try record.values()
                for entry in try StoreTransaction.indexKeys(index, table: table, row: row, rowID: rowID) { expected[entry] = rowID }
            }
            var found = 0, unexpected = 0
            try BTree(root: index.root).scan(in: pages) { key, value in
                found += 1
                if try expected[Array(key)] != KeyCodec.decodeRowID(value, form: .fixed) { unexpected += 1 }
                return true
            }
            if unexpected > 0 || found != expected.count {
                problem("index \(index.name) has \(found) entries (\(unexpected) not matching a row) for \(expected.count) rows of table \(table.name) in it")
            }
        } catch {
            problem("index \(index.name): \(error)")
        }
    }

    /// An inverted index holds exactly one entry per (lexeme, row) of the table's tsvectors.
    mutating func checkInvertedEntries(_ index: IndexDefinition, table: TableDefinition) {
        if index.keepsTextStatistics { return checkTextStatistics(index, table: table) }
        do {
            var expected = Set<[UInt8]>()
            try forEachRow(table) { rowID, record in
                for lexeme in try StoreTransaction.lexemes(index, table: table, row: try record.values()) {
                    var entry = KeyCodec.encode([.text(lexeme)])
                    KeyCodec.appendRowID(rowID, form: .fixed, to: &entry)
                    expected.insert(entry)
                }
            }
            var found = 0, unexpected = 0
            try BTree(root: index.root).scan(in: pages) { key, _ in
                found += 1
                if !expected.contains(Array(key)) { unexpected += 1 }
                return true
            }
            if unexpected > 0 || found != expected.count {
                problem("index \(index.name) has \(found) entries (\(unexpected) not matching a row) for \(expected.count) lexemes of table \(table.name)")
            }
        } catch {
            problem("index \(index.name): \(error)")
        }
    }

    mutating func checkBlob(_ first: PageNumber, name: String) {
        do {
            try Blob.walkPages(first: first, in: pages) { page in _ = claim(page, by: name) }
        } catch {
            problem("\(name): \(error)")
        }
    }

    mutating func checkNoLeaks() {
        for (page, owner) in owners.enumerated() where owner == nil {
            problem("page \(page) is neither in use nor on the free list")
        }
    }
}
