import Foundation
import ZIPFoundation

/// The document formats vector stores take, known by the file's extension, and how each
/// becomes plain text: text formats are decoded as UTF-8 (HTML reduced to its text), PDF
/// goes through poppler's `pdftotext`, DOCX through its `word/document.xml`.
enum DocumentFormat: String, CaseIterable, Sendable {
    case txt, md, json, html, htm, csv, xml, yaml, yml, pdf, docx

    /// The format of `filename`, by its extension (any case); nil when unsupported.
    init?(filename: String) {
        guard let dot = filename.lastIndex(of: "."), let format = DocumentFormat(rawValue: filename[filename.index(after: dot)...].lowercased()) else {
            return nil
        }
        self = format
    }

    /// The extensions as the error message lists them.
    static var extensionList: String { allCases.map { "." + $0.rawValue }.joined(separator: ", ") }

    /// The MIME type the seed gives the extension.
    var contentType: String {
        switch self {
        case .txt: "text/plain"
        case .md: "text/markdown"
        case .json: "application/json"
        case .html, .htm: "text/html"
        case .csv: "text/csv"
        case .xml: "application/xml"
        case .yaml, .yml: "application/x-yaml"
        case .pdf: "application/pdf"
        case .docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
    }

    var isBinary: Bool { self == .pdf || self == .docx }

    /// The document's text; throws `ExtractionError` when there is none to be had.
    func text(of bytes: [UInt8]) throws -> String {
        let text: String
        switch self {
        case .pdf: text = try PDFText.extract(bytes)
        case .docx: text = try DOCXText.extract(bytes)
        case .html, .htm: text = HTMLText.reduce(try Self.utf8(bytes))
        default: text = try Self.utf8(bytes)
        }
        guard text.contains(where: { !$0.isWhitespace }) else {
            throw ExtractionError(isBinary ? "the document has no extractable text" : "the document is empty")
        }
        return text
    }

    /// Strict UTF-8 (a byte-order mark is dropped).
    static func utf8(_ bytes: [UInt8]) throws -> String {
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        guard let text = String(validating: body, as: UTF8.self) else { throw ExtractionError("the file is not valid UTF-8 text") }
        return text
    }
}

/// A document the client sent that yields no text: a 400 inline, a failed file in the background.
struct ExtractionError: Error, Sendable {
    var message: String
    /// True when the server, not the document, is at fault (pdftotext missing or stuck).
    var isServerFault = false
    init(_ message: String, isServerFault: Bool = false) {
        self.message = message
        self.isServerFault = isServerFault
    }
}

/// PDF text through poppler's `pdftotext`, run on a temporary copy with a time limit.
enum PDFText {
    static let timeoutSeconds = 60
    static let candidates = ["/usr/bin/pdftotext", "/usr/local/bin/pdftotext", "/opt/homebrew/bin/pdftotext"]

    static func extract(_ bytes: [UInt8]) throws -> String {
        guard bytes.starts(with: Array("%PDF".utf8)) else { throw ExtractionError("the file is not a PDF document") }
        guard let tool = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ExtractionError("PDF text extraction needs poppler's pdftotext (Debian: poppler-utils)", isServerFault: true)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vireo-pdf-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.pdf"), output = directory.appendingPathComponent("out.txt")
        try Data(bytes).write(to: input)
        let status = try run(tool, ["-q", "-enc", "UTF-8", input.path, output.path])
        guard status == 0, let data = try? Data(contentsOf: output) else { throw ExtractionError("the PDF document could not be read") }
        // pdftotext separates pages with form feeds.
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\u{0C}", with: "\n\n")
    }

    /// Runs `tool` and returns its exit status; a run past the time limit is ended.
    static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + .seconds(timeoutSeconds)) == .timedOut {
            process.terminate()
            finished.wait()
            throw ExtractionError("PDF text extraction took longer than \(timeoutSeconds) s", isServerFault: true)
        }
        return process.terminationStatus
    }
}

/// DOCX text: the paragraphs of `word/document.xml` inside the ZIP container.
enum DOCXText {
    /// The most bytes of document.xml read, so a zip bomb cannot fill memory.
    static let documentBytesMax = 64 << 20

    static func extract(_ bytes: [UInt8]) throws -> String {
        guard let archive = try? Archive(data: Data(bytes), accessMode: .read), let entry = archive["word/document.xml"] else {
            throw ExtractionError("the file is not a DOCX document (no word/document.xml)")
        }
        guard entry.uncompressedSize <= UInt64(documentBytesMax) else { throw ExtractionError("the DOCX document is too large to read") }
        var xml = Data()
        do {
            _ = try archive.extract(entry) { xml.append($0) }
        } catch {
            throw ExtractionError("the DOCX document is damaged")
        }
        return WordXMLText.paragraphs(String(decoding: xml, as: UTF8.self))
    }
}
