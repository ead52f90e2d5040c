import Testing
import VireoNet
import VireoQuery
import VireoStorage

@Suite("The --embedder setting")
struct EmbedderChoiceTests {
    @Test("hashing is chosen by name; an unknown name lists the choices")
    func choices() async throws {
        let (hashing, note) = try await EmbedderChoice.make("hashing")
        #expect(hashing.name == "hashing-384" && !hashing.isSemantic && note.contains("hashing"), "got \(hashing.name), \(note)")
        do {
            _ = try await EmbedderChoice.make("word2vec")
            Issue.record("expected an unknown embedder to be refused")
        } catch let error as VireoError {
            #expect(error.code == .invalidParameter && error.message.contains("auto, hashing, minilm, openai"), "got \(error)")
        }
    }

    @Test("openai with dimensions needs no probe; bad settings are refused before any request")
    func openAISettings() async throws {
        var settings = OpenAIEmbedderSettings()
        settings.baseURL = "http://127.0.0.1:9/v1"
        settings.dimensions = 8
        let (embedder, note) = try await EmbedderChoice.make("openai", openAI: settings)
        #expect(embedder.name == "openai:text-embedding-3-small" && embedder.dimension == 8 && embedder.isSemantic, "got \(embedder.name)")
        #expect(note.contains("127.0.0.1:9/v1/embeddings") && note.contains("API key not set"), "got \(note)")
        for bad in [{ $0.batchSize = 0 }, { $0.retries = 11 }, { $0.baseURL = "ftp://x" }, { $0.dimensions = 0 }] as [(inout OpenAIEmbedderSettings) -> Void] {
            var wrong = settings
            bad(&wrong)
            await #expect(throws: VireoError.self) { try await EmbedderChoice.make("openai", openAI: wrong) }
        }
    }

    @Test("the openai settings come from VIREO_OPENAI_* and OPENAI_API_KEY; a malformed number is an error")
    func openAIEnvironment() throws {
        let settings = try OpenAIEmbedderSettings.fromEnvironment([
            "VIREO_OPENAI_BASE_URL": "http://h/v1", "OPENAI_API_KEY": "k", "VIREO_OPENAI_MODEL": "m", "VIREO_OPENAI_DIMENSIONS": "12",
            "VIREO_OPENAI_BATCH_SIZE": "3", "VIREO_OPENAI_RETRIES": "1", "VIREO_OPENAI_TIMEOUT_MS": "250",
        ])
        #expect(settings.baseURL == "http://h/v1" && settings.apiKey == "k" && settings.model == "m" && settings.dimensions == 12
                && settings.batchSize == 3 && settings.retries == 1 && settings.timeoutMs == 250, "got \(settings)")
        #expect(throws: VireoError.self) { try OpenAIEmbedderSettings.fromEnvironment(["VIREO_OPENAI_RETRIES": "many"]) }
        let configuration = try ServerConfiguration.fromEnvironment(["VIREO_EMBEDDER": "openai", "VIREO_OPENAI_API_KEY": "v"])
        #expect(configuration.embedder == "openai" && configuration.openAI.apiKey == "v")
    }
}
