/// What happens to unsynced changes when a `SimulatedBackend` crashes.
public enum SimulatedCrashPolicy: Sendable {
    /// Each pending write is independently kept, dropped, torn (only a prefix of its
    /// 512-byte sectors lands) or garbled (its bytes replaced by noise); each pending
    /// truncation is kept or dropped.
    case random
    /// Every pending change is lost.
    case dropUnsynced
    /// Every pending change lands, as if the disk had flushed just before the crash.
    case keepUnsynced
}

/// What a simulated crash did, with the seed that replays it.
public struct SimulatedCrashReport: Sendable, CustomStringConvertible {
    /// Passing this to `crash(seed:)` on the same history replays the crash.
    public var seed: UInt64
    /// Pending changes that landed whole.
    public var keptCount = 0
    /// Pending changes lost entirely.
    public var droppedCount = 0
    /// Pending writes of which only a prefix of sectors landed.
    public var tornCount = 0
    /// Pending writes whose bytes landed as noise.
    public var garbledCount = 0

    public var description: String {
        "crash seed \(seed): kept \(keptCount), dropped \(droppedCount), torn \(tornCount), garbled \(garbledCount)"
    }
}

extension SimulatedDiskState {
    /// Disk sector: the unit a torn write keeps or loses.
    static let sectorSizeBytes = 512

    /// Replaces every file's contents by its durable image plus what `policy` lets land of
    /// its pending changes; handles opened before now stop working. Files are visited in
    /// path order, so a seed always gives the same result.
    mutating func crash(seed: UInt64, policy: SimulatedCrashPolicy) -> SimulatedCrashReport {
        var random = SplitMix64(seed: seed)
        var report = SimulatedCrashReport(seed: seed)
        for path in files.keys.sorted() {
            guard var image = files[path] else { continue }
            for change in image.pending {
                let outcome = Self.land(change, on: &image.durable, policy: policy, random: &random)
                report.count(outcome)
            }
            image.current = image.durable
            image.pending = []
            files[path] = image
        }
        epoch += 1
        locks = [:]
        return report
    }

    private static func land(
        _ change: SimulatedPendingChange, on durable: inout [UInt8], policy: SimulatedCrashPolicy,
        random: inout SplitMix64
    ) -> CrashOutcome {
        let outcome: CrashOutcome
        switch (policy, change) {
        case (.dropUnsynced, _): outcome = .dropped
        case (.keepUnsynced, _): outcome = .kept
        case (.random, .truncate): outcome = Bool.random(using: &random) ? .kept : .dropped
        case (.random, .write): outcome = [.kept, .dropped, .torn, .garbled].randomElement(using: &random) ?? .dropped
        }
        guard case .write(let offset, let bytes) = change else {
            if outcome == .kept { change.apply(to: &durable) }
            return outcome
        }
        switch outcome {
        case .kept: durable.overwrite(at: offset, with: bytes)
        case .dropped: break
        case .torn: durable.overwrite(at: offset, with: Array(bytes.prefix(tornLength(offset: offset, count: bytes.count, random: &random))))
        case .garbled: durable.overwrite(at: offset, with: noise(count: bytes.count, random: &random))
        }
        return outcome
    }

    private static func noise(count: Int, random: inout SplitMix64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count { withUnsafeBytes(of: random.next()) { bytes.append(contentsOf: $0) } }
        return Array(bytes.prefix(count))
    }

    /// A random strict prefix of the write, ending on a sector boundary of the file (or
    /// nothing, which for a single-sector write is the only strict prefix).
    private static func tornLength(offset: Int, count: Int, random: inout SplitMix64) -> Int {
        let firstBoundary = (offset / sectorSizeBytes + 1) * sectorSizeBytes
        let boundaries = stride(from: firstBoundary, to: offset + count, by: sectorSizeBytes).map { $0 - offset }
        return ([0] + boundaries).randomElement(using: &random) ?? 0
    }
}

/// What became of one pending change in a crash.
private enum CrashOutcome { case kept, dropped, torn, garbled }

extension SimulatedCrashReport {
    fileprivate mutating func count(_ outcome: CrashOutcome) {
        switch outcome {
        case .kept: keptCount += 1
        case .dropped: droppedCount += 1
        case .torn: tornCount += 1
        case .garbled: garbledCount += 1
        }
    }
}

