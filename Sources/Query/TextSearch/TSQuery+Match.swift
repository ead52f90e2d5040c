import VireoStorage

/// `tsvector @@ tsquery`: Boolean operators on whether lexemes occur; phrase operators on
/// their positions, as PostgreSQL evaluates them (a lexeme stored without positions
/// never satisfies a phrase).
extension TSQuery {
    func matches(_ vector: TSVector) -> Bool {
        guard let root else { return false }
        return Self.evaluate(root, vector)
    }

    static func evaluate(_ node: Node, _ vector: TSVector) -> Bool {
        switch node {
        case .operand(let operand): return !occurrences(operand, vector).isEmpty
        case .not(let child): return !evaluate(child, vector)
        case .and(let a, let b): return evaluate(a, vector) && evaluate(b, vector)
        case .or(let a, let b): return evaluate(a, vector) || evaluate(b, vector)
        case .phrase: return positions(node, vector).isSatisfied
        case .stop: return false
        }
    }

    /// The entries an operand matches, each with the positions its weights allow; an entry
    /// without positions is listed with none.
    static func occurrences(_ operand: Operand, _ vector: TSVector) -> [(entry: Int, positions: [TSVector.Position])] {
        let candidates = operand.isPrefix ? vector.indexes(withPrefix: operand.lexeme) : vector.index(of: operand.lexeme).map { [$0] } ?? []
        return candidates.compactMap { index in
            let positions = vector.entries[index].positions
            guard operand.weightMask != 0, !positions.isEmpty else { return (index, positions) }
            let allowed = positions.filter { operand.weightMask & (1 << UInt8($0.weight)) != 0 }
            return allowed.isEmpty ? nil : (index, allowed)
        }
    }

    /// Where a subexpression matches inside a phrase: the end positions of its matches, how many
    /// positions a match spans, and whether the set is negated (matches everywhere but there).
    struct PhraseMatch {
        var ends: [Int] = []
        var width = 0
        var negated = false
        var isSatisfied: Bool { negated || !ends.isEmpty }
    }

    static func positions(_ node: Node, _ vector: TSVector) -> PhraseMatch {
        switch node {
        case .operand(let operand):
            let found = occurrences(operand, vector)
            return PhraseMatch(ends: Array(Set(found.flatMap { $0.positions.map(\.position) })).sorted())
        case .not(let child):
            var match = positions(child, vector)
            match.negated.toggle()
            return match
        case .phrase(let a, let b, let distance):
            let left = positions(a, vector), right = positions(b, vector)
            var match = combine(left, right, leftOffset: distance + right.width, rightOffset: 0, isAnd: true)
            match.width = left.width + distance + right.width
            return match
        case .and(let a, let b), .or(let a, let b):
            let left = positions(a, vector), right = positions(b, vector)
            let width = max(left.width, right.width)
            var isAnd = true
            if case .or = node { isAnd = false }
            var match = combine(left, right, leftOffset: width - left.width, rightOffset: width - right.width, isAnd: isAnd)
            match.width = width
            return match
        case .stop: return PhraseMatch()
        }
    }

    /// Aligns two position sets by their offsets and keeps what the operator asks for,
    /// following De Morgan for negated sides as PostgreSQL's TS_phrase_execute does.
    private static func combine(_ left: PhraseMatch, _ right: PhraseMatch, leftOffset: Int, rightOffset: Int, isAnd: Bool) -> PhraseMatch {
        let l = Set(left.ends.map { $0 + leftOffset }), r = Set(right.ends.map { $0 + rightOffset })
        var result = PhraseMatch()
        switch (left.negated, right.negated, isAnd) {
        case (false, false, true): result.ends = Array(l.intersection(r))
        case (false, false, false): result.ends = Array(l.union(r))
        case (true, true, true): result.ends = Array(l.union(r)); result.negated = true
        case (true, true, false): result.ends = Array(l.intersection(r)); result.negated = true
        case (true, false, true): result.ends = Array(r.subtracting(l))
        case (false, true, true): result.ends = Array(l.subtracting(r))
        case (true, false, false): result.ends = Array(l.subtracting(r)); result.negated = true
        case (false, true, false): result.ends = Array(r.subtracting(l)); result.negated = true
        }
        result.ends.sort()
        return result
    }
}
