import VireoStorage

import Foundation

/// `ts_rank` and `ts_rank_cd`, computed with PostgreSQL's formulas and in its precision
/// (single-precision floats), so the numbers agree with PostgreSQL's.
enum TSRank {
    /// PostgreSQL's default weights of D, C, B and A.
    static let defaultWeights: [Float] = [0.1, 0.2, 0.4, 1.0]
    /// The position PostgreSQL gives a lexeme stored without positions.
    static let positionOfUnpositioned = TSVector.positionMax - 1

    /// Normalization bits (ts_rank's third argument).
    struct Normalization: OptionSet {
        let rawValue: Int
        static let logLength = Normalization(rawValue: 1)
        static let length = Normalization(rawValue: 2)
        static let extentDistance = Normalization(rawValue: 4)
        static let unique = Normalization(rawValue: 8)
        static let logUnique = Normalization(rawValue: 16)
        static let rankPlusOne = Normalization(rawValue: 32)
    }

    /// The distinct lexemes of the query's operands in byte order, one operand per lexeme.
    static func distinctOperands(_ query: TSQuery) -> [TSQuery.Operand] {
        var byLexeme: [String: TSQuery.Operand] = [:]
        for operand in query.operands where byLexeme[operand.lexeme] == nil { byLexeme[operand.lexeme] = operand }
        return byLexeme.values.sorted { TSVector.lexemeOrder($0.lexeme, $1.lexeme) }
    }

    static func entries(_ operand: TSQuery.Operand, _ vector: TSVector) -> [Int] {
        operand.isPrefix ? vector.indexes(withPrefix: operand.lexeme) : vector.index(of: operand.lexeme).map { [$0] } ?? []
    }

    /// A lexeme's positions; one weight-D position at 16382 for a lexeme stored without.
    static func positions(_ entry: TSVector.Entry) -> (positions: [TSVector.Position], isPlaceholder: Bool) {
        entry.positions.isEmpty ? ([TSVector.Position(positionOfUnpositioned)], true) : (entry.positions, false)
    }

    /// `ts_rank(vector, query, normalization)`.
    static func rank(_ vector: TSVector, _ query: TSQuery, normalization: Int, weights: [Float] = defaultWeights) -> Double {
        guard !vector.entries.isEmpty, let root = query.root else { return 0 }
        var result: Float
        switch root {
        case .and, .phrase: result = rankAnd(vector, query, weights)
        default: result = rankOr(vector, query, weights)
        }
        if result < 0 { result = 1e-20 }
        return asReal(normalized(result, vector, Normalization(rawValue: normalization)))
    }

    private static func rankOr(_ vector: TSVector, _ query: TSQuery, _ weights: [Float]) -> Float {
        let operands = distinctOperands(query)
        var result: Float = 0
        for operand in operands {
            for index in entries(operand, vector) {
                let positions = positions(vector.entries[index]).positions
                var sum: Float = 0, maximum: Float = -1, maximumAt = 0
                for (j, position) in positions.enumerated() {
                    let weight = weights[Int(position.weight)]
                    sum += weight / Float((j + 1) * (j + 1))
                    if weight > maximum { maximum = weight; maximumAt = j }
                }
                let square = Float((maximumAt + 1) * (maximumAt + 1))
                result = Float(Double(result) + Double(maximum + sum - maximum / square) / 1.64493406685)
            }
        }
        return operands.isEmpty ? result : result / Float(operands.count)
    }

    private static func rankAnd(_ vector: TSVector, _ query: TSQuery, _ weights: [Float]) -> Float {
        let operands = distinctOperands(query)
        if operands.count < 2 { return rankOr(vector, query, weights) }
        var seen: [(positions: [TSVector.Position], isPlaceholder: Bool)?] = Array(repeating: nil, count: operands.count)
        var result: Float = -1
        for (i, operand) in operands.enumerated() {
            for index in entries(operand, vector) {
                let current = positions(vector.entries[index])
                seen[i] = current
                for k in 0..<i {
                    guard let other = seen[k] else { continue }
                    for a in current.positions {
                        for b in other.positions {
                            var distance = abs(a.position - b.position)
                            guard distance != 0 || current.isPlaceholder || other.isPlaceholder else { continue }
                            if distance == 0 { distance = TSVector.positionMax + 1 }
                            let product = weights[Int(a.weight)] * weights[Int(b.weight)] * wordDistance(distance)
                            let weight = Float(Double(product).squareRoot())
                            result = result < 0 ? weight : Float(1.0 - (1.0 - Double(result)) * (1.0 - Double(weight)))
                        }
                    }
                }
            }
        }
        return result
    }

    private static func wordDistance(_ distance: Int) -> Float {
        if distance > 100 { return 1e-30 }
        return Float(1.0 / (1.005 + 0.05 * exp(Double(Float(distance)) / 1.5 - 2)))
    }

