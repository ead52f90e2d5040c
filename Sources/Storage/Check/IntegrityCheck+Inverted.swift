/// The check of a format 2 or 3 inverted index (invariants G1–G4 in InvertedIndex.swift).
extension IntegrityChecker {
    /// What the table's rows say a format 2 inverted index must hold.
    private struct ExpectedInverted {
        var postings: [[UInt8]: [Int]] = [:]
        var lexemes: [String: InvertedLexeme] = [:]
        var corpus = InvertedCorpus(documentCount: 0, totalLength: 0)

        mutating func add(_ document: InvertedDocument, rowID: Int64) {
            corpus.documentCount += 1
            corpus.totalLength += document.length
            for (lexeme, count) in document.termFrequencies {
                postings[InvertedIndex.postingKey(lexeme, rowID: rowID)] = [count, document.length]
                var statistics = lexemes[lexeme] ?? InvertedLexeme(documentFrequency: 0, termFrequencyMax: 0, documentLengthMin: .max)
                statistics.documentFrequency += 1
                statistics.termFrequencyMax = max(statistics.termFrequencyMax, count)
                statistics.documentLengthMin = min(statistics.documentLengthMin, document.length)
                lexemes[lexeme] = statistics
            }
        }
    }

    mutating func checkTextStatistics(_ index: IndexDefinition, table: TableDefinition) {
        do {
            var expected = ExpectedInverted()
            try forEachRow(table) { rowID, record in
                if let document = try StoreTransaction.invertedDocument(index, table: table, row: try record.values()) {
                    expected.add(document, rowID: rowID)
                }
            }
            let found = try storedInverted(index)
            for problem in Self.differences(index.name, expected: expected, found: found) { self.problem(problem) }
        } catch {
            problem("index \(index.name): \(error)")
        }
    }

    private func storedInverted(_ index: IndexDefinition) throws -> ExpectedInverted {
        var found = ExpectedInverted()
        var blocks = BlockWalk()
        try BTree(root: index.root).scan(in: pages) { key, value in
            if key.first == InvertedIndex.corpusKey.first {
                if Array(key) == InvertedIndex.corpusKey {
                    let numbers = try InvertedIndex.decode(value, count: 2)
                    found.corpus = InvertedCorpus(documentCount: numbers[0], totalLength: numbers[1])
                    return true
                }
                let (values, _) = try KeyCodec.decodePrefix(key, count: 2)
                guard case .text(let lexeme) = values.last else { throw VireoError(.corruption, "malformed lexeme statistics key") }
                let numbers = try InvertedIndex.decode(value, count: 3)
                found.lexemes[lexeme] = InvertedLexeme(documentFrequency: numbers[0], termFrequencyMax: numbers[1], documentLengthMin: numbers[2])
            } else if index.storesPostingBlocks {
                try blocks.add(key, value, into: &found)
            } else {
                found.postings[Array(key)] = try InvertedIndex.decode(value, count: 2)
            }
            return true
        }
        return found
    }

    /// Reads a format 3 index's blocks in key order: each decodes (B1–B3), and a lexeme's
    /// blocks do not overlap (G4).
    private struct BlockWalk {
        var previousPrefix: [UInt8] = []
        var previousLastRowID = Int64.min

        mutating func add(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, into found: inout ExpectedInverted) throws {
            let firstRowID = try InvertedIndex.blockFirstRowID(key)
            let prefix = Array(key.dropLast(KeyCodec.rowIDSizeBytes))
            let (values, _) = try KeyCodec.decodePrefix(UnsafeRawBufferPointer(rebasing: key[..<prefix.count]), count: 1)
            guard values.count == 1, case .text(let lexeme) = values[0] else { throw VireoError(.corruption, "malformed posting block key") }
            if prefix == previousPrefix && firstRowID <= previousLastRowID {
                throw VireoError(.corruption, "posting blocks of lexeme \(TSVector.quoted(lexeme)) overlap at row \(firstRowID)")
            }
            let block = try PostingBlock.decode(value, firstRowID: firstRowID)
            for position in 0..<block.count {
                found.postings[InvertedIndex.postingKey(lexeme, rowID: block.rowIDs[position])] =
                    [block.termFrequencies[position], block.documentLengths[position]]
            }
            previousPrefix = prefix
            previousLastRowID = block.rowIDs[block.count - 1]
        }
    }

    private static func differences(_ name: String, expected: ExpectedInverted, found: ExpectedInverted) -> [String] {
        var problems: [String] = []
        let wrongPostings = expected.postings.filter { found.postings[$0.key] != $0.value }.count
        let extraPostings = found.postings.keys.filter { expected.postings[$0] == nil }.count
        if wrongPostings > 0 || extraPostings > 0 {
            problems.append("index \(name): \(wrongPostings) postings missing or wrong, \(extraPostings) not matching a row")
        }
        if expected.corpus != found.corpus {
            problems.append("index \(name): corpus statistics say \(found.corpus.documentCount) documents of total length \(found.corpus.totalLength), the table has \(expected.corpus.documentCount) of \(expected.corpus.totalLength)")
        }
        for (lexeme, want) in expected.lexemes {
            guard let have = found.lexemes[lexeme], have.documentFrequency == want.documentFrequency,
                  have.termFrequencyMax >= want.termFrequencyMax, have.documentLengthMin <= want.documentLengthMin else {
                problems.append("index \(name): statistics of lexeme \(TSVector.quoted(lexeme)) do not match its postings")
                continue
            }
        }
        let extraLexemes = found.lexemes.keys.filter { expected.lexemes[$0] == nil }.count
        if extraLexemes > 0 { problems.append("index \(name): \(extraLexemes) lexeme statistics without postings") }
        return Array(problems.prefix(10))
    }
}
