import Foundation
import VireoStorage

/// A message a statement raises beside its result, below an error: PostgreSQL's NOTICE
/// ("table \"t\" does not exist, skipping") and WARNING ("there is no transaction in
/// progress"). The session keeps the ones of its last request (an `execute` call) until its
/// caller takes them (`Session.takeNotices`):
/// a server sends each as a NoticeResponse before the statement's completion or error, the
/// shell prints them as psql does.
public struct Notice: Sendable, Equatable {
    public enum Severity: String, Sendable, CaseIterable {
        case notice = "NOTICE", warning = "WARNING"
        /// PL/pgSQL's RAISE INFO: always sent, whatever client_min_messages says.
        case info = "INFO"
    }

    public var severity: Severity
    /// Its SQLSTATE: `00000` for most notices, the condition's class for others (`42P07`
    /// for an object that already exists, `25P01` for COMMIT outside a block).
    public var sqlState: String
    public var message: String
    public var detail: String?

    public init(_ severity: Severity, sqlState: String = "00000", _ message: String, detail: String? = nil) {
        self.severity = severity
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
    }

    /// What DROP … CASCADE dropped beside the objects it names (`view v`, `constraint k on
    /// table t`), as PostgreSQL reports it: the one object, or their count and a line each.
    static func cascaded(_ objects: [String]) -> Notice? {
        guard let first = objects.first else { return nil }
        guard objects.count > 1 else { return Notice(.notice, "drop cascades to \(first)") }
        return Notice(.notice, "drop cascades to \(objects.count) other objects",
                      detail: objects.map { "drop cascades to \($0)" }.joined(separator: "\n"))
    }

    /// `kind "name" does not exist, skipping`, as DROP … IF EXISTS and ALTER … IF EXISTS
    /// say it; `of` names the relation of a column or constraint (a stored name).
    static func skippedMissing(_ kind: String, _ name: String, of relation: String? = nil) -> Notice {
        Notice(.notice, "\(kind) \"\(name)\"\(ofRelation(relation)) does not exist, skipping")
    }

    /// `relation "name" already exists, skipping`, as CREATE … IF NOT EXISTS says it.
    static func skippedExisting(_ kind: String, _ name: String, sqlState: String = "42P07", of relation: String? = nil) -> Notice {
        Notice(.notice, sqlState: sqlState, "\(kind) \"\(name)\"\(ofRelation(relation)) already exists, skipping")
    }

    private static func ofRelation(_ stored: String?) -> String {
        stored.map { " of relation \"\(TemporarySchema.split($0)?.name ?? $0)\"" } ?? ""
    }

    /// psql's form: `NOTICE:  message`, then `DETAIL:  …`.
    public var text: String { "\(severity.rawValue):  \(message)" + (detail.map { "\nDETAIL:  \($0)" } ?? "") }
}

/// client_min_messages: the least severe message a session sends its client.
enum MessageLevel: Int, Comparable, CaseIterable {
    case debug5, debug4, debug3, debug2, debug1, log, notice, warning, error

    init?(settingText text: String) {
        guard let level = Self.allCases.first(where: { "\($0)" == text.lowercased().trimmingCharacters(in: .whitespaces) }) else { return nil }
        self = level
    }

    init(_ severity: Notice.Severity) {
        self = switch severity {
        case .notice: .notice
        case .warning: .warning
        case .info: .error
        }
    }

    static func < (left: MessageLevel, right: MessageLevel) -> Bool { left.rawValue < right.rawValue }

    static var availableValues: String { allCases.map { "\($0)" }.joined(separator: ", ") }
}

extension Session {
    /// Raises `notice` for the caller, unless client_min_messages asks for more severe ones only.
    func raise(_ notice: Notice?) {
        guard let notice, MessageLevel(notice.severity) >= settings.clientMinMessages else { return }
        pendingNotices.append(notice)
    }

    /// The notices and warnings the last request raised (those not taken yet), oldest first.
    public func takeNotices() -> [Notice] {
        guard !pendingNotices.isEmpty else { return [] }
        defer { pendingNotices = [] }
        return pendingNotices
    }

    /// Whether notices wait to be taken (a cheap check for a server's hot path).
    public var hasNotices: Bool { !pendingNotices.isEmpty }
}
