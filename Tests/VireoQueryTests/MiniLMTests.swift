import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// The reference fixture written by scripts/minilm_reference.py from sentence-transformers.
struct MiniLMReference: Decodable {
    struct Case: Decodable {
        var text: String
        var pieceCount: Int
        var inputIds: [Int32]
        var embedding: [Float]
    }
    /// Random strings with the fast tokenizer's ids (no specials around them).
    struct TokenizerCase: Decodable {
        var text: String
        var pieceIds: [Int32]
    }
    var model: String
    var maxSeqLength: Int
    var cases: [Case]
    var tokenizerCases: [TokenizerCase]

    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/minilm_reference.json")

    static func load() throws -> MiniLMReference {
        try JSONDecoder().decode(MiniLMReference.self, from: Data(contentsOf: url))
    }

    /// The model folder, or nil when it is absent and nobody asked for it: `make test`
    /// fetches it and sets VIREO_MODEL_DIR, so there a missing model fails rather than skips.
    static let modelDirectory = MiniLMEmbedder.defaultModelDirectory()
    static let skipReason = "all-MiniLM-L6-v2 not found: VIREO_MODEL_DIR is unset and the default cache has no model; run `make models` (or `make test`) to fetch it"

    /// Loaded once for the whole suite: the weights are 90 MB.
    static let embedder: Result<MiniLMEmbedder, any Error> = Result {
        guard let directory = modelDirectory else { throw VireoError(.ioError, skipReason) }
        return try MiniLMEmbedder(directory: directory)
    }
}

func cosine(_ a: [Float], _ b: [Float]) -> Float {
    let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    let norms = a.reduce(0) { $0 + $1 * $1 }.squareRoot() * b.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return dot / norms
}

@Suite("MiniLM: the native all-MiniLM-L6-v2 against sentence-transformers")
struct MiniLMTests {
    @Test("the tokenizer gives the reference tokenizer's ids and piece counts",
          .enabled(if: MiniLMReference.modelDirectory != nil, Comment(rawValue: MiniLMReference.skipReason)))
    func tokenizerMatchesReference() throws {
        let embedder = try MiniLMReference.embedder.get()
        let reference = try MiniLMReference.load()
        #expect(reference.cases.count >= 20)
        for item in reference.cases {
            let ids = embedder.tokenizer.encode(item.text, tokensMax: reference.maxSeqLength)
            #expect(ids == item.inputIds, "\(item.text.debugDescription): expected \(item.inputIds), got \(ids)")
            #expect(embedder.tokenCount(item.text) == item.pieceCount, "\(item.text.debugDescription): piece count")
        }
        #expect(reference.tokenizerCases.count >= 100)
        for item in reference.tokenizerCases {
            let ids = embedder.tokenizer.pieceIds(item.text)
            #expect(ids == item.pieceIds, "\(item.text.debugDescription): expected \(item.pieceIds), got \(ids)")
        }
    }

    @Test("every reference sentence's embedding has cosine ≥ 0.999 with sentence-transformers'",
          .enabled(if: MiniLMReference.modelDirectory != nil, Comment(rawValue: MiniLMReference.skipReason)))
    func embeddingsMatchReference() async throws {
        let embedder = try MiniLMReference.embedder.get()
        let reference = try MiniLMReference.load()
        let vectors = try await embedder.embed(reference.cases.map(\.text))
        #expect(vectors.count == reference.cases.count)
        var lowest: Float = 1
        for (item, vector) in zip(reference.cases, vectors) {
            #expect(vector.count == 384)
            let similarity = cosine(vector, item.embedding)
            lowest = min(lowest, similarity)
            #expect(similarity >= 0.999, "\(item.text.prefix(60).debugDescription): cosine \(similarity)")
            #expect(abs(cosine(vector, vector) - 1) < 1e-5 && abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
        }
        print("MiniLM: lowest cosine with sentence-transformers over \(vectors.count) sentences: \(lowest)")
    }

    @Test("a text's vector does not depend on its batch or on the batch boundaries",
          .enabled(if: MiniLMReference.modelDirectory != nil, Comment(rawValue: MiniLMReference.skipReason)))
    func batchingIsInvisible() async throws {
        let embedder = try MiniLMReference.embedder.get()
        let texts = (0..<(MiniLMEmbedder.batchSizeMax + 3)).map { "sentence number \($0) about \($0 % 2 == 0 ? "cats" : "vector search")" }
        let together = try await embedder.embed(texts)
        for index in [0, 1, MiniLMEmbedder.batchSizeMax - 1, MiniLMEmbedder.batchSizeMax, texts.count - 1] {
            let alone = try await embedder.embed([texts[index]])[0]
            #expect(cosine(alone, together[index]) > 0.99999, "text \(index) differs when embedded alone")
        }
        #expect(try await embedder.embed([]).isEmpty)
        #expect(embedder.name == "all-MiniLM-L6-v2" && embedder.dimension == 384 && embedder.maxInputTokens == 256 && embedder.isSemantic)
    }

