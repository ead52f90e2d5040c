// vireo-bench-embed: batch embedding throughput of the native all-MiniLM-L6-v2, in
// sentences per second. Benchmarks/embed/bench_embed.sh runs it beside sentence-transformers
// on the same sentences (it writes them with --sentences-out).
//
//   vireo-bench-embed [--count N] [--runs N] [--seed N] [--sentences-out PATH]
import Foundation
import VireoQuery

struct Options {
    var count = 1000
    var runs = 3
    var seed: UInt64 = 42
    var sentencesOut: String?

    static let countMax = 1_000_000
    static let runsMax = 100

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw usage("\(flag) needs a value") }
            switch flag {
            case "--count": count = try Self.number(value, flag, max: Self.countMax)
            case "--runs": runs = try Self.number(value, flag, max: Self.runsMax)
            case "--seed": seed = UInt64(try Self.number(value, flag, max: Int.max))
            case "--sentences-out": sentencesOut = value
            default: throw usage("unknown option \(flag)")
            }
        }
    }

    static func number(_ text: String, _ flag: String, max: Int) throws -> Int {
        guard let value = Int(text), value >= 1, value <= max else { throw usage("\(flag) takes 1...\(max)") }
        return value
    }
}

struct UsageError: Error, CustomStringConvertible { let description: String }
func usage(_ message: String) -> UsageError {
    UsageError(description: "\(message)\nusage: vireo-bench-embed [--count N] [--runs N] [--seed N] [--sentences-out PATH]")
}

/// Sentences of 6 to 48 words drawn from a fixed word list by a seeded generator, so
/// that every run, and the Python peer reading them back, embeds the same text.
func sentences(count: Int, seed: UInt64) -> [String] {
    let words = """
    the a of and to in is was for on with as by at from that this it be are vector database search index \
    query embedding model text document chunk store table row column nearest neighbour graph layer distance \
    cosine similarity retrieval question answer meaning language sentence word token batch memory disk page \
    river mountain city music history science garden kitchen library window morning evening winter summer \
    quickly slowly carefully often never always because although while after before during between under \
    small large ancient modern bright quiet heavy simple careful famous important different local global
    """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    var state = seed
    func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }
    return (0..<count).map { _ in
        let length = 6 + next(43)
        let text = (0..<length).map { _ in words[next(words.count)] }.joined(separator: " ")
        return text.prefix(1).uppercased() + text.dropFirst() + "."
    }
}

func run() async throws {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    guard let directory = MiniLMEmbedder.defaultModelDirectory() else {
        throw usage("no model: run `make models` or set VIREO_MODEL_DIR")
    }
    let embedder = try MiniLMEmbedder(directory: directory)
    let texts = sentences(count: options.count, seed: options.seed)
    if let path = options.sentencesOut {
        try JSONSerialization.data(withJSONObject: texts).write(to: URL(fileURLWithPath: path))
    }
    let pieces = texts.reduce(0) { $0 + min($1.isEmpty ? 0 : embedder.tokenCount($1), 254) + 2 }
    _ = try await embedder.embed(Array(texts.prefix(MiniLMEmbedder.batchSizeMax)))  // warm-up
    var seconds: [Double] = []
    for _ in 0..<options.runs {
        let start = ContinuousClock.now
        let vectors = try await embedder.embed(texts)
        let elapsed = ContinuousClock.now - start
        precondition(vectors.count == texts.count, "one vector per sentence")
        seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    let best = seconds.min()!, median = seconds.sorted()[seconds.count / 2]
    print(String(format: "native Swift + OpenBLAS  %d sentences (%d tokens), batch %d: best %.2f s = %.0f sentences/s, median %.0f sentences/s",
                 texts.count, pieces, MiniLMEmbedder.batchSizeMax, best, Double(texts.count) / best, Double(texts.count) / median))
}

do {
    try await run()
} catch {
    FileHandle.standardError.write(Data("vireo-bench-embed: \(error)\n".utf8))
    exit(1)
}
