import VireoStorage

/// The statistics and postings of format 2 and 3 gin indexes, as the statement's data sees them.
extension DataAccess {
    func invertedCorpus(_ index: IndexDefinition) throws -> InvertedCorpus? {
        switch self {
        case .snapshot(let source): try source.invertedCorpus(index)
        case .transaction(let source): try source.invertedCorpus(index)
        case .none: throw Self.noDataError
        }
    }

    func invertedLexeme(_ index: IndexDefinition, _ lexeme: String) throws -> InvertedLexeme? {
        switch self {
        case .snapshot(let source): try source.invertedLexeme(index, lexeme)
        case .transaction(let source): try source.invertedLexeme(index, lexeme)
        case .none: throw Self.noDataError
        }
    }

    func invertedLexemes(_ index: IndexDefinition, prefix: String) throws -> [(String, InvertedLexeme)] {
        switch self {
        case .snapshot(let source): try source.invertedLexemes(index, prefix: prefix)
        case .transaction(let source): try source.invertedLexemes(index, prefix: prefix)
        case .none: throw Self.noDataError
        }
    }

    func scanPostings(_ index: IndexDefinition, _ lexeme: String, from rowID: Int64, _ body: (InvertedPosting) throws -> Bool) throws {
        switch self {
        case .snapshot(let source): try source.scanPostings(index, lexeme, from: rowID, body)
        case .transaction(let source): try source.scanPostings(index, lexeme, from: rowID, body)
        case .none: throw Self.noDataError
        }
    }

    /// Every posting block of `lexeme` in a format 3 index, undecoded, in row order.
    func postingBlocks(_ index: IndexDefinition, _ lexeme: String) throws -> [PostingBlockReference] {
        switch self {
        case .snapshot(let source): try source.postingBlocks(index, lexeme)
        case .transaction(let source): try source.postingBlocks(index, lexeme)
        case .none: throw Self.noDataError
        }
    }
}
