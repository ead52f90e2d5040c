import Foundation
import VireoQuery
#if canImport(Glibc)
import Glibc
#endif

/// The machine's resources as /proc, statvfs and (where installed) nvidia-smi report them.
struct ResourceSample: Sendable {
    var cpuPercent: Double
    var perCPU: [Double]
    var memoryPercent, memoryUsedGB, memoryTotalGB: Double
    var diskPercent, diskUsedGB, diskTotalGB: Double
    var gpus: [GPU]

    struct GPU: Sendable {
        var id: Int
        var name: String
        var memoryUsedGB, memoryTotalGB, utilization, temperature: Double
        var memoryPercent: Double { memoryTotalGB > 0 ? round1(memoryUsedGB / memoryTotalGB * 100) : 0 }

        var json: JSONValue {
            .fields(("id", .integer(id)), ("name", .string(name)), ("memory_percent", .number(memoryPercent)),
                    ("memory_used_gb", .number(round1(memoryUsedGB))), ("memory_total_gb", .number(round1(memoryTotalGB))),
                    ("utilization", .number(utilization)), ("temperature", .number(temperature)))
        }
    }

    /// The values alert rules may name.
    var values: [String: Double] {
        var values = ["cpu_percent": cpuPercent, "memory_percent": memoryPercent, "disk_percent": diskPercent]
        if !gpus.isEmpty {
            values["gpu_utilization"] = gpus.map(\.utilization).max()
            values["gpu_memory_percent"] = gpus.map(\.memoryPercent).max()
            values["gpu_temperature"] = gpus.map(\.temperature).max()
        }
        return values
    }

    func json(timestamp: JSONValue) -> JSONValue {
        .fields(("timestamp", timestamp),
                ("cpu", .fields(("percent", .number(cpuPercent)), ("count", .integer(perCPU.count)), ("per_cpu", .array(perCPU.map(JSONValue.number))))),
                ("memory", .fields(("percent", .number(memoryPercent)), ("used_gb", .number(memoryUsedGB)), ("total_gb", .number(memoryTotalGB)))),
                ("disk", .fields(("percent", .number(diskPercent)), ("used_gb", .number(diskUsedGB)), ("total_gb", .number(diskTotalGB)))),
                ("gpu", .array(gpus.map(\.json))))
    }
}

func round1(_ value: Double) -> Double { (value * 10).rounded() / 10 }

/// Reads a sample: CPU usage is the busy share of two /proc/stat readings `intervalMs` apart.
enum ResourceMonitor {
    static let intervalMsDefault = 200

    static func sample(diskPath: String, intervalMs: Int = intervalMsDefault) async -> ResourceSample {
        let before = cpuTimes()
        try? await Task.sleep(for: .milliseconds(intervalMs))
        let after = cpuTimes()
        let usage = zip(before, after).map { first, second -> Double in
            let total = second.total - first.total, idle = second.idle - first.idle
            return total > 0 ? round1(Double(total - idle) / Double(total) * 100) : 0
        }
        let perCPU = Array(usage.dropFirst())
        let (memoryTotal, memoryAvailable) = memory()
        var disk = statvfs()
        let diskOK = statvfs(diskPath, &disk) == 0
        let blockBytes = Double(disk.f_frsize)
        let diskTotal = diskOK ? Double(disk.f_blocks) * blockBytes : 0
        let diskUsed = diskOK ? Double(disk.f_blocks - disk.f_bfree) * blockBytes : 0
        let gigabyte = 1_073_741_824.0
        return ResourceSample(
            cpuPercent: usage.first ?? 0, perCPU: perCPU,
            memoryPercent: memoryTotal > 0 ? round1((memoryTotal - memoryAvailable) / memoryTotal * 100) : 0,
            memoryUsedGB: round1((memoryTotal - memoryAvailable) / gigabyte), memoryTotalGB: round1(memoryTotal / gigabyte),
            diskPercent: diskTotal > 0 ? round1(diskUsed / diskTotal * 100) : 0, diskUsedGB: round1(diskUsed / gigabyte),
            diskTotalGB: round1(diskTotal / gigabyte), gpus: gpus())
    }

    /// (total, idle) jiffies of the "cpu" line, then of each "cpuN" line.
    static func cpuTimes() -> [(total: UInt64, idle: UInt64)] {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { $0.hasPrefix("cpu") }.map { line in
            let numbers = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
            // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
            let idle = (numbers.count > 3 ? numbers[3] : 0) + (numbers.count > 4 ? numbers[4] : 0)
            return (numbers.prefix(8).reduce(0, +), idle)
        }
    }

    /// (MemTotal, MemAvailable) in bytes.
    static func memory() -> (Double, Double) {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return (0, 0) }
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kilobytes = Double(parts[1]) { values[String(parts[0].dropLast())] = kilobytes * 1024 }
        }
        return (values["MemTotal"] ?? 0, values["MemAvailable"] ?? values["MemFree"] ?? 0)
    }

    /// GPUs through nvidia-smi when it is on PATH; none otherwise.
    static func gpus() -> [ResourceSample.GPU] {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/nvidia-smi" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { return [] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--query-gpu=index,name,memory.used,memory.total,utilization.gpu,temperature.gpu", "--format=csv,noheader,nounits"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return [] }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 6, let index = Int(fields[0]) else { return nil }
            let number = { (text: String) in Double(text) ?? 0 }
            return ResourceSample.GPU(id: index, name: fields[1], memoryUsedGB: number(fields[2]) / 1024, memoryTotalGB: number(fields[3]) / 1024,
                                      utilization: number(fields[4]), temperature: number(fields[5]))
        }
    }
}
