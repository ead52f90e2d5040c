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

    /// The kept elements, best first.
    func sorted() -> [(distance: Float, id: ID)] {
        var out: [(distance: Float, id: ID)] = []
        out.reserveCapacity(count)
        for i in 0..<count { out.append((distances[i], ids[i])) }
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
