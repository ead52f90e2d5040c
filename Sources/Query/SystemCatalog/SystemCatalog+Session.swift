import VireoStorage

/// The catalog relations that show the session reading them: pg_settings (its settings)
/// and pg_cursors (its open cursors). They are not built with the others at bind time: a
/// plan may be kept and run again after a SET or a DECLARE, so they are table functions
/// read from the statement's session when it runs (`pg_show_all_settings()` and
/// `pg_cursor()`, the functions PostgreSQL's views read, callable by those names too).
extension SystemCatalog {
    enum SessionRelation: String, Sendable {
        case settings = "pg_show_all_settings"
        case cursors = "pg_cursor"
        /// pg_stat_activity: the server's connections (SessionActivity.swift).
        case activity = "pg_stat_get_activity"
        /// pg_listening_channels(): the session's committed LISTENs.
        case listeningChannels = "pg_listening_channels"
        /// pg_prepared_statements: PREPARE's and the client's named statements.
        case preparedStatements = "pg_prepared_statement"

        /// The relation name that reads it, in pg_catalog (nil: only the function).
        var viewName: String? {
            switch self {
            case .settings: "pg_settings"
            case .cursors: "pg_cursors"
            case .activity: "pg_stat_activity"
            case .listeningChannels: nil
            case .preparedStatements: "pg_prepared_statements"
            }
        }

        var columns: [ResultColumn] {
            switch self {
            case .settings:
                SystemCatalog.columns(("name", .text), ("setting", .text), ("unit", .text), ("category", .text), ("short_desc", .text),
                                      ("extra_desc", .text), ("context", .text), ("vartype", .text), ("source", .text),
                                      ("min_val", .text), ("max_val", .text), ("enumvals", .array(.text)), ("boot_val", .text),
                                      ("reset_val", .text), ("sourcefile", .text), ("sourceline", .integer), ("pending_restart", .bool))
            case .cursors:
                SystemCatalog.columns(("name", .text), ("statement", .text), ("is_holdable", .bool), ("is_binary", .bool),
                                      ("is_scrollable", .bool), ("creation_time", .timestamptz))
            case .activity: Session.activityColumns
            case .listeningChannels: [ResultColumn(name: "pg_listening_channels", type: .text)]
            case .preparedStatements:
                SystemCatalog.columns(("name", .text), ("statement", .text), ("prepare_time", .timestamptz),
                                      ("parameter_types", .array(.text)), ("from_sql", .bool))
            }
        }

        /// Its rows for `session`; none without one (a statement run outside a session).
        func rows(_ session: Session?) throws -> [[Value]] {
            guard let session else { return [] }
            switch self {
            case .settings: return try session.settingRows()
            case .cursors: return session.cursorRows()
            case .activity: return session.activityRows()
            case .listeningChannels: return session.listeningChannels.map { [.text($0)] }
            case .preparedStatements: return session.preparedStatementRows()
            }
        }
    }

    /// The session relation `name` refers to, if any (user tables shadow unqualified names).
    static func sessionRelation(_ name: TableName, _ catalog: Catalog) -> SessionRelation? {
        if let schema = name.schema, schema != "pg_catalog" { return nil }
        if name.schema == nil, catalog.tables[name.name] != nil || catalog.views[name.name] != nil { return nil }
        return [SessionRelation.settings, .cursors, .activity, .preparedStatements].first { $0.viewName == name.name }
    }
}

/// What pg_settings says of a setting besides its value.
struct SettingDescription {
    var category: String
    var description: String
    /// When it may be changed: "user" (SET) or "internal" (never).
    var context = "user"
    /// bool, integer, enum or string.
    var type = "string"
    var choices: [String]? = nil

    static let custom = SettingDescription(category: "Customized Options", description: "")

