import Foundation

/// How a file's text is cut: chunks of at most `sizeTokens` of the embedder's tokens, each
/// repeating up to `overlapTokens` from the end of the one before, so a passage cut in two
/// is still found whole in one of them.
struct ChunkingStrategy: Sendable, Equatable {
    var sizeTokens: Int
    var overlapTokens: Int

    /// OpenAI's bounds for a static strategy.
    static let sizeTokensRange = 100...4096

    /// The best fit for `embedder`: OpenAI's 800/400 where the model takes 800 tokens, else
    /// the model's limit with a quarter of it as overlap (256/64 for MiniLM).
    static func auto(maxInputTokens: Int) -> ChunkingStrategy {
        maxInputTokens >= 800 ? ChunkingStrategy(sizeTokens: 800, overlapTokens: 400)
            : ChunkingStrategy(sizeTokens: maxInputTokens, overlapTokens: maxInputTokens / 4)
    }
}

/// Cuts text into overlapping chunks by token counts, ending a chunk at a sentence or line
/// end when one falls in the last part of the window.
enum TextChunker {
    /// Chunks one file may make; a larger text fails rather than fill the table.
    static let chunksMax = 200_000
    /// A chunk may end early at a sentence end once it holds this share of its tokens.
    static let sentenceEndShare = 0.6

    /// The chunks of `text`, in order; `tokenCount` is the embedder's.
    static func chunks(_ text: String, _ strategy: ChunkingStrategy, tokenCount: (String) -> Int) throws -> [String] {
        let pieces = self.pieces(text)
        let counts = pieces.map { tokenCount(String($0)) }
        var chunks: [String] = []
        var start = 0
        while start < pieces.count {
            let end = chunkEnd(from: start, pieces, counts, strategy.sizeTokens)
            let chunk = pieces[start..<end].joined().trimmingCharacters(in: .whitespacesAndNewlines)
            if !chunk.isEmpty { chunks.append(chunk) }
            guard chunks.count <= chunksMax else { throw ExtractionError("the document makes more than \(chunksMax) chunks") }
            if end == pieces.count { break }
            start = overlapStart(before: end, after: start, counts, strategy.overlapTokens)
        }
        return chunks
    }

    /// Words with the whitespace that follows each, so joining pieces gives the text back.
    static func pieces(_ text: String) -> [Substring] {
        var pieces: [Substring] = []
        var pieceStart = text.startIndex
        var sawSpace = false
        for index in text.indices {
            let isSpace = text[index].isWhitespace
            if sawSpace, !isSpace {
                pieces.append(text[pieceStart..<index])
                pieceStart = index
            }
            sawSpace = isSpace
        }
        if pieceStart < text.endIndex { pieces.append(text[pieceStart...]) }
        return pieces
    }

    /// Where the chunk starting at `start` ends (exclusive): as many pieces as fit, at least one.
    private static func chunkEnd(from start: Int, _ pieces: [Substring], _ counts: [Int], _ sizeTokens: Int) -> Int {
        var tokens = 0
        var end = start
        var sentenceEnd: Int?
        while end < pieces.count, end == start || tokens + counts[end] <= sizeTokens {
            tokens += counts[end]
            end += 1
            if Double(tokens) >= Double(sizeTokens) * sentenceEndShare, endsSentence(pieces[end - 1]) { sentenceEnd = end }
        }
        guard end < pieces.count else { return end }
        return sentenceEnd ?? end
    }

    private static func endsSentence(_ piece: Substring) -> Bool {
        if piece.contains("\n") { return true }
        let word = piece.trimmingCharacters(in: .whitespaces)
        return word.hasSuffix(".") || word.hasSuffix("!") || word.hasSuffix("?") || word.hasSuffix(":")
    }

    /// The first piece of the next chunk: back from `end` while the overlap fits, never at
    /// or before `after` (so every chunk moves forward).
    private static func overlapStart(before end: Int, after start: Int, _ counts: [Int], _ overlapTokens: Int) -> Int {
        var next = end
        var tokens = 0
        while next - 1 > start, tokens + counts[next - 1] <= overlapTokens {
            tokens += counts[next - 1]
            next -= 1
        }
        return next
    }
}
