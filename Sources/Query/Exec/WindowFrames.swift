import VireoStorage

/// Which rows of its partition a row's frame holds.
extension WindowPartition {
    /// Row `i`'s frame as a range of partition positions (empty when its start passes its end).
    func frame(_ i: Int) throws -> Range<Int> {
        let frame = call.frame
        let low = try position(frame.start, i, isStart: true)
        let high = try position(frame.end, i, isStart: false)
        let clampedLow = min(max(low, 0), count), clampedHigh = min(max(high, 0), count)
        return clampedLow..<max(clampedLow, clampedHigh)
    }

    /// Row `i`'s frame as the positions it holds, EXCLUDE applied.
    func frameRows(_ i: Int) throws -> [Int] {
        let frame = try self.frame(i)
        switch call.frame.exclusion {
        case .noOthers: return Array(frame)
        case .currentRow: return frame.filter { $0 != i }
        case .group: return frame.filter { !peerGroup(i).contains($0) }
        case .ties: return frame.filter { $0 == i || !peerGroup(i).contains($0) }
        }
    }

    /// The first row in the frame (`isStart`) or one past the last.
    private func position(_ bound: BoundFrame.Bound, _ i: Int, isStart: Bool) throws -> Int {
        switch bound {
        case .unboundedPreceding: return 0
        case .unboundedFollowing: return count
        case .currentRow:
            guard call.frame.mode != .rows else { return isStart ? i : i + 1 }
            let peers = peerGroup(i)
            return isStart ? peers.lowerBound : peers.upperBound
        case .preceding(let offset), .following(let offset):
            let isPreceding: Bool
            if case .preceding = bound { isPreceding = true } else { isPreceding = false }
            let amount = try offsetValue(offset, isStart: isStart)
            switch call.frame.mode {
            case .rows:
                guard case .int(let rowsCount) = amount else { return i }
                let target = Int(clamping: isPreceding ? Int64(i) - rowsCount : Int64(i) + rowsCount)
                return isStart ? target : target &+ 1
            case .groups:
                guard case .int(let groupsCount) = amount else { return i }
                return groupPosition(i, by: isPreceding ? -groupsCount : groupsCount, isStart: isStart)
            case .range:
                return try rangePosition(i, amount, isPreceding: isPreceding, isStart: isStart)
            }
        }
    }

    /// A frame offset: not NULL, not negative.
    private func offsetValue(_ offset: BoundExpression, isStart: Bool) throws -> Value {
        let which = isStart ? "starting" : "ending"
        var value = try Evaluator.evaluate(offset, [], context)
        if call.frame.mode != .range { value = try Cast.convert(value, to: .int) }
        if value.isNull { throw VireoError(.dataException, "frame \(which) offset must not be null") }
        if let number = Operators.number(value), number < 0 {
            throw VireoError(.invalidFrameOffset, call.frame.mode != .range ? "frame \(which) offset must not be negative"
                                                                             : "invalid preceding or following size in window function")
        }
        return value
    }

    /// GROUPS: the first row (`isStart`) or one past the last of the peer group `shift` groups
    /// away from row `i`'s; past either end, the partition's edge.
    private func groupPosition(_ i: Int, by shift: Int64, isStart: Bool) -> Int {
        var group = peerGroup(i)
        var remaining = shift.magnitude
        while remaining > 0 {
            if shift < 0 {
                guard group.lowerBound > 0 else { return 0 }
                group = peerGroup(group.lowerBound - 1)
            } else {
                guard group.upperBound < count else { return count }
                group = peerGroup(group.upperBound)
            }
            remaining -= 1
        }
        return isStart ? group.lowerBound : group.upperBound
    }

    /// RANGE `offset PRECEDING/FOLLOWING` over the one ORDER BY key: the rows whose key lies
    /// within `offset` of row `i`'s (in the sort's direction). A NULL key's frame is its peers.
    private func rangePosition(_ i: Int, _ offset: Value, isPreceding: Bool, isStart: Bool) throws -> Int {
        let key = orderKeys[i][0]
        if key.isNull { let peers = peerGroup(i); return isStart ? peers.lowerBound : peers.upperBound }
        let descending = call.orderBy[0].descending
        // The limit value in sort direction: PRECEDING moves against it, FOLLOWING with it.
        let towardsStart = isPreceding
        let limit = try Operators.apply(towardsStart != descending ? .subtract : .add, key, offset)
        // Rows whose key is on the inside of `limit`.
        func inside(_ row: Int) throws -> Bool {
            let other = orderKeys[row][0]
            if other.isNull { return false }
            let order = try Compare.values(other, limit) ?? 0
            if isStart { return descending ? order <= 0 : order >= 0 }
            return descending ? order >= 0 : order <= 0
        }
        if isStart {
            var row = i
            while row > 0, try inside(row - 1) { row -= 1 }
            while row < count, !(try inside(row)) { row += 1 }
            return row
        }
        var row = i + 1
        while row < count, try inside(row) { row += 1 }
        while row > 0, !(try inside(row - 1)) { row -= 1 }
        return row
    }
}
