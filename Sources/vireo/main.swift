import ArgumentParser
import Logging
import VireoNet

// Logs go to standard error, so that standard output carries only results.
LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }

struct Vireo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Vireo: an embedded vector database.",
        subcommands: [Info.self, Check.self, CrashWriter.self])
}

Vireo.main()
