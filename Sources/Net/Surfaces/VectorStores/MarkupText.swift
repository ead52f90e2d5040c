/// Text out of markup, by one small tag scanner shared by HTML and WordprocessingML: tags are
/// dropped, the ones that end a block become line breaks, entities are decoded.
enum MarkupText {
    /// Walks `markup`, handing each tag (its lower-cased name, with `/` for closing tags) and
    /// each run of text to `visit`. Comments and `<!…>`/`<?…?>` declarations are skipped.
    static func scan(_ markup: String, _ visit: (_ tag: String?, _ text: Substring) -> Void) {
        var rest = markup[...]
        while let open = rest.firstIndex(of: "<") {
            if open > rest.startIndex { visit(nil, rest[rest.startIndex..<open]) }
            let afterOpen = rest.index(after: open)
            if rest[afterOpen...].hasPrefix("!--") {
                guard let end = rest[afterOpen...].range(of: "-->") else { return }
                rest = rest[end.upperBound...]
                continue
            }
            guard let close = rest[afterOpen...].firstIndex(of: ">") else { return }
            let inside = rest[afterOpen..<close]
            let name = inside.prefix { !$0.isWhitespace }
            visit(name.lowercased(), inside)
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { visit(nil, rest) }
    }

    /// `&amp;`, `&lt;`, `&#8217;`, `&#x2019;` … as their characters; unknown ones stay as written.
    static func decodeEntities(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var result = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            result += rest[rest.startIndex..<amp]
            guard let semicolon = rest[amp...].prefix(12).firstIndex(of: ";"),
                  let character = entity(rest[rest.index(after: amp)..<semicolon]) else {
                result.append("&")
                rest = rest[rest.index(after: amp)...]
                continue
            }
            result.append(character)
            rest = rest[rest.index(after: semicolon)...]
        }
        return result + rest
    }

    static let namedEntities: [Substring: Character] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "ndash": "–", "mdash": "—",
        "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "hellip": "…", "copy": "©",
    ]

    private static func entity(_ name: Substring) -> Character? {
        if let named = namedEntities[name] { return named }
        guard name.hasPrefix("#") else { return nil }
        let digits = name.dropFirst()
        let code = digits.hasPrefix("x") || digits.hasPrefix("X") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
        return code.flatMap(Unicode.Scalar.init).map(Character.init)
    }

    /// Runs of spaces and tabs as one space, at most one blank line in a row, no trailing spaces.
    static func tidy(_ text: String) -> String {
        var lines: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
            if line.isEmpty, lines.last?.isEmpty ?? true { continue }
            lines.append(line)
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// HTML reduced to what a reader sees: no tags, scripts or styles; blocks on their own lines.
enum HTMLText {
    static let blockTags: Set<String> = [
        "p", "/p", "br", "br/", "div", "/div", "li", "/li", "tr", "/tr", "h1", "/h1", "h2", "/h2", "h3", "/h3", "h4", "/h4",
        "h5", "/h5", "h6", "/h6", "table", "/table", "ul", "/ul", "ol", "/ol", "section", "/section", "article", "/article",
        "header", "/header", "footer", "/footer", "blockquote", "/blockquote", "pre", "/pre", "hr", "title", "/title",
    ]
    static let hiddenTags: Set<String> = ["script", "style", "head", "noscript", "template"]

    static func reduce(_ html: String) -> String {
        var text = ""
        var hiddenDepth = 0
        MarkupText.scan(html) { tag, content in
            guard let tag else {
                if hiddenDepth == 0 { text += MarkupText.decodeEntities(content) }
                return
            }
            if hiddenTags.contains(tag) { hiddenDepth += 1 }
            if tag.hasPrefix("/"), hiddenTags.contains(String(tag.dropFirst())) { hiddenDepth = max(0, hiddenDepth - 1) }
            if blockTags.contains(tag) { text += "\n" } else if tag == "td" || tag == "th" { text += " " }
        }
        return MarkupText.tidy(text)
    }
}

/// WordprocessingML (DOCX's document.xml): the text runs `<w:t>` of each paragraph `<w:p>`.
enum WordXMLText {
    static func paragraphs(_ xml: String) -> String {
        var text = ""
        var inText = false
        MarkupText.scan(xml) { tag, content in
            switch tag {
            case nil: if inText { text += MarkupText.decodeEntities(content) }
            case "w:t": inText = !content.hasSuffix("/")
            case "/w:t": inText = false
            case "w:tab", "w:tab/": text += "\t"
            case "w:br", "w:br/", "w:cr", "w:cr/", "/w:p": text += "\n"
            default: return
            }
        }
        return MarkupText.tidy(text)
    }
}
