import Foundation

/// One part of a `multipart/form-data` body: a field's text or an uploaded file.
public struct FormPart: Sendable {
    /// The form field's name.
    public var name: String
    /// Set for file fields: the name the client gave the file.
    public var filename: String?
    /// The part's own Content-Type, when it sent one.
    public var contentType: String?
    public var bytes: [UInt8]

    /// The part's bytes as UTF-8 text, nil when they are not valid UTF-8.
    public var text: String? { String(validating: bytes, as: UTF8.self) }
}

extension [FormPart] {
    /// The first part called `name`.
    public func part(_ name: String) -> FormPart? { first { $0.name == name } }
}

/// Reads `multipart/form-data` (RFC 7578) bodies: parts split at the boundary, each with
/// its headers; bounded in the number of parts so a hostile body cannot make many.
enum MultipartForm {
    /// Parts one body may carry.
    static let partsMax = 100
    /// Bytes of one part's header block.
    static let headerBytesMax = 16 << 10

    /// The boundary parameter of a multipart/form-data Content-Type.
    static func boundary(contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    /// The parts of `body`; a body that does not follow the format is a 400.
    static func parse(_ body: [UInt8], boundary: String) throws(RESTError) -> [FormPart] {
        let delimiter = Array(("--" + boundary).utf8)
        var positions = occurrences(of: delimiter, in: body)
        guard positions.count >= 2 else { throw malformed("no parts between boundaries") }
        guard positions.count - 1 <= partsMax else { throw malformed("more than \(partsMax) parts") }
        var parts: [FormPart] = []
        let first = positions.removeFirst()
        var start = first + delimiter.count
        for end in positions {
            // Each part starts after the boundary line's CRLF and ends before the CRLF that precedes the next boundary.
            guard start + 2 <= end, body[start] == 13, body[start + 1] == 10 else { throw malformed("a boundary line is not followed by CRLF") }
            var partEnd = end
            if partEnd >= 2, body[partEnd - 2] == 13, body[partEnd - 1] == 10 { partEnd -= 2 }
            parts.append(try part(Array(body[(start + 2)..<max(start + 2, partEnd)])))
            start = end + delimiter.count
        }
        return parts
    }

    private static func part(_ bytes: [UInt8]) throws(RESTError) -> FormPart {
        guard let split = occurrences(of: [13, 10, 13, 10], in: bytes, limit: 1).first ?? (bytes.starts(with: [13, 10]) ? -2 : nil) else {
            throw malformed("a part has no blank line after its headers")
        }
        guard split <= headerBytesMax else { throw malformed("a part's headers are too long") }
        let headerText = split < 0 ? "" : String(decoding: bytes[0..<split], as: UTF8.self)
        var name: String?
        var filename: String?
        var contentType: String?
        for line in headerText.components(separatedBy: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            switch pair[0].lowercased() {
            case "content-disposition":
                name = parameter("name", in: pair[1])
                filename = parameter("filename", in: pair[1])
            case "content-type": contentType = pair[1]
            default: continue
            }
        }
        guard let name else { throw malformed("a part has no Content-Disposition name") }
        return FormPart(name: name, filename: filename, contentType: contentType, bytes: Array(bytes[(split + 4)...]))
    }

    /// `key="value"` (or unquoted) from a header's parameters.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.replacingOccurrences(of: "\\\"", with: "\"")
        }
        return nil
    }

    /// Start offsets of `needle` in `haystack`, left to right, not overlapping.
    static func occurrences(of needle: [UInt8], in haystack: [UInt8], limit: Int = .max) -> [Int] {
        guard let head = needle.first, needle.count <= haystack.count else { return [] }
        var found: [Int] = []
        var index = 0
        let last = haystack.count - needle.count
        while index <= last, found.count < limit {
            if haystack[index] == head, haystack[index..<(index + needle.count)].elementsEqual(needle) {
                found.append(index)
                index += needle.count
            } else {
                index += 1
            }
        }
        return found
    }

    private static func malformed(_ reason: String) -> RESTError {
        RESTError(.badRequest, code: "validation_error", "the multipart body is malformed: \(reason)", field: "body")
    }
}
