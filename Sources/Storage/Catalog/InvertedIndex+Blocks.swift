// Posting blocks of a format 3 gin index (layout in PostingBlock.swift, keys in
// InvertedIndex.swift). A lexeme's postings are split into blocks keyed by their first row:
//
//   G4. The blocks of one lexeme do not overlap: each block's last row is below the next
//       block's first. Every block holds 1...PostingBlock.postingCountMax postings.
//
// A row change rewrites the blocks it touches inside the transaction's pages, exactly as
// format 2 rewrote its one-posting entries, so the WAL, rollback and replay (of the row
// operation, which recomputes the change) cover blocks the same way. Appending a row past
// a lexeme's last block fills that block to the maximum and then starts a new one; an insert
// into the middle of a full block splits it in two halves. Deletes never merge blocks.

/// A block's header and its bytes, decoded only when a reader needs its postings.
public struct PostingBlockReference: Sendable {
    public var summary: PostingBlockSummary
    public var bytes: [UInt8]

    public func decoded() throws -> PostingBlock {
        try bytes.withUnsafeBytes { try PostingBlock.decode($0, firstRowID: summary.firstRowID) }
    }
}

extension InvertedIndex {
    /// The encoded lexeme every block key of `lexeme` starts with.
    static func blockPrefix(_ lexeme: String) -> [UInt8] { KeyCodec.encode([.text(lexeme)]) }

    /// The first row id of a block, from the end of its key.
    static func blockFirstRowID(_ key: UnsafeRawBufferPointer) throws -> Int64 {
        guard key.count > KeyCodec.rowIDSizeBytes else { throw VireoError(.corruption, "malformed inverted index block key") }
        return try KeyCodec.decodeRowID(UnsafeRawBufferPointer(rebasing: key[(key.count - KeyCodec.rowIDSizeBytes)...]), form: .fixed)
    }

    static func blockReference(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> PostingBlockReference {
        var offset = 0
        let summary = try PostingBlockSummary.read(value, firstRowID: try blockFirstRowID(key), offset: &offset)
        return PostingBlockReference(summary: summary, bytes: Array(value))
    }
}

extension RowSource {
    /// Every block of `lexeme`'s postings, in row order, undecoded.
    public func postingBlocks(_ index: IndexDefinition, _ lexeme: String) throws -> [PostingBlockReference] {
        let prefix = InvertedIndex.blockPrefix(lexeme)
        let upper = KeyCodec.prefixUpperBound(prefix).map { KeyBound($0, inclusive: false) }
        var blocks: [PostingBlockReference] = []
        try BTree(root: index.root).scan(in: pages, from: KeyBound(prefix), to: upper) { key, value in
            blocks.append(try InvertedIndex.blockReference(key, value))
            return true
        }
        return blocks
    }

    /// Visits the postings of `lexeme` in a format 3 index from row `startRowID` on.
    func scanBlockPostings(_ index: IndexDefinition, _ lexeme: String, from startRowID: Int64,
                           _ body: (InvertedPosting) throws -> Bool) throws {
        let prefix = InvertedIndex.blockPrefix(lexeme)
        let tree = BTree(root: index.root)
        // Start at the block holding startRowID: the last whose first row is not after it.
        var start = KeyBound(prefix)
        try tree.scan(in: pages, from: start, to: KeyBound(InvertedIndex.postingKey(lexeme, rowID: startRowID)), reverse: true) { key, _ in
            start = KeyBound(Array(key))
            return false
        }
        let upper = KeyCodec.prefixUpperBound(prefix).map { KeyBound($0, inclusive: false) }
        try tree.scan(in: pages, from: start, to: upper) { key, value in
            let block = try PostingBlock.decode(value, firstRowID: try InvertedIndex.blockFirstRowID(key))
            for position in block.position(atOrAfter: startRowID)..<block.count where !(try body(block[position])) { return false }
            return true
        }
    }
}

extension StoreTransaction {
    /// Adds row `posting.rowID` to `lexeme`'s blocks (G4).
    func insertBlockPosting(_ index: IndexDefinition, _ lexeme: String, _ posting: InvertedPosting) throws {
        let tree = BTree(root: index.root)
        guard let (key, bytes) = try blockEntry(tree, lexeme, atOrBefore: posting.rowID) ?? firstBlockEntry(tree, lexeme) else {
            return try writeBlock(tree, lexeme, PostingBlock(rowIDs: [posting.rowID], termFrequencies: [posting.termFrequency],
                                                             documentLengths: [posting.documentLength]))
        }
        var block = try bytes.withUnsafeBytes { try PostingBlock.decode($0, firstRowID: try key.withUnsafeBytes(InvertedIndex.blockFirstRowID)) }
        let position = block.position(atOrAfter: posting.rowID)
        if position < block.count && block.rowIDs[position] == posting.rowID {
            throw VireoError(.corruption, "index \(index.name): row \(posting.rowID) already has a posting of lexeme \(TSVector.quoted(lexeme))")
        }
        if block.count == PostingBlock.postingCountMax && (position == block.count || position == 0) {
            // Past either end of a full block: a block of its own keeps the full one full.
            return try writeBlock(tree, lexeme, PostingBlock(rowIDs: [posting.rowID], termFrequencies: [posting.termFrequency],
                                                             documentLengths: [posting.documentLength]))
        }
        if position == 0 { _ = try tree.remove(key: key, in: pages) }
        block.insert(posting, at: position)
        if block.count > PostingBlock.postingCountMax { try writeBlock(tree, lexeme, block.split(at: block.count / 2)) }
        try writeBlock(tree, lexeme, block)
    }

