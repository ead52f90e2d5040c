import VireoStorage

/// pg_trgm's functions (Trigrams.swift) and the ones behind its operators, which compare
/// with the session's thresholds (`pg_trgm.similarity_threshold` and the word forms).
extension Functions {
    static let trigramFunctions: [ScalarFunction] = [
        ScalarFunction("similarity", 2...2, [.text, .text], returns: .real) { real(Trigrams.similarity(string($0[0]), string($0[1]))) },
        ScalarFunction("word_similarity", 2...2, [.text, .text], returns: .real) { arguments in
            real(Trigrams.wordSimilarity(string(arguments[0]), string(arguments[1]), strict: false))
        },
        ScalarFunction("strict_word_similarity", 2...2, [.text, .text], returns: .real) { arguments in
            real(Trigrams.wordSimilarity(string(arguments[0]), string(arguments[1]), strict: true))
        },
        ScalarFunction("show_trgm", 1...1, [.text], returns: .array(.text)) { .array(Trigrams.set(string($0[0])).map { .text($0.text) }) },
        ScalarFunction("similarity_dist", 2...2, [.text, .text], returns: .real) { real(1 - Trigrams.similarity(string($0[0]), string($0[1]))) },
        wordDistance("word_similarity_dist_op", strict: false, commuted: false),
        wordDistance("word_similarity_dist_commutator_op", strict: false, commuted: true),
        wordDistance("strict_word_similarity_dist_op", strict: true, commuted: false),
        wordDistance("strict_word_similarity_dist_commutator_op", strict: true, commuted: true),
        thresholdTest("similarity_op", "pg_trgm.similarity_threshold") { Trigrams.similarity($0, $1) },
        thresholdTest("word_similarity_op", "pg_trgm.word_similarity_threshold") { Trigrams.wordSimilarity($0, $1, strict: false) },
        thresholdTest("word_similarity_commutator_op", "pg_trgm.word_similarity_threshold") { Trigrams.wordSimilarity($1, $0, strict: false) },
        thresholdTest("strict_word_similarity_op", "pg_trgm.strict_word_similarity_threshold") { Trigrams.wordSimilarity($0, $1, strict: true) },
        thresholdTest("strict_word_similarity_commutator_op", "pg_trgm.strict_word_similarity_threshold") {
            Trigrams.wordSimilarity($1, $0, strict: true)
        },
        // The deprecated pair, still in pg_trgm: set_limit(x) is SET pg_trgm.similarity_threshold.
        sessionFunction("set_limit", 1...1, [.real], returns: .real) { arguments, session in
            guard !arguments[0].isNull else { return .null }
            try session.setSetting("pg_trgm.similarity_threshold", .string(Cast.textForm(arguments[0])), local: false)
            return .double(try session.trigramThreshold("pg_trgm.similarity_threshold"))
        },
        sessionFunction("show_limit", 0...0, [], returns: .real) { _, session in
            .double(try session.trigramThreshold("pg_trgm.similarity_threshold"))
        },
    ]

    /// A float4 result: the value rounded to single precision, as pg_trgm computes it.
    private static func real(_ value: Float) -> Value { .double(Double(value)) }

    private static func wordDistance(_ name: String, strict: Bool, commuted: Bool) -> ScalarFunction {
        ScalarFunction(name, 2...2, [.text, .text], returns: .real) { arguments in
            let (a, b) = (string(arguments[0]), string(arguments[1]))
            return real(1 - Trigrams.wordSimilarity(commuted ? b : a, commuted ? a : b, strict: strict))
        }
    }

    /// A strict test of `similarity(a, b) >= the setting`, as pg_trgm's operator functions.
    private static func thresholdTest(_ name: String, _ setting: String,
                                      _ similarity: @escaping @Sendable (String, String) -> Float) -> ScalarFunction {
        sessionFunction(name, 2...2, [.text, .text], returns: .bool) { arguments, session in
            guard !arguments.contains(where: \.isNull) else { return .null }
            let threshold = try session.trigramThreshold(setting)
            return .bool(Double(similarity(string(arguments[0]), string(arguments[1]))) >= threshold)
        }
    }
}

extension Session {
    /// A pg_trgm threshold setting's value (checked to lie in 0…1 when it was set); pg_trgm
    /// compares its float4 similarity with this double, as the operators here do.
    func trigramThreshold(_ name: String) throws -> Double {
        Double(try settingText(name)) ?? 0
    }
}
