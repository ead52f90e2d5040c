import ArgumentParser
import VireoNet

struct Vireo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Vireo: an embedded vector database.")
}
Vireo.main()
