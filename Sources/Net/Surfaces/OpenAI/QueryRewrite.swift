import Foundation

/// `rewrite_query: true` of OpenAI's search: where OpenAI asks a model to turn a question into
/// a search query, Vireo does a fixed, documented rewrite, so that the same input always gives
/// the same query: lower case; English function words and question framing ("what is", "can
/// you tell me about", "how do I", "please") dropped; punctuation other than inside words
/// dropped; spaces collapsed. A query that would come out empty stays as it was. The
/// rewritten queries are what the response's `search_query` lists.
enum QueryRewrite {
    /// Function words that match everything and so rank nothing.
    static let stopWords: Set<String> = [
        "a", "an", "the", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "what", "which", "who", "whom",
        "how", "why", "when", "where", "of", "in", "on", "at", "to", "for", "by", "with", "about", "and", "or", "i", "me", "my",
        "you", "your", "we", "our", "it", "its", "this", "that", "these", "those", "there", "can", "could", "would", "should",
        "will", "shall", "may", "might", "any", "some", "from", "as", "into", "so", "if", "then", "than", "tell", "know", "please",
    ]

    static func rewrite(_ query: String) -> String {
        let words = query.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "'") }
            .map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "-'")) }.filter { !$0.isEmpty }
        let kept = words.filter { !stopWords.contains($0) }
        return kept.isEmpty ? query : kept.joined(separator: " ")
    }
}
