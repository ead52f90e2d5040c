/// ts_headline with MaxFragments > 0: PostgreSQL 15's `mark_hl_fragments`. Every cover is cut
/// into pieces of at most MaxWords words that begin and end on a match; up to MaxFragments of
/// them are chosen, most matches first (fewer words on a tie), each stretched towards MaxWords
/// on both sides without running into a fragment already chosen and without starting or ending
/// on a short or numeric word; pieces overlapping a chosen one are dropped. The fragments are
/// printed in document order, joined by FragmentDelimiter. With no cover, the first MinWords
/// words.
extension TSHeadline {
    /// A piece of a cover: its words, how many are counted, how many are matches.
    private struct Fragment {
        var first: Int
        var last: Int
        var counted: Int
        var matches: Int
        var isExcluded = false
    }

    /// The chosen fragments' words (`in` in PostgreSQL), in document order.
    func fragmentWords() -> [Bool] {
        var pieces = coverPieces()
        var chosen = [Bool](repeating: false, count: words.count)
        var chosenCount = 0
        while chosenCount < options.maxFragments, let best = bestPiece(pieces) {
            let piece = stretched(pieces[best], chosen)
            for index in piece.first...piece.last { chosen[index] = true }
            chosenCount += 1
            pieces[best].isExcluded = true
            for index in pieces.indices where index != best && overlaps(pieces[index], piece) { pieces[index].isExcluded = true }
        }
        if chosenCount == 0 {
            var counted = 0, index = 0
            while index < words.count && counted < options.minWords {
                if words[index].isCounted { counted += 1 }
                chosen[index] = true
                index += 1
            }
        }
        return chosen
    }

    /// The headline text of `fragmentWords()`: each run of chosen words, runs joined by the delimiter.
    func fragmentsHeadline() -> String {
        var output = "", inRun = false, runs = 0
        for (index, isChosen) in fragmentWords().enumerated() {
            guard isChosen else {
                inRun = false
                continue
            }
            if !inRun {
                inRun = true
                runs += 1
                if runs > 1 { output += options.fragmentDelimiter }
            }
            output += marked(words[index])
        }
        return output
    }

    /// Every cover from each match on (hlCover), cut into pieces (get_next_fragment).
    private func coverPieces() -> [Fragment] {
        var pieces: [Fragment] = []
        var start = 0
        while let (p, q) = cover(from: start), pieces.count < Self.fragmentPiecesMax {
            var first = p
            while first <= q {
                let piece = piece(from: first, to: q)
                pieces.append(piece)
                first = piece.last + 1
            }
            start = p + 1
        }
        return pieces
    }

    /// A bound on the pieces kept: a long document of matches still makes a bounded headline.
    static let fragmentPiecesMax = 100_000

    /// The piece of `first...last` that starts at its first match, holds at most MaxWords
    /// counted words, and (when cut) ends on a match.
    private func piece(from first: Int, to last: Int) -> Fragment {
        var start = first
        while start < last && words[start].match == nil { start += 1 }
        var counted = 0, matches = 0, index = start
        while index <= last && counted < options.maxWords {
            if words[index].isCounted { counted += 1 }
            if words[index].match != nil { matches += 1 }
            index += 1
        }
        var end = last
        if last > index {
            end = index
            while end >= start {
                if words[end].match != nil { break }
                if words[end].isCounted { counted -= 1 }
                end -= 1
            }
            end = max(end, start)
        }
        return Fragment(first: start, last: end, counted: counted, matches: matches)
    }

    /// The piece with the most matches, the fewest words on a tie, the earliest after that.
    private func bestPiece(_ pieces: [Fragment]) -> Int? {
        var best: Int?
        for (index, piece) in pieces.enumerated() where !piece.isExcluded && piece.matches > 0 {
            guard let current = best else {
                best = index
                continue
            }
            let other = pieces[current]
            if piece.matches > other.matches || (piece.matches == other.matches && piece.counted < other.counted) { best = index }
        }
        return best
    }

    /// The piece widened towards MaxWords: half the room to the left, the rest to the right,
    /// neither side crossing a chosen word, then both ends moved inwards off bad end points.
    private func stretched(_ piece: Fragment, _ chosen: [Bool]) -> Fragment {
        var result = piece
        guard piece.counted < options.maxWords else { return result }
        let leftMax = (options.maxWords - piece.counted) / 2
        var counted = piece.counted, stretch = 0, marker = piece.first, index = piece.first - 1
        while index >= 0 && stretch < leftMax && !chosen[index] {
            if words[index].isCounted {
                counted += 1
                stretch += 1
            }
            marker = index
            index -= 1
        }
        index = marker
        while index < piece.first && isBadEnd(index) {
            if words[index].isCounted { counted -= 1 }
            index += 1
        }
        result.first = index
        marker = piece.last
        index = piece.last + 1
        while index < words.count && counted < options.maxWords && !chosen[index] {
            if words[index].isCounted { counted += 1 }
            marker = index
            index += 1
        }
        index = marker
        while index > piece.last && isBadEnd(index) {
            if words[index].isCounted { counted -= 1 }
            index -= 1
        }
        result.last = index
        result.counted = counted
        return result
    }

    private func overlaps(_ piece: Fragment, _ chosen: Fragment) -> Bool {
        (chosen.first...chosen.last).contains(piece.first) || (chosen.first...chosen.last).contains(piece.last)
            || (piece.first < chosen.first && piece.last > chosen.last)
    }
}
