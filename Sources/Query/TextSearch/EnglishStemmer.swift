import VireoStorage

/// The Snowball English ("Porter2") stemmer, written from the algorithm's published
/// description (snowballstem.org/algorithms/english/stemmer.html), as PostgreSQL's
/// `english_stem` dictionary applies it: `stem("running") == "run"`, `stem("lazy") == "lazi"`.
///
/// Works on the word's Unicode scalars; the rules only ever look at ASCII letters, so a word
/// with other characters is stemmed around them as Snowball does.
enum EnglishStemmer {
    /// Words the algorithm maps specially, before any step.
    private static let exceptions: [String: String] = [
        "skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
        "idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli", "singly": "singl",
        "sky": "sky", "news": "news", "howe": "howe", "atlas": "atlas", "cosmos": "cosmos", "bias": "bias", "andes": "andes",
    ]
    /// Words left alone once step 1a has run.
    private static let invariantsAfterStep1a: Set<String> = [
        "inning", "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed",
    ]

    /// The stem of a lower-case word.
    static func stem(_ word: String) -> String {
        if let exception = exceptions[word] { return exception }
        var scalars = Array(word.unicodeScalars)
        if scalars.count <= 2 { return word }
        if scalars.first == "'" { scalars.removeFirst() }
        var state = StemState(scalars)
        state.step0()
        state.step1a()
        if invariantsAfterStep1a.contains(state.string) { return state.string }
        state.step1b()
        state.step1c()
        state.step2()
        state.step3()
        state.step4()
        state.step5()
        return state.string.replacingOccurrences(of: "Y", with: "y")
    }
}

/// The word being stemmed with its regions R1 and R2 (as start offsets).
private struct StemState {
    var word: [Unicode.Scalar]
    var r1: Int
    var r2: Int

    init(_ scalars: [Unicode.Scalar]) {
        word = scalars
        for index in word.indices where word[index] == "y" && (index == 0 || Self.isVowel(word[index - 1])) {
            word[index] = "Y"
        }
        r1 = Self.regionStart(word, from: 0, checkPrefixes: true)
        r2 = Self.regionStart(word, from: r1, checkPrefixes: false)
    }

    var string: String { String(String.UnicodeScalarView(word)) }

    static func isVowel(_ scalar: Unicode.Scalar) -> Bool { "aeiouy".unicodeScalars.contains(scalar) }

    /// The position after the first non-vowel that follows a vowel, from `start`.
    static func regionStart(_ word: [Unicode.Scalar], from start: Int, checkPrefixes: Bool) -> Int {
        if checkPrefixes {
            for prefix in ["gener", "commun", "arsen"] where word.starts(with: prefix.unicodeScalars) {
                return prefix.unicodeScalars.count
            }
        }
        var index = start
        while index < word.count && !isVowel(word[index]) { index += 1 }
        while index < word.count && isVowel(word[index]) { index += 1 }
        return min(index + 1, word.count)
    }

    func endsWith(_ suffix: String) -> Bool {
        let tail = Array(suffix.unicodeScalars)
        return word.count >= tail.count && Array(word.suffix(tail.count)) == tail
    }

    /// The longest of `suffixes` the word ends with.
    func longest(_ suffixes: [String]) -> String? {
        suffixes.filter(endsWith).max { $0.unicodeScalars.count < $1.unicodeScalars.count }
    }

    func suffixStart(_ suffix: String) -> Int { word.count - suffix.unicodeScalars.count }

    mutating func replace(_ suffix: String, with replacement: String) {
        word.removeLast(suffix.unicodeScalars.count)
        word.append(contentsOf: replacement.unicodeScalars)
    }

    func containsVowel(before end: Int) -> Bool { word[..<end].contains(where: Self.isVowel) }

    /// A short syllable ending at `end` (exclusive).
    func endsInShortSyllable(_ end: Int) -> Bool {
        if end == 2 { return Self.isVowel(word[0]) && !Self.isVowel(word[1]) }
        guard end >= 3 else { return false }
        let (a, b, c) = (word[end - 3], word[end - 2], word[end - 1])
        return !Self.isVowel(a) && Self.isVowel(b) && !Self.isVowel(c) && c != "w" && c != "x" && c != "Y"
    }

