import Foundation
import Synchronization
import VireoQuery

/// What the agent tells the server about its machine: specs at registration, usage with
/// every heartbeat. Read from /proc and uname on Linux; GPUs from nvidia-smi when present.
final class AgentMachine: Sendable {
    /// The /proc/stat totals of the previous usage reading, to compute CPU use between two.
    private let lastCPU = Mutex<(busy: Double, total: Double)?>(nil)

    func specs(slots: Int) -> JSONValue {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let system = withUnsafeBytes(of: &name.sysname) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let memoryGB = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
        return .object([
            ("os", .string(system)), ("platform", .string(Self.platformName() ?? "\(system) \(release)")), ("kernel", .string(release)),
            ("arch", .string(machine)), ("hostname", .string(ProcessInfo.processInfo.hostName)),
            ("cpuModel", Self.cpuModel().map(JSONValue.string) ?? .null), ("cpuCount", .number(Double(ProcessInfo.processInfo.activeProcessorCount))),
            ("totalRAM_GB", .number((memoryGB * 10).rounded() / 10)), ("gpus", .array(Self.gpus())), ("slots", .number(Double(slots))),
        ] + usageFields())
    }

    /// CPU use (percent since the last reading) and RAM use (percent), as the seed names them.
    func usage() -> JSONValue { .object(usageFields()) }

    private func usageFields() -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = []
        if let cpu = cpuUsagePercent() { fields.append(("cpuUsage", .number((cpu * 10).rounded() / 10))) }
        if let ram = Self.ramUsagePercent() { fields.append(("ramUsage", .number((ram * 10).rounded() / 10))) }
        var loads = [Double](repeating: 0, count: 3)
        if getloadavg(&loads, 3) == 3 { fields.append(("loadAverage", .array(loads.map { .number(($0 * 100).rounded() / 100) }))) }
        return fields
    }

    private func cpuUsagePercent() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let numbers = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard numbers.count >= 4 else { return nil }
        let total = numbers.reduce(0, +), idle = numbers[3] + (numbers.count > 4 ? numbers[4] : 0)
        let previous = lastCPU.withLock { last in
            defer { last = (total - idle, total) }
            return last
        }
        guard let previous, total > previous.total else { return nil }
        return 100 * (total - idle - previous.busy) / (total - previous.total)
    }

    static func ramUsagePercent() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        func kilobytes(_ key: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(key + ":") }?.split(separator: " ").dropFirst().first.flatMap { Double($0) }
        }
        guard let total = kilobytes("MemTotal"), let available = kilobytes("MemAvailable"), total > 0 else { return nil }
        return 100 * (total - available) / total
    }

    static func platformName() -> String? {
        guard let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) else { return nil }
        let line = text.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
        return line.map { String($0.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
    }

    static func cpuModel() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        let line = text.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line?.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// NVIDIA GPUs by name and memory; none when nvidia-smi is missing or fails.
    static func gpus() -> [JSONValue] {
        let candidates = ["/usr/bin/nvidia-smi", "/usr/local/bin/nvidia-smi"]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return [] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return [] }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let parts = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return .object([("name", .string(parts.first ?? "")), ("memoryGB", .number((Double(parts.last ?? "") ?? 0) / 1024))])
        }
    }
}
