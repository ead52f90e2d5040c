import Foundation
import VireoStorage

/// A table's storage parameters (`WITH (fillfactor = 70)`, `ALTER TABLE … SET (…)` and
/// `RESET (…)`), checked as PostgreSQL 15 checks them and kept as its reloptions texts
/// (`fillfactor=70`), which pg_class.reloptions and psql's `\d+` show. Vireo's B+trees fill
/// their pages by their own rule and it has no autovacuum or TOAST, so the values change
/// nothing in how it stores rows: they are kept so that a schema (a pg_dump, a migration)
/// loads and shows as written.
enum StorageParameters {
    private enum Kind {
        case integer(ClosedRange<Int>)
        case real(ClosedRange<Double>)
        case boolean
        case indexCleanup
    }

    private static let int32Max = Int(Int32.max)
    /// PostgreSQL 15's heap reloptions (reloptions.c) with their ranges.
    private static let kinds: [String: Kind] = [
        "fillfactor": .integer(10...100),
        "toast_tuple_target": .integer(128...8160),
        "parallel_workers": .integer(0...1024),
        "user_catalog_table": .boolean,
        "autovacuum_enabled": .boolean,
        "vacuum_index_cleanup": .indexCleanup,
        "vacuum_truncate": .boolean,
        "autovacuum_vacuum_threshold": .integer(0...int32Max),
        "autovacuum_vacuum_insert_threshold": .integer(-1...int32Max),
        "autovacuum_analyze_threshold": .integer(0...int32Max),
        "autovacuum_vacuum_cost_limit": .integer(1...10_000),
        "autovacuum_freeze_min_age": .integer(0...1_000_000_000),
        "autovacuum_freeze_max_age": .integer(100_000...2_000_000_000),
        "autovacuum_freeze_table_age": .integer(0...2_000_000_000),
        "autovacuum_multixact_freeze_min_age": .integer(0...1_000_000_000),
        "autovacuum_multixact_freeze_max_age": .integer(10_000...2_000_000_000),
        "autovacuum_multixact_freeze_table_age": .integer(0...2_000_000_000),
        "log_autovacuum_min_duration": .integer(-1...int32Max),
        "autovacuum_vacuum_cost_delay": .real(-1...100),
        "autovacuum_vacuum_scale_factor": .real(0...100),
        "autovacuum_vacuum_insert_scale_factor": .real(0...100),
        "autovacuum_analyze_scale_factor": .real(0...100),
    ]

    /// The parameters of a TOAST table (`toast.name`): the vacuum ones and toast_tuple_target's absence.
    private static func kind(of name: String) -> Kind? {
        guard name.hasPrefix("toast.") else { return kinds[name] }
        let base = String(name.dropFirst(6))
        guard base.hasPrefix("autovacuum_") || base.hasPrefix("vacuum_") || base == "log_autovacuum_min_duration",
              !base.contains("analyze") else { return nil }
        return kinds[base]
    }

    /// `current` with `parameters` set (each replacing its earlier value), in the order written.
    static func set(_ parameters: [StorageParameter], in current: [String]) throws -> [String] {
        var seen: Set<String> = []
        var options = current
        for parameter in parameters {
            guard seen.insert(parameter.name).inserted else {
                throw VireoError(.invalidParameter, "parameter \"\(parameter.name)\" specified more than once")
            }
            let text = try checked(parameter)
            options.removeAll { optionName($0) == parameter.name }
            options.append(parameter.name + "=" + text)
        }
        return options
    }

    /// `current` without the parameters `names`.
    static func reset(_ names: [String], in current: [String]) throws -> [String] {
        for name in names where kind(of: name) == nil { throw unrecognized(name) }
        return current.filter { !names.contains(optionName($0)) }
    }

    private static func optionName(_ option: String) -> String {
        String(option.prefix { $0 != "=" })
    }

    /// The parameter's value as its reloptions text, after PostgreSQL's checks.
    private static func checked(_ parameter: StorageParameter) throws -> String {
        guard let kind = kind(of: parameter.name) else { throw unrecognized(parameter.name) }
        let text = parameter.value.map { $0.plainText ?? "default" }
        let name = parameter.name
        switch kind {
        case .boolean:
            guard let text else { return "true" }
            guard (try? Cast.parseBool(text)) != nil else {
                throw VireoError(.invalidParameter, "invalid value for boolean option \"\(name)\": \(text)")
            }
            return text
        case .indexCleanup:
            let text = text ?? "true"
            guard ["auto", "on", "off", "true", "false", "yes", "no", "1", "0"].contains(text.lowercased()) else {
                throw VireoError(.invalidParameter, "invalid value for enum option \"\(name)\": \(text)",
                                 detail: "Valid values are \"on\", \"off\", and \"auto\".")
            }
            return text
        case .integer(let range):
            guard let text, let value = Int(text) else {
                throw VireoError(.invalidParameter, "invalid value for integer option \"\(name)\": \(text ?? "true")")
            }
            guard range.contains(value) else { throw outOfBounds(text, name, "\(range.lowerBound)", "\(range.upperBound)") }
            return text
        case .real(let range):
            guard let text, let value = Double(text) else {
                throw VireoError(.invalidParameter, "invalid value for floating point option \"\(name)\": \(text ?? "true")")
            }
            guard range.contains(value) else {
                throw outOfBounds(text, name, String(format: "%f", range.lowerBound), String(format: "%f", range.upperBound))
            }
            return text
        }
    }

    private static func unrecognized(_ name: String) -> VireoError {
        VireoError(.invalidParameter, "unrecognized parameter \"\(name)\"")
    }

    private static func outOfBounds(_ text: String, _ name: String, _ lower: String, _ upper: String) -> VireoError {
        VireoError(.invalidParameter, "value \(text) out of bounds for option \"\(name)\"",
                   detail: "Valid values are between \"\(lower)\" and \"\(upper)\".")
    }
}
