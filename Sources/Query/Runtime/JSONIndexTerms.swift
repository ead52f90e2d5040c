import VireoStorage

/// The terms a gin index lists a jsonb document under, as PostgreSQL 15's two operator
/// classes derive them (contrib-free `jsonb_gin.c`):
///
/// - `jsonb_ops` (the default): one term per object key and per string array element
///   (`K` + text: `?`, `?|`, `?&` look these up), and one per scalar value (`S` string,
///   `N` number in its normalized form so `1.0` and `1` meet, `B` boolean, `Z` null).
/// - `jsonb_path_ops`: one term per scalar leaf, naming the object keys on its path (arrays
///   add nothing to a path) and its typed value: `@>` only.
///
/// A document contains a query document (`@>`) only if it holds every term of the query's,
/// so the index intersects their postings; the executor rechecks each candidate row.
enum JSONIndexTerms {
    static let operatorClasses: Set<String> = ["jsonb_ops", "jsonb_path_ops"]
    static let defaultOperatorClass = "jsonb_ops"

    /// The distinct terms of `document` under `operatorClass`, sorted.
    static func terms(_ document: JSONValue, operatorClass: String) -> [String] {
        var found = Set<String>()
        if operatorClass == "jsonb_path_ops" {
            pathTerms(document, path: "", into: &found)
        } else {
            keyTerms(document, into: &found)
        }
        // Bounded terms are deduplicated again: the index holds one entry per (term, row).
        return Set(found.map(bounded)).sorted()
    }

    /// The term of a key looked up by `?`, `?|`, `?&` (jsonb_ops).
    static func keyTerm(_ key: String) -> String { bounded("K" + key) }

    /// Object keys, string elements as keys, scalar values; a top-level scalar is an element
    /// of jsonb's raw-scalar array, as in PostgreSQL.
    private static func keyTerms(_ value: JSONValue, into found: inout Set<String>) {
        switch value {
        case .object(let members):
            for (key, member) in members {
                found.insert("K" + key)
                if member.isContainer { keyTerms(member, into: &found) } else { found.insert(scalar(member)) }
            }
        case .array(let items):
            for item in items {
                if item.isContainer { keyTerms(item, into: &found) } else { found.insert(element(item)) }
            }
        default: found.insert(element(value))
        }
    }

    private static func pathTerms(_ value: JSONValue, path: String, into found: inout Set<String>) {
        switch value {
        case .object(let members):
            for (key, member) in members { pathTerms(member, path: path + "\(key.utf8.count):\(key).", into: &found) }
        case .array(let items):
            for item in items { pathTerms(item, path: path, into: &found) }
        default: found.insert("P" + path + scalar(value))
        }
    }

    private static func element(_ value: JSONValue) -> String {
        if case .string(let text) = value { return "K" + text }
        return scalar(value)
    }

    private static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .null: "Z"
        case .bool(let flag): flag ? "Bt" : "Bf"
        case .numeric(let number): "N" + number.normalized.description
        case .number(let number): "N" + (Numeric(String(number))?.normalized.description ?? String(number))
        case .string(let text): "S" + text
        case .array, .object: "?"
        }
    }

    /// `term`, or when longer than the index takes, its head and a hash of the whole.
    private static func bounded(_ term: String) -> String {
        let bytes = Array(term.utf8)
        guard bytes.count > InvertedIndex.termSizeBytesMax else { return term }
        let hash = FNV1a.hash64(bytes)  // stored in the index: must not change between runs
        var head = Substring(term).prefix(80)
        while head.utf8.count > 80 { head = head.dropLast() }
        return String(head) + "#" + String(hash, radix: 16)
    }
}

extension JSONValue {
    /// Whether this is an object or an array.
    var isContainer: Bool {
        switch self {
        case .object, .array: true
        default: false
        }
    }
}
