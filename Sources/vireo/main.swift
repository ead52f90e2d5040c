import ArgumentParser
import VireoNet

struct Vireo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Vireo: an embedded vector database.",
        subcommands: [Bench.self])
}

/// `vireo bench …`: the benchmark harness.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks.", subcommands: [BenchANN.self])
}
Vireo.main()