    private static func normalized(_ rank: Float, _ vector: TSVector, _ method: Normalization) -> Float {
        var result = rank
        let length = vector.length, unique = vector.entries.count
        if method.contains(.logLength) { result = Float(Double(result) / (log(Double(length + 1)) / log(2.0))) }
        if method.contains(.length), length > 0 { result /= Float(length) }
        if method.contains(.unique) { result /= Float(unique) }
        if method.contains(.logUnique) { result = Float(Double(result) / (log(Double(unique + 1)) / log(2.0))) }
        if method.contains(.rankPlusOne) { result /= result + 1 }
        return result
    }

    /// A `real` result as a double whose shortest text is the float's (what PostgreSQL prints).
    static func asReal(_ value: Float) -> Double { Double(String(value)) ?? Double(value) }
}

extension TSRank {
    /// One matched position of the document, with the query operands that matched there.
    private struct Hit {
        var position: Int
        var weight: Int
        var operands: Set<Int>
    }

    /// `ts_rank_cd(vector, query, normalization)`: cover density over the minimal extents that
    /// satisfy the query. Phrase operators count as `&` inside an extent.
    static func coverDensity(_ vector: TSVector, _ query: TSQuery, normalization: Int, weights: [Float] = defaultWeights) -> Double {
        guard !vector.entries.isEmpty, let root = query.root else { return 0 }
        let operands = query.operands
        let hits = documentHits(vector, operands)
        guard !hits.isEmpty else { return 0 }
        let inverseWeights = weights.map { 1.0 / Double($0) }
        var total = 0.0, sumDistance = 0.0, previousCenter = 0.0, extents = 0
        var start = 0
        while let cover = nextCover(hits, from: &start, root, operands) {
            let slice = hits[cover.begin...cover.end]
            let inverseSum = slice.reduce(0.0) { $0 + inverseWeights[$1.weight] }
            let density = Double(cover.end - cover.begin + 1) / inverseSum
            var noise = (cover.q - cover.p) - (cover.end - cover.begin)
            if noise < 0 { noise = (cover.end - cover.begin) / 2 }
            total += density / Double(1 + noise)
            let center = Double(cover.q + cover.p) / 2
            if extents > 0 && center > previousCenter { sumDistance += 1 / (center - previousCenter) }
            previousCenter = center
            extents += 1
        }
        let method = Normalization(rawValue: normalization)
        let length = vector.length, unique = vector.entries.count
        if method.contains(.logLength) { total /= log(Double(length + 1)) }
        if method.contains(.length), length > 0 { total /= Double(length) }
        if method.contains(.extentDistance), extents > 0, sumDistance > 0 { total /= Double(extents) / sumDistance }
        if method.contains(.unique) { total /= Double(unique) }
        if method.contains(.logUnique) { total /= log(Double(unique + 1)) / log(2.0) }
        if method.contains(.rankPlusOne) { total /= total + 1 }
        return asReal(Float(total))
    }

    private static func documentHits(_ vector: TSVector, _ operands: [TSQuery.Operand]) -> [Hit] {
        var byEntryPosition: [Int: [Int: Hit]] = [:]
        for (operandIndex, operand) in operands.enumerated() {
            for index in entries(operand, vector) {
                for position in positions(vector.entries[index]).positions
                where operand.weightMask == 0 || operand.weightMask & (1 << UInt8(position.weight)) != 0 {
                    byEntryPosition[index, default: [:]][position.position, default: Hit(position: position.position, weight: Int(position.weight), operands: [])]
                        .operands.insert(operandIndex)
                }
            }
        }
        return byEntryPosition.values.flatMap(\.values).sorted { ($0.position, $0.weight) < ($1.position, $1.weight) }
    }

    private struct Cover { var begin: Int; var end: Int; var p: Int; var q: Int }

    /// PostgreSQL's Cover(): the first extent from `start` whose hits satisfy the query, found
    /// by scanning forward to the first satisfying end and back to the nearest satisfying start.
    private static func nextCover(_ hits: [Hit], from start: inout Int, _ root: TSQuery.Node, _ operands: [TSQuery.Operand]) -> Cover? {
        while start < hits.count {
            var present = Set<Int>(), end: Int?
            for index in start..<hits.count {
                present.formUnion(hits[index].operands)
                if satisfied(root, present, operands) { end = index; break }
            }
            guard let end else { return nil }
            present = []
            var begin = end
            var index = end
            while index >= start {
                present.formUnion(hits[index].operands)
                if satisfied(root, present, operands) { begin = index; break }
                index -= 1
            }
            if hits[begin].position <= hits[end].position {
                start = begin + 1
                return Cover(begin: begin, end: end, p: hits[begin].position, q: hits[end].position)
            }
            start += 1
        }
        return nil
    }

    private static func satisfied(_ node: TSQuery.Node, _ present: Set<Int>, _ operands: [TSQuery.Operand]) -> Bool {
        switch node {
        case .operand(let operand): return operands.firstIndex(of: operand).map(present.contains) ?? false
        case .not(let child): return !satisfied(child, present, operands)
        case .and(let a, let b), .phrase(let a, let b, _): return satisfied(a, present, operands) && satisfied(b, present, operands)
        case .or(let a, let b): return satisfied(a, present, operands) || satisfied(b, present, operands)
        case .stop: return false
        }
    }
}