    /// Removes row `rowID` from `lexeme`'s blocks; a missing posting is corruption (G1).
    func removeBlockPosting(_ index: IndexDefinition, _ lexeme: String, rowID: Int64) throws {
        let tree = BTree(root: index.root)
        guard let (key, bytes) = try blockEntry(tree, lexeme, atOrBefore: rowID) else { throw missingPosting(index, lexeme, rowID) }
        var block = try bytes.withUnsafeBytes { try PostingBlock.decode($0, firstRowID: try key.withUnsafeBytes(InvertedIndex.blockFirstRowID)) }
        let position = block.position(atOrAfter: rowID)
        guard position < block.count, block.rowIDs[position] == rowID else { throw missingPosting(index, lexeme, rowID) }
        block.remove(at: position)
        if position == 0 || block.count == 0 { _ = try tree.remove(key: key, in: pages) }
        if block.count > 0 { try writeBlock(tree, lexeme, block) }
    }

    private func missingPosting(_ index: IndexDefinition, _ lexeme: String, _ rowID: Int64) -> VireoError {
        VireoError(.corruption, "index \(index.name): no posting of lexeme \(TSVector.quoted(lexeme)) for row \(rowID) being removed")
    }

    /// Writes `block` under the key of its first row (replacing a block already there).
    private func writeBlock(_ tree: BTree, _ lexeme: String, _ block: PostingBlock) throws {
        try tree.insert(key: InvertedIndex.postingKey(lexeme, rowID: block.rowIDs[0]), value: block.encoded(), in: pages)
    }

    /// The block of `lexeme` whose first row is the last one not after `rowID`.
    private func blockEntry(_ tree: BTree, _ lexeme: String, atOrBefore rowID: Int64) throws -> ([UInt8], [UInt8])? {
        var found: ([UInt8], [UInt8])?
        try tree.scan(in: pages, from: KeyBound(InvertedIndex.blockPrefix(lexeme)),
                      to: KeyBound(InvertedIndex.postingKey(lexeme, rowID: rowID)), reverse: true) { key, value in
            found = (Array(key), Array(value))
            return false
        }
        return found
    }

    private func firstBlockEntry(_ tree: BTree, _ lexeme: String) throws -> ([UInt8], [UInt8])? {
        let prefix = InvertedIndex.blockPrefix(lexeme)
        var found: ([UInt8], [UInt8])?
        try tree.scan(in: pages, from: KeyBound(prefix), to: KeyCodec.prefixUpperBound(prefix).map { KeyBound($0, inclusive: false) }) { key, value in
            found = (Array(key), Array(value))
            return false
        }
        return found
    }

    /// Fills an empty format 3 index from `rows` at once: full blocks, each lexeme's
    /// statistics and the corpus entry, written in key order.
    func buildInvertedIndex(_ index: IndexDefinition, table: TableDefinition, rows: [(Int64, [Value])]) throws {
        var postings: [String: PostingBlock] = [:]
        var corpus = InvertedCorpus(documentCount: 0, totalLength: 0)
        for (rowID, row) in rows.sorted(by: { $0.0 < $1.0 }) {
            guard let document = try Self.invertedDocument(index, table: table, row: row) else { continue }
            corpus.documentCount += 1
            corpus.totalLength += document.length
            for (lexeme, count) in document.termFrequencies {
                postings[lexeme, default: PostingBlock()].append(InvertedPosting(rowID: rowID, termFrequency: count,
                                                                                 documentLength: document.length))
            }
        }
        let tree = BTree(root: index.root)
        try tree.insert(key: InvertedIndex.corpusKey, value: InvertedIndex.encode([corpus.documentCount, corpus.totalLength]), in: pages)
        let lexemes = postings.keys.sorted { InvertedIndex.blockPrefix($0).lexicographicallyPrecedes(InvertedIndex.blockPrefix($1)) }
        for lexeme in lexemes {
            let all = postings[lexeme]!
            let statistics = [all.count, all.termFrequencies.max() ?? 1, all.documentLengths.min() ?? 1]
            try tree.insert(key: InvertedIndex.lexemeKey(lexeme), value: InvertedIndex.encode(statistics), in: pages)
        }
        for lexeme in lexemes {
            let all = postings[lexeme]!
            for start in stride(from: 0, to: all.count, by: PostingBlock.postingCountMax) {
                let range = start..<min(start + PostingBlock.postingCountMax, all.count)
                try writeBlock(tree, lexeme, PostingBlock(rowIDs: Array(all.rowIDs[range]), termFrequencies: Array(all.termFrequencies[range]),
                                                          documentLengths: Array(all.documentLengths[range])))
            }
        }
    }
}
