#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CVireoSupport

/// Bounded max-heaps over raw buffers, used by every top-k selection. The heap keeps
/// the `capacity` smallest distances seen; its root is the worst of them, so a new
/// candidate is rejected with one comparison. No allocation after `init`.
struct TopKHeap<ID: BinaryInteger> {
    private(set) var distances: UnsafeMutablePointer<Float>
    private(set) var ids: UnsafeMutablePointer<ID>
    /// How many elements the buffers hold.
    let allocatedCapacity: Int
    /// How many elements the heap keeps (≤ allocatedCapacity).
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        allocatedCapacity = self.capacity
        distances = .allocate(capacity: self.capacity)
        ids = .allocate(capacity: self.capacity)
    }

    /// Empties the heap and sets how many elements it keeps (≤ allocatedCapacity).
    mutating func reset(capacity newCapacity: Int) {
        precondition(newCapacity >= 1 && newCapacity <= allocatedCapacity, "heap capacity beyond its buffers")
        capacity = newCapacity
        count = 0
    }

    func deallocate() {
        distances.deallocate()
        ids.deallocate()
    }

    /// The largest kept distance, or +infinity while the heap is not full.
    @inline(__always)
    var worst: Float { count < capacity ? .infinity : distances[0] }

    @inline(__always)
    var isEmpty: Bool { count == 0 }

    mutating func removeAll() { count = 0 }

    /// Offers a candidate; keeps it only if it beats the current worst.
    @inline(__always)
    mutating func offer(_ distance: Float, _ id: ID) {
        if count < capacity {
            push(distance, id)
        } else if distance < distances[0] {
            distances[0] = distance
            ids[0] = id
            siftDown(0)
        }
    }

    /// Adds unconditionally; the caller checks `count < capacity`.
    @inline(__always)
    mutating func push(_ distance: Float, _ id: ID) {
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) >> 1
            if distances[parent] >= distance { break }
            distances[i] = distances[parent]
            ids[i] = ids[parent]
            i = parent
        }
        distances[i] = distance
        ids[i] = id
    }

    /// Removes the worst element.
    @inline(__always)
    mutating func popWorst() {
        count -= 1
        guard count > 0 else { return }
        distances[0] = distances[count]
        ids[0] = ids[count]
        siftDown(0)
    }

    @inline(__always)
    private mutating func siftDown(_ start: Int) {
        var i = start
        let d = distances[i], id = ids[i]
        while true {
            var child = 2 * i + 1
            if child >= count { break }
            if child + 1 < count && distances[child + 1] > distances[child] { child += 1 }
            if distances[child] <= d { break }
            distances[i] = distances[child]
            ids[i] = ids[child]
            i = child
        }
        distances[i] = d
        ids[i] = id
    }

    /// Replaces the contents with `newCount` (≤ capacity) elements given best first, stored
    /// worst first (a descending array is a valid max-heap).
    mutating func replace(ascending source: UnsafePointer<(distance: Float, id: ID)>, count newCount: Int) {
        precondition(newCount <= capacity, "more elements than the heap keeps")
        for i in 0..<newCount {
            (distances[i], ids[i]) = source[newCount - 1 - i]
        }
        count = newCount
    }

    /// Whether the elements are in descending order, as `replace(ascending:)` leaves them
    /// (a graph search's pool): then the best are read from the end, with no sifting.
    private var isSortedDescending: Bool {
        var i = 1
        while i < count && distances[i - 1] >= distances[i] { i += 1 }
        return i >= count
    }

    /// Keeps only the `k` best elements.
    mutating func keepBest(_ k: Int) {
        guard count > k else { return }
        if isSortedDescending {
            let drop = count - k
            for i in 0..<k {
                distances[i] = distances[drop + i]
                ids[i] = ids[drop + i]
            }
            count = k
        } else {
            while count > k { popWorst() }
        }
    }

    /// The kept elements, best first.
    func sorted() -> [(distance: Float, id: ID)] {
        var out: [(distance: Float, id: ID)] = []
        out.reserveCapacity(count)
        if isSortedDescending {
            // Ascending already; the sort below then only orders equal distances by id (it is
            // linear on sorted input).
            for i in stride(from: count - 1, through: 0, by: -1) { out.append((distances[i], ids[i])) }
        } else {
            for i in 0..<count { out.append((distances[i], ids[i])) }
        }
        out.sort { $0.distance < $1.distance || ($0.distance == $1.distance && $0.id < $1.id) }
        return out
    }
}

