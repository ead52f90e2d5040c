import Testing
import VireoNet
import VireoQuery
import VireoStorage

@Suite("The --embedder setting")
struct EmbedderChoiceTests {
    @Test("hashing is chosen by name; openai is refused as not built; an unknown name lists the choices")
    func choices() throws {
        let (hashing, note) = try EmbedderChoice.make("hashing")
        #expect(hashing.name == "hashing-384" && !hashing.isSemantic && note.contains("hashing"), "got \(hashing.name), \(note)")
        #expect(throws: VireoError.self) { try EmbedderChoice.make("openai") }
        do {
            _ = try EmbedderChoice.make("word2vec")
            Issue.record("expected an unknown embedder to be refused")
        } catch let error as VireoError {
            #expect(error.code == .invalidParameter && error.message.contains("auto, hashing, minilm"), "got \(error)")
        }
    }
}