    var isShort: Bool { r1 >= word.count && endsInShortSyllable(word.count) }

    mutating func step0() {
        if let suffix = longest(["'s'", "'s", "'"]) { replace(suffix, with: "") }
    }

    mutating func step1a() {
        guard let suffix = longest(["sses", "ied", "ies", "us", "ss", "s"]) else { return }
        switch suffix {
        case "sses": replace(suffix, with: "ss")
        case "ied", "ies": replace(suffix, with: word.count > 4 ? "i" : "ie")
        case "s": if containsVowel(before: word.count - 2) { replace(suffix, with: "") }
        default: break
        }
    }

    mutating func step1b() {
        guard let suffix = longest(["eed", "eedly", "ed", "edly", "ing", "ingly"]) else { return }
        if suffix == "eed" || suffix == "eedly" {
            if suffixStart(suffix) >= r1 { replace(suffix, with: "ee") }
            return
        }
        guard containsVowel(before: suffixStart(suffix)) else { return }
        replace(suffix, with: "")
        if endsWith("at") || endsWith("bl") || endsWith("iz") {
            word.append("e")
        } else if let last = word.last, word.count >= 2, word[word.count - 2] == last, "bdfgmnprt".unicodeScalars.contains(last) {
            word.removeLast()
        } else if isShort {
            word.append("e")
        }
    }

    mutating func step1c() {
        guard let last = word.last, last == "y" || last == "Y", word.count > 2, !Self.isVowel(word[word.count - 2]) else { return }
        word[word.count - 1] = "i"
    }

    private static let step2Rules: [(String, String)] = [
        ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("abli", "able"), ("entli", "ent"),
        ("izer", "ize"), ("ization", "ize"), ("ational", "ate"), ("ation", "ate"), ("ator", "ate"),
        ("alism", "al"), ("aliti", "al"), ("alli", "al"), ("fulness", "ful"), ("ousli", "ous"), ("ousness", "ous"),
        ("iveness", "ive"), ("iviti", "ive"), ("biliti", "ble"), ("bli", "ble"), ("ogi", "og"), ("fulli", "ful"),
        ("lessli", "less"), ("li", ""),
    ]

    mutating func step2() {
        guard let suffix = longest(Self.step2Rules.map(\.0)), suffixStart(suffix) >= r1 else { return }
        let start = suffixStart(suffix)
        if suffix == "ogi" && (start == 0 || word[start - 1] != "l") { return }
        if suffix == "li" && (start == 0 || !"cdeghkmnrt".unicodeScalars.contains(word[start - 1])) { return }
        replace(suffix, with: Self.step2Rules.first { $0.0 == suffix }!.1)
    }

    private static let step3Rules: [(String, String)] = [
        ("tional", "tion"), ("ational", "ate"), ("alize", "al"), ("icate", "ic"), ("iciti", "ic"), ("ical", "ic"),
        ("ful", ""), ("ness", ""), ("ative", ""),
    ]

    mutating func step3() {
        guard let suffix = longest(Self.step3Rules.map(\.0)), suffixStart(suffix) >= r1 else { return }
        if suffix == "ative" && suffixStart(suffix) < r2 { return }
        replace(suffix, with: Self.step3Rules.first { $0.0 == suffix }!.1)
    }

    private static let step4Suffixes = [
        "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ism", "ate", "iti", "ous",
        "ive", "ize", "ion",
    ]

    mutating func step4() {
        guard let suffix = longest(Self.step4Suffixes), suffixStart(suffix) >= r2 else { return }
        let start = suffixStart(suffix)
        if suffix == "ion" && (start == 0 || (word[start - 1] != "s" && word[start - 1] != "t")) { return }
        replace(suffix, with: "")
    }

    mutating func step5() {
        guard let last = word.last else { return }
        let start = word.count - 1
        if last == "e" && (start >= r2 || (start >= r1 && !endsInShortSyllable(start))) {
            word.removeLast()
        } else if last == "l" && start >= r2 && start > 0 && word[start - 1] == "l" {
            word.removeLast()
        }
    }
}