    static let known: [String: SettingDescription] = [
        "hnsw.ef_search": .init(category: "Customized Options", description: "Candidates an HNSW search keeps (Vireo).", type: "integer"),
        "vireo.filter_cache": .init(category: "Customized Options", description: "Filtered vector searches reuse matching-row bitmaps (Vireo).", type: "bool"),
        "enable_memoize": .init(category: "Query Tuning / Planner Method Configuration", description: "Enables the planner's use of memoization.", type: "bool"),
        "work_mem": .init(category: "Resource Usage / Memory", description: "Sets the maximum memory to be used for query workspaces.", type: "integer"),
        "statement_timeout": .init(category: "Client Connection Defaults / Statement Behavior", description: "Sets the maximum allowed duration of any statement.", type: "integer"),
        "lock_timeout": .init(category: "Client Connection Defaults / Statement Behavior", description: "Sets the maximum allowed duration of any wait for a lock.", type: "integer"),
        "idle_in_transaction_session_timeout": .init(category: "Client Connection Defaults / Statement Behavior", description: "Sets the maximum allowed idle time between queries, when in a transaction.", type: "integer"),
        "server_version": .init(category: "Preset Options", description: "Shows the server version.", context: "internal"),
        "server_version_num": .init(category: "Preset Options", description: "Shows the server version as an integer.", context: "internal", type: "integer"),
        "server_encoding": .init(category: "Preset Options", description: "Shows the server (database) character set encoding.", context: "internal"),
        "client_encoding": .init(category: "Client Connection Defaults / Locale and Formatting", description: "Sets the client's character set encoding."),
        "datestyle": .init(category: "Client Connection Defaults / Locale and Formatting", description: "Sets the display format for date and time values."),
        "timezone": .init(category: "Client Connection Defaults / Locale and Formatting", description: "Sets the time zone for displaying and interpreting time stamps."),
        "standard_conforming_strings": .init(category: "Version and Platform Compatibility / Previous PostgreSQL Versions", description: "Causes '...' strings to treat backslashes literally.", type: "bool"),
        "integer_datetimes": .init(category: "Preset Options", description: "Shows whether datetimes are integer based.", context: "internal", type: "bool"),
        "default_transaction_isolation": .init(category: "Client Connection Defaults / Statement Behavior", description: "Sets the transaction isolation level of each new transaction.", type: "enum",
                                               choices: ["serializable", "repeatable read", "read committed", "read uncommitted"]),
        "transaction_isolation": .init(category: "Client Connection Defaults / Statement Behavior", description: "Sets the current transaction's isolation level.", type: "enum",
                                       choices: ["serializable", "repeatable read", "read committed", "read uncommitted"]),
        "default_transaction_read_only": .init(category: "Client Connection Defaults / Statement Behavior", description: "Sets the default read-only status of new transactions.", type: "bool"),
        "search_path": .init(category: "Client Connection Defaults / Statement Behavior", description: "Sets the schema search order for names that are not schema-qualified."),
        "application_name": .init(category: "Reporting and Logging / What to Log", description: "Sets the application name to be reported in statistics and logs."),
        "intervalstyle": .init(category: "Client Connection Defaults / Locale and Formatting", description: "Sets the display format for interval values.", type: "enum",
                               choices: ["postgres", "postgres_verbose", "sql_standard", "iso_8601"]),
        "bytea_output": .init(category: "Client Connection Defaults / Statement Behavior", description: "Sets the output format for bytea.", type: "enum", choices: ["escape", "hex"]),
        "extra_float_digits": .init(category: "Client Connection Defaults / Locale and Formatting", description: "Sets the number of digits displayed for floating-point values.", type: "integer"),
        "max_identifier_length": .init(category: "Preset Options", description: "Shows the maximum identifier length.", context: "internal", type: "integer"),
        "is_superuser": .init(category: "Preset Options", description: "Shows whether the current user is a superuser.", context: "internal", type: "bool"),
    ]
}

extension Session {
    /// pg_settings: each setting the session has (the built-in ones, the database's session
    /// defaults, and any the session SET), in name order. An amount with a unit shows in its
    /// base unit, as PostgreSQL shows it (work_mem `1048576` with unit `kB`).
    func settingRows() throws -> [[Value]] {
        var all = settings.all
        if !all.contains(where: { $0.0 == "transaction_isolation" }) {
            all.append(("transaction_isolation", try settingText("transaction_isolation")))
            all.sort { $0.0 < $1.0 }
        }
        return all.map { name, value in
            let description = SettingDescription.known[name] ?? .custom
            let unit = Settings.unitSettings[name]
            let shown = { (text: String?) -> Value in
                guard let text else { return .null }
                guard let unit, let amount = try? unit.value(parsing: text, setting: name) else { return .text(text) }
                return .text(String(amount))
            }
            let range = unit.map { [Value.text(String($0.valueRange.lowerBound)), .text(String($0.valueRange.upperBound))] }
                ?? [.null, .null]
            return [.text(Settings.columnName(name)), shown(value), unit.map { .text($0.baseUnit) } ?? .null,
                    .text(description.category), .text(description.description), .null, .text(description.context),
                    .text(description.type), .text(settings.source(name))] + range
                + [description.choices.map { .array($0.map(Value.text)) } ?? .null, shown(Settings.defaults[name]),
                   shown(settings.resetValue(name)), .null, .null, .bool(false)]
        }
    }

    /// pg_cursors: the open cursors, DECLARE's and the pgwire portals kept as cursors. Each
    /// can scroll (its rows are collected when it opens); none is binary.
    func cursorRows() -> [[Value]] {
        cursors.sorted { $0.key < $1.key }.map { name, cursor in
            [.text(name), cursor.statement.map(Value.text) ?? .null, .bool(cursor.withHold), .bool(false), .bool(true),
             .timestamp(cursor.createdMicros)]
        }
    }
}