/// A min-heap of (distance, node) candidates: the frontier of a graph search. Grows
/// by doubling, so a search context reaches its steady size after a few queries.
struct CandidateHeap {
    private var distances: UnsafeMutablePointer<Float>
    private var ids: UnsafeMutablePointer<UInt32>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        distances = .allocate(capacity: self.capacity)
        ids = .allocate(capacity: self.capacity)
    }

    func deallocate() {
        distances.deallocate()
        ids.deallocate()
    }

    mutating func removeAll() { count = 0 }

    @inline(__always)
    var isEmpty: Bool { count == 0 }

    @inline(__always)
    var bestDistance: Float { distances[0] }

    @inline(__always)
    var bestID: UInt32 { ids[0] }

    @inline(__always)
    mutating func push(_ distance: Float, _ id: UInt32) {
        if count == capacity { grow() }
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) >> 1
            if distances[parent] <= distance { break }
            distances[i] = distances[parent]
            ids[i] = ids[parent]
            i = parent
        }
        distances[i] = distance
        ids[i] = id
    }

    @inline(__always)
    mutating func popBest() -> (distance: Float, id: UInt32) {
        let top = (distances[0], ids[0])
        count -= 1
        if count > 0 {
            let d = distances[count], id = ids[count]
            var i = 0
            while true {
                var child = 2 * i + 1
                if child >= count { break }
                if child + 1 < count && distances[child + 1] < distances[child] { child += 1 }
                if distances[child] >= d { break }
                distances[i] = distances[child]
                ids[i] = ids[child]
                i = child
            }
            distances[i] = d
            ids[i] = id
        }
        return top
    }

    private mutating func grow() {
        let newCapacity = capacity * 2
        let newDistances = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity)
        let newIDs = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
        newDistances.update(from: distances, count: count)
        newIDs.update(from: ids, count: count)
        deallocate()
        distances = newDistances
        ids = newIDs
        capacity = newCapacity
    }
}

/// The frontier and the results of a graph search whose filter rejects nothing, in one
/// array sorted by distance (best first) holding at most `limit` (ef) entries, each
/// flagged once expanded. The next node to expand is the first unexpanded entry, and a
/// node pushed out of the array could never have been expanded (it is farther than ef
/// others), so this replaces the candidate heap and the result heap of the classic loop
/// (NSG and its successors search this way). Inserting is a binary search and a move of
/// the entries behind; no allocation after `init`.
struct SearchPool {
    /// Distance and node of each entry, best first.
    private(set) var entries: UnsafeMutablePointer<(distance: Float, id: UInt32)>
    /// Whether entry i's links have been read.
    private(set) var expanded: UnsafeMutablePointer<Bool>
    /// Entries the buffers hold.
    let bufferCount: Int
    /// Entries kept (ef, ≤ bufferCount) and entries held now.
    private(set) var limit = 1
    private(set) var count = 0

    init(bufferCount: Int) {
        // vireo_upper_bound_pairs reads the distances as every other float.
        precondition(MemoryLayout<(distance: Float, id: UInt32)>.stride == 8, "pool entries must be two packed 32-bit fields")
        self.bufferCount = max(bufferCount, 1)
        entries = .allocate(capacity: self.bufferCount)
        expanded = .allocate(capacity: self.bufferCount)
    }

    func deallocate() {
        entries.deallocate()
        expanded.deallocate()
    }

    /// Empties the pool and sets how many entries it keeps.
    mutating func reset(limit newLimit: Int) {
        precondition(newLimit >= 1 && newLimit <= bufferCount, "pool limit beyond its buffers")
        limit = newLimit
        count = 0
    }

    /// Inserts an unexpanded entry unless the pool is full and it is not closer than the
    /// worst (which it then pushes out); returns its position, or `limit` when it was
    /// not kept. Equal distances keep their arrival order.
    @inline(__always)
    mutating func insert(_ distance: Float, _ id: UInt32) -> Int {
        if count == limit {
            if !(distance < entries[count - 1].distance) { return limit }
            count -= 1
        }
        let low = vireo_upper_bound_pairs(entries, count, distance)
        let behind = count - low
        if behind > 16 {
            memmove(entries + low + 1, entries + low, behind * MemoryLayout<(distance: Float, id: UInt32)>.stride)
            memmove(expanded + low + 1, expanded + low, behind * MemoryLayout<Bool>.stride)
        } else {
            // A few entries (the usual case at search ef): cheaper than two library calls.
            var i = count
            while i > low {
                entries[i] = entries[i - 1]
                expanded[i] = expanded[i - 1]
                i -= 1
            }
        }
        entries[low] = (distance, id)
        expanded[low] = false
        count += 1
        return low
    }

    /// The first unexpanded position at or after `start` (`count` when there is none).
    @inline(__always)
    func firstUnexpanded(from start: Int) -> Int {
        var i = start
        while i < count && expanded[i] { i += 1 }
        return i
    }

    @inline(__always)
    func markExpanded(_ position: Int) { expanded[position] = true }
}
