import VireoStorage

/// One term's postings for (block-max) WAND, block by block: a format 3 index's blocks are
/// read undecoded, and a block is decoded only when the cursor stops inside it. A format 2
/// index's postings are read whole and cut into blocks in memory, so that both formats
/// share one search.
final class PostingCursor {
    let order: Int
    let lexeme: String
    let idf: Double
    /// The term's largest possible score in any row.
    let upperBound: Double
    private let summaries: [PostingBlockSummary]
    private let encoded: [PostingBlockReference]
    private var decodedBlocks: [PostingBlock]
    /// The largest possible score of the term in each block.
    private let blockBounds: [Double]
    private var blockIndex = 0
    private var block: PostingBlock?
    private var position = 0
    /// The row under the cursor; Int64.max past the last posting.
    private(set) var currentRowID = Int64.max

    init(order: Int, lexeme: String, idf: Double, upperBound: Double, index: IndexDefinition, _ context: ExecutionContext,
         blockBound: (Int, Int) -> Double) throws {
        self.order = order
        self.lexeme = lexeme
        self.idf = idf
        self.upperBound = upperBound
        if index.storesPostingBlocks {
            encoded = try context.data.postingBlocks(index, lexeme)
            decodedBlocks = []
            summaries = encoded.map(\.summary)
        } else {
            encoded = []
            decodedBlocks = try Self.readBlocks(index, lexeme, context)
            summaries = decodedBlocks.map(Self.summary)
        }
        try context.workMemory.charge(bytes: summaries.count * MemoryLayout<PostingBlockSummary>.stride
                                          + encoded.reduce(0) { $0 + $1.bytes.count }, for: .indexScan)
        blockBounds = summaries.map { blockBound($0.termFrequencyMax, $0.documentLengthMin) }
    }

    /// The posting under the cursor; nil past the last one.
    var current: InvertedPosting? { currentRowID == .max ? nil : block?[position] }

    /// Moves to the first posting whose row is `target` or later, decoding at most one block.
    func seek(_ target: Int64) throws {
        guard let found = blockPosition(holdingOrAfter: target, from: blockIndex) else {
            blockIndex = summaries.count
            block = nil
            currentRowID = .max
            return
        }
        if found != blockIndex || block == nil {
            blockIndex = found
            block = try encoded.isEmpty ? decodedBlocks[found] : encoded[found].decoded()
            position = 0
        }
        guard let block else { return }
        position = max(position, block.position(atOrAfter: target))
        currentRowID = block.rowIDs[position]
    }

    /// The bound and last row of the first block that ends at `row` or later, without
    /// moving the cursor; nil when no posting is at `row` or later.
    func block(holdingOrAfter row: Int64) -> (bound: Double, lastRowID: Int64)? {
        guard let found = blockPosition(holdingOrAfter: row, from: blockIndex) else { return nil }
        return (blockBounds[found], summaries[found].lastRowID)
    }

    /// The first block from `start` on whose last row is `row` or later (binary search).
    private func blockPosition(holdingOrAfter row: Int64, from start: Int) -> Int? {
        var low = start, high = summaries.count
        while low < high {
            let middle = (low + high) / 2
            if summaries[middle].lastRowID < row { low = middle + 1 } else { high = middle }
        }
        return low < summaries.count ? low : nil
    }

    private static func readBlocks(_ index: IndexDefinition, _ lexeme: String, _ context: ExecutionContext) throws -> [PostingBlock] {
        var blocks: [PostingBlock] = []
        var block = PostingBlock()
        try context.data.scanPostings(index, lexeme, from: .min) { posting in
            try context.checkCancel()
            block.append(posting)
            if block.count == PostingBlock.postingCountMax {
                blocks.append(block)
                block = PostingBlock()
            }
            return true
        }
        if block.count > 0 { blocks.append(block) }
        return blocks
    }

    private static func summary(_ block: PostingBlock) -> PostingBlockSummary {
        PostingBlockSummary(firstRowID: block.rowIDs[0], lastRowID: block.rowIDs[block.count - 1], count: block.count,
                            termFrequencyMax: block.termFrequencies.max() ?? 1, documentLengthMin: block.documentLengths.min() ?? 1)
    }
}
