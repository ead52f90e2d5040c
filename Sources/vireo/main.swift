import ArgumentParser
import Logging
import VireoBenchANN
import VireoNet

// Logs go to standard error, so that standard output carries only results.
LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }

@available(macOS 15, *)
struct Vireo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Vireo: an embedded vector database.",
        subcommands: [Serve.self, Agent.self, Ingest.self, Search.self, Info.self, Check.self, Recover.self, SQLShell.self, Bench.self, CrashWriter.self,
                      UserCommands.self])
}

/// `vireo bench …`: the benchmark harness.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks.", subcommands: [BenchANN.self, BenchSQL.self, BenchConcurrency.self, BenchFTS.self])
}

// The async entry point. In top-level code a plain `Vireo.main()` resolves to
// ParsableCommand's synchronous one, which cannot run `vireo serve`.
func runAsyncRoot<Command: AsyncParsableCommand>(_ command: Command.Type) async {
    await command.main(nil)
}
await runAsyncRoot(Vireo.self)
