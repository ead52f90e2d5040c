import Foundation
import VireoQuery
import Testing
@testable import VireoNet

@Suite("Vector stores: text extraction, chunking and multipart bodies")
struct DocumentTextTests {
    @Test("HTML is reduced to its visible text, blocks on their own lines, entities decoded")
    func html() {
        let html = "<html><head><title>T</title><style>b{}</style></head><body><h1>Head</h1><p>One &amp; two&nbsp;&#8217;s</p>"
            + "<!-- hidden --><script>var x = '<p>';</script><ul><li>a</li><li>b</li></ul></body></html>"
        #expect(HTMLText.reduce(html) == "Head\n\nOne & two ’s\n\na\n\nb", "got \(HTMLText.reduce(html).debugDescription)")
    }

    @Test("DOCX XML: text runs joined within paragraphs, paragraphs on lines")
    func wordXML() {
        let xml = #"<w:document><w:body><w:p><w:pPr/><w:r><w:t xml:space="preserve">Hello </w:t></w:r><w:r><w:t>world &lt;3</w:t></w:r></w:p><w:p><w:r><w:t>Next</w:t><w:br/><w:t>line</w:t></w:r></w:p></w:body></w:document>"#
        #expect(WordXMLText.paragraphs(xml) == "Hello world <3\nNext\nline", "got \(WordXMLText.paragraphs(xml).debugDescription)")
    }

    @Test("chunks hold at most the size in tokens, overlap the one before, and cover the whole text")
    func chunking() throws {
        let words = (0..<100).map { "w\($0)" }
        let strategy = ChunkingStrategy(sizeTokens: 20, overlapTokens: 5)
        let chunks = try TextChunker.chunks(words.joined(separator: " "), strategy, tokenCount: HashingEmbedder().tokenCount)
        let chunkWords = chunks.map { $0.split(separator: " ").map(String.init) }
        #expect(chunkWords.allSatisfy { $0.count <= 20 }, "sizes: \(chunkWords.map { $0.count })")
        for (previous, next) in zip(chunkWords, chunkWords.dropFirst()) {
            #expect(Array(previous.suffix(5)) == Array(next.prefix(5)), "overlap of \(previous) and \(next)")
        }
        #expect(chunkWords.first?.first == "w0" && chunkWords.last?.last == "w99")
        #expect(ChunkingStrategy.auto(maxInputTokens: 256) == ChunkingStrategy(sizeTokens: 256, overlapTokens: 64))
        #expect(ChunkingStrategy.auto(maxInputTokens: 8191) == ChunkingStrategy(sizeTokens: 800, overlapTokens: 400))
    }

    @Test("formats by extension, with the seed's content types; strict UTF-8")
    func formats() throws {
        #expect(DocumentFormat(filename: "Report.PDF") == .pdf && DocumentFormat(filename: "notes.yml")?.contentType == "application/x-yaml")
        #expect(DocumentFormat(filename: "archive.tar.gz") == nil && DocumentFormat(filename: "README") == nil)
        #expect(throws: ExtractionError.self) { try DocumentFormat.txt.text(of: [0xC3, 0x28]) }
        #expect(try DocumentFormat.txt.text(of: [0xEF, 0xBB, 0xBF] + Array("hé".utf8)) == "hé")
    }

    @Test("multipart: fields and files with their names; malformed bodies are 400")
    func multipart() throws {
        let body = "--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhello\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a \\\"q\\\".txt\"\r\nContent-Type: text/plain\r\n\r\nline1\r\nline2\r\n--b--\r\n"
        let parts = try MultipartForm.parse(Array(body.utf8), boundary: "b")
        #expect(parts.map(\.name) == ["text", "file"] && parts[0].text == "hello")
        #expect(parts[1].filename == "a \"q\".txt" && parts[1].text == "line1\r\nline2" && parts[1].contentType == "text/plain")
        #expect(MultipartForm.boundary(contentType: "multipart/form-data; boundary=\"xyz\"") == "xyz")
        #expect(MultipartForm.boundary(contentType: "application/json") == nil)
        #expect(throws: RESTError.self) { try MultipartForm.parse(Array("no boundary here".utf8), boundary: "b") }
    }
}
