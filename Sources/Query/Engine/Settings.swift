import Foundation
import VireoStorage

/// Session settings (SET, SHOW, RESET). `hnsw.ef_search` and `vireo.filter_cache` steer vector searches,
/// `work_mem` bounds a statement's memory, and `statement_timeout`, `lock_timeout` and
/// `idle_in_transaction_session_timeout` bound its time (see Session+Timeouts.swift); other
/// names are kept so that clients which set them (`application_name`, `search_path` …)
/// work, and SHOW returns what was set. RESET and SET … TO DEFAULT go back to the
/// session's baseline: the database's session defaults, else the built-in ones.
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
        "work_mem": UnitSetting.memory.text(workMemKilobytesDefault),
        "statement_timeout": "0",
        "lock_timeout": "0",
        "idle_in_transaction_session_timeout": "0",
        // The least severe NOTICE or WARNING sent to the client (Notice.swift).
        "client_min_messages": "notice",
        "server_version": "15.0",
        "server_version_num": "150000",
        "server_encoding": "UTF8",
        "client_encoding": "UTF8",
        "datestyle": "ISO, MDY",
        "timezone": "UTC",
        "standard_conforming_strings": "on",
        "integer_datetimes": "on",
        "default_transaction_isolation": "read committed",
        "default_transaction_read_only": "off",
        "search_path": "\"$user\", public",
        "application_name": "",
        "intervalstyle": "postgres",
        "bytea_output": "hex",
        "extra_float_digits": "1",
        "max_identifier_length": "63",
        // pgJDBC reads it before its foreign-key and index metadata queries.
        "max_index_keys": "32",
        "is_superuser": "on",
        "default_table_access_method": "heap",
        "default_tablespace": "",
        "lc_collate": "C",
        "lc_ctype": "C",
        // Vireo compiles no query, so jit is off; asyncpg reads it (inside the caller's
        // transaction) before it introspects a type such as vector, and an unknown name
        // there would abort that transaction.
        "jit": "off",
        // PostgreSQL's planner switches and pgvector's search settings, which clients set
        // and read back; SET keeps what they set (only hnsw.ef_search steers Vireo).
        "enable_seqscan": "on",
        "enable_indexscan": "on",
        "enable_indexonlyscan": "on",
        "enable_bitmapscan": "on",
        "enable_hashjoin": "on",
        "enable_mergejoin": "on",
        "enable_nestloop": "on",
        // Steers Vireo too: off, no index nested-loop join keeps its probes' rows (JoinMemo).
        "enable_memoize": "on",
        "enable_sort": "on",
        "enable_hashagg": "on",
        "random_page_cost": "4",
        "ivfflat.probes": "1",
        "hnsw.iterative_scan": "off",
        "hnsw.max_scan_tuples": "20000",
        // pg_trgm's thresholds for `%`, `<%` and `<<%` (SessionFunctions+Trigrams.swift).
        "pg_trgm.similarity_threshold": "0.3",
        "pg_trgm.word_similarity_threshold": "0.6",
        "pg_trgm.strict_word_similarity_threshold": "0.5",
    ]
    /// SHOW's column name: the setting's name as PostgreSQL spells it (`TimeZone`).
    static func columnName(_ name: String) -> String {
        ["timezone": "TimeZone", "datestyle": "DateStyle", "intervalstyle": "IntervalStyle"][name] ?? name
    }

    /// Settings that are an amount with a unit; they are kept as SHOW prints them.
    static let unitSettings: [String: UnitSetting] = [
        "work_mem": .memory,
        "statement_timeout": .duration,
        "lock_timeout": .duration,
        "idle_in_transaction_session_timeout": .duration,
    ]

    /// What RESET returns to before the built-in defaults: the database's session defaults.
    private let baseline: [String: String]
    private var values: [String: String] = [:]
    /// Values replaced by SET LOCAL, restored when the transaction ends.
    private var savedForTransaction: [String: String?] = [:]

    // Kept parsed so that starting a statement costs no parsing or dictionary look-up
    // (every statement's execution context reads them); 0 ms means no limit.
    private(set) var efSearch = 40
    /// `vireo.filter_cache` (on unless set to off, false, no or 0): vector searches reuse
    /// the bitmaps of rows their filters matched (`MatchingRowsCache`).
    private(set) var filterCache = true
    /// `enable_memoize` (on unless set to off, false, no or 0): index nested-loop joins
    /// keep their probes' rows per key where the plan says so (JoinMemo).
    private(set) var memoizes = true
    private(set) var workMemKilobytes = workMemKilobytesDefault
    private(set) var statementTimeoutMs = 0
    private(set) var lockTimeoutMs = 0
    private(set) var idleInTransactionSessionTimeoutMs = 0
    /// The session's time zone; nil is UTC.
    private(set) var timeZone: TimeZone?
    /// Whether search_path names public (pg_dump empties it, and then expects the catalog
    /// functions to qualify public's types and operator classes: SearchPath).
    private(set) var searchPathHasPublic = true
    private(set) var clientMinMessages = MessageLevel.notice

    /// `baseline` holds values checked by `checked`.
    init(baseline: [String: String] = [:]) {
        self.baseline = baseline
        updateParsed()
    }

    func value(_ name: String) -> String? { values[name] ?? baseline[name] ?? Self.defaults[name] }

    /// Where the value comes from, as pg_settings' source says: the session (SET), the
    /// database's session defaults, or the built-in default.
    func source(_ name: String) -> String {
        values[name] != nil ? "session" : baseline[name] != nil ? "database" : "default"
    }

    /// What RESET goes back to (pg_settings' reset_val).
    func resetValue(_ name: String) -> String? { baseline[name] ?? Self.defaults[name] }

    var all: [(String, String)] {
        Self.defaults.merging(baseline) { _, set in set }.merging(values) { _, set in set }.sorted { $0.key < $1.key }
    }

    mutating func set(_ name: String, _ value: SettingValue, local: Bool) throws {
        let text = try Self.checked(name, value.plainText)
        if local, savedForTransaction[name] == nil { savedForTransaction[name] = .some(values[name]) }
        values[name] = text
        updateParsed()
    }

    mutating func reset(_ name: String?) {
        if let name { values[name] = nil } else { values = [:] }
        updateParsed()
    }

    /// Ends a transaction: SET LOCAL values go back to what they were.
    mutating func endTransaction() {
        guard !savedForTransaction.isEmpty else { return }
        for (name, previous) in savedForTransaction { values[name] = previous }
        savedForTransaction = [:]
        updateParsed()
    }

    /// `text` as the setting `name` keeps it (nil: the default); 22023 when it is not a
    /// valid value for `name`.
    static func checked(_ name: String, _ text: String?) throws -> String? {
        guard let text else { return nil }
        if name == "hnsw.ef_search" { try checkEfSearch(text) }
        if name == "timezone" {
            _ = try SessionTimeZone.zone(setting: text)
            return text.trimmingCharacters(in: .whitespaces)
        }
        if name == "default_transaction_isolation" || name == "transaction_isolation" {
            guard let level = IsolationLevel(settingText: text) else {
                throw VireoError(.invalidParameter, "invalid value for parameter \"\(name)\": \"\(text)\"")
            }
            return level.rawValue
        }
        if name == "client_min_messages" {
            guard let level = MessageLevel(settingText: text) else {
                throw VireoError(.invalidParameter, "invalid value for parameter \"client_min_messages\": \"\(text)\"",
                                 hint: "Available values: \(MessageLevel.availableValues).")
            }
            return "\(level)"
        }
        if name.hasPrefix("pg_trgm."), defaults[name] != nil { return try checkedFraction(name, text) }
        if name == "enable_memoize" { return try checkedBoolean(name, text) }
        guard let unit = unitSettings[name] else { return text }
        return unit.text(try unit.value(parsing: text, setting: name))
    }

    /// A boolean as PostgreSQL reads one (`Cast.parseBool`: on, off, true, false, yes, no, 1,
    /// 0 and their unambiguous prefixes), kept as on or off.
    private static func checkedBoolean(_ name: String, _ text: String) throws -> String {
        guard let value = try? Cast.parseBool(text) else {
            throw VireoError(.invalidParameter, "parameter \"\(name)\" requires a Boolean value")
        }
        return value ? "on" : "off"
    }

    /// A real number from 0 to 1, as PostgreSQL checks pg_trgm's thresholds.
    private static func checkedFraction(_ name: String, _ text: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let number = Double(trimmed), number.isFinite else {
            throw VireoError(.invalidParameter, "invalid value for parameter \"\(name)\": \"\(text)\"")
        }
        guard (0...1).contains(number) else {
            throw VireoError(.invalidParameter, "\(trimmed) is outside the valid range for parameter \"\(name)\" (0 .. 1)")
        }
        return trimmed
    }

    /// Values stored for unit settings were checked by `checked`, so they always parse.
    private mutating func updateParsed() {
        efSearch = Int(value("hnsw.ef_search") ?? "") ?? 40
        filterCache = Self.isOn(value("vireo.filter_cache"))
        memoizes = Self.isOn(value("enable_memoize"))
        workMemKilobytes = parsed("work_mem") ?? Self.workMemKilobytesDefault
        statementTimeoutMs = parsed("statement_timeout") ?? 0
        lockTimeoutMs = parsed("lock_timeout") ?? 0
        idleInTransactionSessionTimeoutMs = parsed("idle_in_transaction_session_timeout") ?? 0
        clientMinMessages = MessageLevel(settingText: value("client_min_messages") ?? "") ?? .notice
        timeZone = (try? SessionTimeZone.zone(setting: value("timezone") ?? "UTC")) ?? nil
        searchPathHasPublic = (value("search_path") ?? "public").split(separator: ",").contains {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == "public"
        }
    }

    /// A boolean setting's value: on unless off, false, no or 0.
    private static func isOn(_ text: String?) -> Bool {
        !["off", "false", "no", "0"].contains(text?.lowercased() ?? "on")
    }

    private func parsed(_ name: String) -> Int? {
        guard let unit = Self.unitSettings[name], let text = value(name) else { return nil }
        return try? unit.value(parsing: text, setting: name)
    }

    private static func checkEfSearch(_ text: String) throws {
        guard let value = Int(text), efSearchRange.contains(value) else {
            throw VireoError(.invalidParameter, "\(text) is outside the valid range for parameter \"hnsw.ef_search\" (1 .. 1000)")
        }
    }
}
