import VireoStorage

/// Session settings (SET, SHOW, RESET). `hnsw.ef_search` steers vector searches and
/// `work_mem` bounds a statement's memory; other names are kept so that clients which set
/// them (`application_name`, `search_path` …) work, and SHOW returns what was set.
struct Settings {
    static let efSearchRange = 1...1000
    /// Vireo fails a statement that needs more than work_mem instead of spilling to disk as
    /// PostgreSQL does, so the default is not PostgreSQL's 4MB: it is large enough that
    /// ordinary statements never meet it, and there to stop a runaway one (a cross join, a
    /// result of millions of wide rows) with an error long before the process runs out of
    /// memory and is killed. (A statement that returns one value near the 1 GB limit for a
    /// value, `ValueLimits.valueSizeBytesMax`, needs more: SET work_mem = '2GB'.)
    static let workMemKilobytesDefault = 1 << 20
    static let defaults: [String: String] = [
        "hnsw.ef_search": "40",
        "work_mem": MemorySetting.text(kilobytes: workMemKilobytesDefault),
        "server_version": "16.0",
        "server_encoding": "UTF8",
        "client_encoding": "UTF8",
        "datestyle": "ISO, MDY",
        "timezone": "UTC",
        "standard_conforming_strings": "on",
        "integer_datetimes": "on",
        "transaction_isolation": "serializable",
        "search_path": "\"$user\", public",
    ]

    private var values: [String: String] = [:]
    /// Values replaced by SET LOCAL, restored when the transaction ends.
    private var savedForTransaction: [String: String?] = [:]

    var efSearch: Int { Int(value("hnsw.ef_search") ?? "") ?? 40 }
    /// work_mem, kept parsed so that starting a statement costs no parsing.
    private(set) var workMemKilobytes = workMemKilobytesDefault

    func value(_ name: String) -> String? { values[name] ?? Self.defaults[name] }

    var all: [(String, String)] {
        Self.defaults.merging(values) { _, set in set }.sorted { $0.key < $1.key }
    }

    mutating func set(_ name: String, _ value: SettingValue, local: Bool) throws {
        var text = try Self.text(of: value, name: name)
        if name == "hnsw.ef_search" { try Self.checkEfSearch(text) }
        if name == "work_mem", let given = text {
            text = MemorySetting.text(kilobytes: try MemorySetting.kilobytes(parsing: given, setting: name))
        }
        if local, savedForTransaction[name] == nil { savedForTransaction[name] = .some(values[name]) }
        values[name] = text
        updateWorkMem()
    }

    mutating func reset(_ name: String?) {
        if let name { values[name] = nil } else { values = [:] }
        updateWorkMem()
    }

    /// Ends a transaction: SET LOCAL values go back to what they were.
    mutating func endTransaction() {
        for (name, previous) in savedForTransaction { values[name] = previous }
        savedForTransaction = [:]
        updateWorkMem()
    }

    /// Values stored for work_mem were checked by `set`, so they always parse.
    private mutating func updateWorkMem() {
        let text = value("work_mem") ?? ""
        workMemKilobytes = (try? MemorySetting.kilobytes(parsing: text, setting: "work_mem")) ?? Self.workMemKilobytesDefault
    }

    private static func text(of value: SettingValue, name: String) throws -> String? {
        switch value {
        case .default: return nil
        case .number(let text), .string(let text), .word(let text): return text
        case .list(let items): return try items.compactMap { try text(of: $0, name: name) }.joined(separator: ", ")
        }
    }

    private static func checkEfSearch(_ text: String?) throws {
        guard let text else { return }
        guard let value = Int(text), efSearchRange.contains(value) else {
            throw VireoError(.invalidParameter, "\(text) is outside the valid range for parameter \"hnsw.ef_search\" (1 .. 1000)")
        }
    }
}