    @Test("VIREO_MODEL_DIR overrides the cache; a cache without the model gives nil")
    func defaultDirectory() {
        let missing = "/nonexistent-\(UInt64.random(in: 0...UInt64.max))"
        #expect(MiniLMEmbedder.defaultModelDirectory(environment: ["VIREO_MODEL_DIR": "/models/x"])?.path == "/models/x")
        #expect(MiniLMEmbedder.defaultModelDirectory(environment: ["XDG_CACHE_HOME": missing, "HOME": missing]) == nil)
        #expect(MiniLMEmbedder.defaultModelDirectory(environment: [:]) == nil)
    }

    @Test("a model folder without its files fails with an error naming the file")
    func missingModelFolder() {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vireo-no-model-\(UInt64.random(in: 0...UInt64.max))")
        do {
            _ = try MiniLMEmbedder(directory: folder)
            Issue.record("loading an empty folder succeeded")
        } catch let error as VireoError {
            #expect(error.message.contains("vocab.txt"), "expected the missing file in: \(error.message)")
        } catch {
            Issue.record("expected a VireoError, got \(error)")
        }
    }
}

@Suite("WordPiece tokenizer rules on a tiny vocabulary")
struct WordPieceRuleTests {
    static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "cafe", "!", ",", "中", "hello"]

    func tokenizer() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabulary: Self.vocabulary.map { Array($0.utf8) }, source: "test")
    }

    @Test("greedy longest match, accents stripped, punctuation and CJK split, unknown words as [UNK]")
    func rules() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.pieceIds("Unaffable!") == [4, 5, 6, 8])
        #expect(tokenizer.pieceIds("CAFÉ,hello") == [7, 9, 11])
        #expect(tokenizer.pieceIds("hello中hello") == [11, 10, 11])
        #expect(tokenizer.pieceIds("unx hello") == [1, 11])
        #expect(tokenizer.pieceIds("he\u{0}llo\u{200B}") == [11])
        #expect(tokenizer.pieceIds(String(repeating: "un", count: 51)) == [1])
        #expect(tokenizer.encode("hello hello hello", tokensMax: 4) == [2, 11, 11, 3])
        #expect(tokenizer.encode("", tokensMax: 4) == [2, 3])
    }

    @Test("special tokens written in the text stay special, case-sensitively; unassigned code points are kept")
    func specialTokensAndUnassigned() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.pieceIds("hello[SEP]\u{301}hello [cls]") == [11, 3, 11, 1, 1, 1])
        #expect(tokenizer.pieceIds("[PAD[UNK]") == [1, 1, 1])
        #expect(tokenizer.pieceIds("\u{FFF0}hello") == [1], "U+FFF0 is unassigned, not control: the word is unknown")
    }

    @Test("a vocabulary without the special tokens is refused")
    func missingSpecials() {
        #expect(throws: VireoError.self) { try WordPieceTokenizer(vocabulary: [Array("hello".utf8)], source: "tiny") }
    }
}

@Suite("Vector activation kernels against libm")
struct ActivationKernelTests {
    @Test("vector GELU and exp stay within float rounding of erff and expf")
    func accuracy() {
        let inputs = (0..<32_000).map { Float($0 - 16_000) / 1_000 }  // -16 ... 16
        var gelu = inputs
        gelu.withUnsafeMutableBufferPointer { ActivationKernels.gelu($0.baseAddress!, count: $0.count) }
        let geluError = zip(inputs, gelu).map { abs($1 - 0.5 * $0 * (1 + erff($0 * 0.707_106_781))) }.max()!
        #expect(geluError < 2e-6, "largest GELU difference \(geluError)")

        var exps = inputs.map { $0 * 5 }  // -80 ... 80
        let sum = exps.withUnsafeMutableBufferPointer { ActivationKernels.exponentiate($0.baseAddress!, count: $0.count, shift: 1) }
        let expError = zip(inputs, exps).map { abs($1 / expf($0 * 5 - 1) - 1) }.max()!
        #expect(expError < 1e-6, "largest relative exp difference \(expError)")
        let expected = inputs.reduce(Float(0)) { $0 + expf($1 * 5 - 1) }
        #expect(abs(sum / expected - 1) < 1e-4, "sum \(sum), expected \(expected)")
    }

