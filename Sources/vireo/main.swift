import ArgumentParser
import Logging
import VireoNet

// Logs go to standard error, so that standard output carries only results.
LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }

struct Vireo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Vireo: an embedded vector database.",
        subcommands: [Info.self, Check.self, Recover.self, SQLShell.self, Bench.self, CrashWriter.self])
}

/// `vireo bench …`: the benchmark harness.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks.", subcommands: [BenchANN.self, BenchSQL.self])
}

Vireo.main()