    @Test("LayerNorm, softmax and the residual add agree with the formulas in Double")
    func rowKernels() {
        let rows = 3, width = 7
        let input = (0..<rows * width).map { Float(($0 * 37) % 23) / 4 - 2.5 }
        let scale = (0..<width).map { 0.5 + Float($0) / 10 }, shift = (0..<width).map { Float($0) / 20 - 0.1 }
        var normed = input, soft = input, summed = input
        normed.withUnsafeMutableBufferPointer {
            ActivationKernels.layerNorm($0.baseAddress!, rows: rows, width: width, scale: scale, shift: shift, epsilon: 1e-12)
        }
        soft.withUnsafeMutableBufferPointer { ActivationKernels.softmaxRows($0.baseAddress!, rows: rows, columns: width) }
        input.withUnsafeBufferPointer { source in
            summed.withUnsafeMutableBufferPointer { ActivationKernels.add(source.baseAddress!, into: $0.baseAddress!, count: rows * width) }
        }
        for row in 0..<rows {
            let x = input[row * width..<(row + 1) * width].map(Double.init)
            let mean = x.reduce(0, +) / Double(width)
            let deviation = (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width) + 1e-12).squareRoot()
            let largest = x.max()!, exps = x.map { Foundation.exp($0 - largest) }, total = exps.reduce(0, +)
            for i in 0..<width {
                let expectedNorm = (x[i] - mean) / deviation * Double(scale[i]) + Double(shift[i])
                #expect(abs(Double(normed[row * width + i]) - expectedNorm) < 1e-5, "LayerNorm row \(row) column \(i)")
                #expect(abs(Double(soft[row * width + i]) - exps[i] / total) < 1e-6, "softmax row \(row) column \(i)")
                #expect(summed[row * width + i] == 2 * input[row * width + i])
            }
        }
    }
}

@Suite("safetensors reader")
struct SafeTensorsTests {
    /// A safetensors image: the header length, the header, then the payload.
    static func image(header: String, payload: [UInt8]) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: payload)
        return data
    }

    static let floats: [Float] = [1.5, -2, 0.25, 3e-8, 7, 8]
    static let payload: [UInt8] = floats.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    static let header = #"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#

    @Test("a valid file reads back its tensor, checked against the expected shape")
    func roundTrip() throws {
        let file = try SafeTensorsFile(data: Self.image(header: Self.header, payload: Self.payload), path: "ok.safetensors")
        #expect(try file.floats("w", shape: [2, 3]) == Self.floats)
        #expect(throws: VireoError.self) { try file.floats("w", shape: [3, 2]) }
        #expect(throws: VireoError.self) { try file.floats("missing", shape: [1]) }
    }

    @Test("truncated or garbled files give a corruption error naming the file", arguments: [
        ("truncated data", SafeTensorsTests.image(header: header, payload: Array(payload.prefix(20)))),
        ("truncated header", Data(SafeTensorsTests.image(header: header, payload: payload).prefix(40))),
        ("shorter than the length", Data([1, 2, 3])),
        ("huge header length", Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x7B, 0x7D])),
        ("header not JSON", SafeTensorsTests.image(header: "{not json", payload: payload)),
        ("size does not fill the range", SafeTensorsTests.image(
            header: #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,24]}}"#, payload: payload)),
        ("offsets reversed", SafeTensorsTests.image(
            header: #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, payload: payload)),
        ("unknown dtype", SafeTensorsTests.image(
            header: #"{"w":{"dtype":"Q4","shape":[6],"data_offsets":[0,24]}}"#, payload: payload)),
        ("overflowing shape", SafeTensorsTests.image(
            header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,24]}}"#, payload: payload)),
    ])
    func corruptFiles(label: String, data: Data) {
        do {
            _ = try SafeTensorsFile(data: data, path: "/models/bad.safetensors")
            Issue.record("\(label): opened without error")
        } catch let error as VireoError {
            #expect(error.code == .corruption, "\(label): expected corruption, got \(error.code)")
            #expect(error.message.contains("/models/bad.safetensors"), "\(label): the message does not name the file: \(error.message)")
        } catch {
            Issue.record("\(label): expected a VireoError, got \(error)")
        }
    }

    @Test("a file that cannot be read gives an I/O error naming it")
    func unreadable() {
        #expect { try SafeTensorsFile(contentsOf: URL(fileURLWithPath: "/nonexistent/model.safetensors")) } throws: { error in
            (error as? VireoError)?.message.contains("/nonexistent/model.safetensors") == true
        }
    }
}

@Suite("Hashing embedder")
struct HashingEmbedderTests {
    @Test("the same text gives the same unit vector every time; no words give zeros")
    func deterministicUnitVectors() async throws {
        let embedder = HashingEmbedder(dimension: 64)
        let texts = ["Vector search in Swift", "vector SEARCH in swift!", "something else entirely"]
        let first = try await embedder.embed(texts)
        let second = try await HashingEmbedder(dimension: 64).embed(texts)
        #expect(first == second)
        for vector in first {
            #expect(vector.count == 64)
            #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        }
        #expect(first[0] == first[1], "case and punctuation do not change the words")
        #expect(embedder.vector("!!!") == [Float](repeating: 0, count: 64))
        #expect(embedder.tokenCount("two words") == 2 && !embedder.isSemantic)
    }
}
