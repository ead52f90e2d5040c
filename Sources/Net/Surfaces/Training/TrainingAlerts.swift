import Foundation
import VireoQuery
import VireoStorage

/// Notifications, alert rules, alerts and resource samples: the tables, and how rules are
/// evaluated. An alert is raised once per breach (no second one while the rule's alert for
/// the same subject is active or acknowledged) and resolved when the condition clears.
/// Subjects: `system` for resource metrics, the session id for training metrics.
enum AlertSchema {
    static let notifications = "vireo_training_notifications"
    static let rules = "vireo_training_alert_rules"
    static let alerts = "vireo_training_alerts"
    static let samples = "vireo_training_resource_samples"
    /// Samples kept; older ones are deleted as new ones arrive.
    static let samplesKeptMax = 10_000

    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS \(notifications) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, type text NOT NULL,
          priority text NOT NULL, message text NOT NULL, data jsonb NOT NULL, read boolean NOT NULL, created_at timestamptz NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS \(rules) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, name text NOT NULL, metric text NOT NULL,
          condition text NOT NULL, threshold double precision NOT NULL, severity text NOT NULL, enabled boolean NOT NULL,
          duration_seconds bigint, session_id text, created_at timestamptz NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS \(alerts) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, rule_id text NOT NULL, rule_name text NOT NULL,
          subject text NOT NULL, severity text NOT NULL, message text NOT NULL, value double precision NOT NULL,
          threshold double precision NOT NULL, status text NOT NULL, triggered_at timestamptz NOT NULL, acknowledged_at timestamptz,
          acknowledged_by text, notes text, resolved_at timestamptz)
        """,
        """
        CREATE TABLE IF NOT EXISTS \(samples) (seq bigserial PRIMARY KEY, recorded_at timestamptz NOT NULL, cpu_percent double precision NOT NULL,
          memory_percent double precision NOT NULL, disk_percent double precision NOT NULL, gpu jsonb NOT NULL)
        """,
    ]

    static let conditions = ["greater_than", "less_than", "equals", "not_equals", "greater_than_or_equal", "less_than_or_equal"]
    static let severities = ["low", "medium", "high", "critical"]
    static let resourceMetrics = ["cpu_percent", "memory_percent", "disk_percent", "gpu_utilization", "gpu_memory_percent", "gpu_temperature"]

    static func holds(_ condition: String, _ value: Double, _ threshold: Double) -> Bool {
        switch condition {
        case "greater_than": value > threshold
        case "less_than": value < threshold
        case "equals": value == threshold
        case "not_equals": value != threshold
        case "greater_than_or_equal": value >= threshold
        case "less_than_or_equal": value <= threshold
        default: false
        }
    }

    static let notificationColumns = "id, type, priority, message, data, read, created_at"
    static let ruleColumns = "id, name, metric, condition, threshold, severity, enabled, duration_seconds, session_id, created_at"
    static let alertColumns = """
        id, rule_id, rule_name, subject, severity, message, value, threshold, status, triggered_at, acknowledged_at, acknowledged_by, notes,
        resolved_at
        """

    static func notificationJSON(_ row: [Value]) -> JSONValue {
        .fields(("id", JSONValue(row[0])), ("type", JSONValue(row[1])), ("priority", JSONValue(row[2])), ("message", JSONValue(row[3])),
                ("data", JSONValue(row[4])), ("read", JSONValue(row[5])), ("created_at", JSONValue(row[6])))
    }

    static func ruleJSON(_ row: [Value]) -> JSONValue {
        .fields(("rule_id", JSONValue(row[0])), ("name", JSONValue(row[1])), ("metric", JSONValue(row[2])), ("condition", JSONValue(row[3])),
                ("threshold", JSONValue(row[4])), ("severity", JSONValue(row[5])), ("enabled", JSONValue(row[6])),
                ("duration_seconds", JSONValue(row[7])), ("session_id", JSONValue(row[8])), ("created_at", JSONValue(row[9])))
    }

    static func alertJSON(_ row: [Value]) -> JSONValue {
        .fields(("alert_id", JSONValue(row[0])), ("rule_id", JSONValue(row[1])), ("rule_name", JSONValue(row[2])), ("subject", JSONValue(row[3])),
                ("severity", JSONValue(row[4])), ("message", JSONValue(row[5])), ("value", JSONValue(row[6])), ("threshold", JSONValue(row[7])),
                ("status", JSONValue(row[8])), ("triggered_at", JSONValue(row[9])), ("acknowledged_at", JSONValue(row[10])),
                ("acknowledged_by", JSONValue(row[11])), ("notes", JSONValue(row[12])), ("resolved_at", JSONValue(row[13])))
    }

    /// Adds a notification; returns it.
    @discardableResult
    static func notify(_ session: Session, type: String, priority: String, message: String, data: JSONValue) throws -> JSONValue {
        let rows = try session.execute("""
            INSERT INTO \(notifications) (id, type, priority, message, data, read, created_at) VALUES ($1, $2, $3, $4, $5, false, $6)
            RETURNING \(notificationColumns)
            """, [.text(TrainingSchema.newID("notif")), .text(type), .text(priority), .text(message), .json(data.text), TrainingSchema.now()]).rows
        return rows.first.map(notificationJSON) ?? .null
    }

    /// What changed when rules were evaluated: alerts raised and resolved, as JSON.
    struct Outcome: Sendable {
        var raised: [JSONValue] = []
        var resolved: [JSONValue] = []
    }

    /// Evaluates the enabled rules on `metric`s in `values` for `subject`: raises what newly
    /// breaches (with a notification), resolves what cleared. `heldFor` answers whether a
    /// rule with a duration has been breached that long (`held`: resource rules read their
    /// samples, training rules the session's reports).
    static func evaluate(_ session: Session, subject: String, values: [String: Double],
                         heldFor: (String, String, Double, Int64) throws -> Bool = { _, _, _, _ in true }) throws -> Outcome {
        guard !values.isEmpty else { return Outcome() }
        var outcome = Outcome()
        let rows = try session.execute("SELECT \(ruleColumns) FROM \(rules) WHERE enabled = true ORDER BY seq").rows
        for rule in rows {
            guard let id = rule[0].textValue, let name = rule[1].textValue, let metric = rule[2].textValue,
                  let condition = rule[3].textValue, let threshold = rule[4].doubleValue, let severity = rule[5].textValue,
                  let value = values[metric] else { continue }
            if let only = rule[8].textValue, only != subject { continue }
            let open = try session.execute("SELECT \(alertColumns) FROM \(alerts) WHERE rule_id = $1 AND subject = $2 AND status <> 'resolved'",
                                           [.text(id), .text(subject)]).rows
            // A rule with a duration fires once the breach has lasted that long; it clears at once.
            let breaching = holds(condition, value, threshold)
            var breached = breaching
            if breached, open.isEmpty, let seconds = rule[7].intValue, seconds > 0 { breached = try heldFor(metric, condition, threshold, seconds) }
            if breached, open.isEmpty {
                let message = "\(name): \(metric) is \(value) (\(condition.replacingOccurrences(of: "_", with: " ")) \(threshold))"
                    + (subject == "system" ? "" : " in session \(subject)")
                let alert = try session.execute("""
                    INSERT INTO \(alerts) (id, rule_id, rule_name, subject, severity, message, value, threshold, status, triggered_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9) RETURNING \(alertColumns)
                    """, [.text(TrainingSchema.newID("alert")), .text(id), .text(name), .text(subject), .text(severity), .text(message),
                          .double(value), .double(threshold), TrainingSchema.now()]).rows.first.map(alertJSON) ?? .null
                try notify(session, type: "alert", priority: severity == "critical" ? "high" : severity, message: message, data: alert)
                outcome.raised.append(alert)
            } else if !breaching, !open.isEmpty {
                let resolved = try session.execute("""
                    UPDATE \(alerts) SET status = 'resolved', resolved_at = $1 WHERE rule_id = $2 AND subject = $3 AND status <> 'resolved'
                    RETURNING \(alertColumns)
                    """, [TrainingSchema.now(), .text(id), .text(subject)]).rows
                outcome.resolved += resolved.map(alertJSON)
            }
        }
        return outcome
    }

    /// Whether every sample of the last `seconds` breaches, and the samples reach back that far.
    static func resourceHeld(_ session: Session, metric: String, condition: String, threshold: Double, seconds: Int64) throws -> Bool {
        // GPU readings are not kept as samples: a GPU rule fires on its first breach (documented).
        guard ["cpu_percent", "memory_percent", "disk_percent"].contains(metric) else { return true }
        let since = Value.timestamp(Int64((Date().timeIntervalSince1970 - Double(seconds)) * 1_000_000))
        let recent = try session.execute("SELECT \(metric) FROM \(samples) WHERE recorded_at >= $1", [since]).rows.compactMap { $0[0].doubleValue }
        let older = try session.execute("SELECT count(*) FROM \(samples) WHERE recorded_at < $1", [since]).rows.first?.first?.intValue ?? 0
        return older > 0 && !recent.isEmpty && recent.allSatisfy { holds(condition, $0, threshold) }
    }

    /// Whether the condition has held over the last `seconds` of `subject`'s reports of `metric`:
    /// every value reported since then breaches, and so does the last one before (the breach
    /// began at least `seconds` ago and never cleared).
    static func metricHeld(_ session: Session, subject: String, metric: String, condition: String, threshold: Double,
                           seconds: Int64, now: Date = Date()) throws -> Bool {
        let since = Value.timestamp(Int64((now.timeIntervalSince1970 - Double(seconds)) * 1_000_000))
        let metrics = TrainingSchema.metrics
        let recent = try session.execute("SELECT value FROM \(metrics) WHERE session_id = $1 AND name = $2 AND recorded_at >= $3",
                                         [.text(subject), .text(metric), since]).rows.compactMap { $0[0].doubleValue }
        let before = try session.execute("""
            SELECT value FROM \(metrics) WHERE session_id = $1 AND name = $2 AND recorded_at < $3 ORDER BY recorded_at DESC, seq DESC LIMIT 1
            """, [.text(subject), .text(metric), since]).rows.first?.first?.doubleValue
        guard let before, holds(condition, before, threshold) else { return false }
        return recent.allSatisfy { holds(condition, $0, threshold) }
    }

    /// `heldFor` of `evaluate` for `subject`: resource samples for `system`, else the session's reports.
    static func held(_ session: Session, subject: String) -> (String, String, Double, Int64) throws -> Bool {
        { metric, condition, threshold, seconds in
            subject == "system"
                ? try resourceHeld(session, metric: metric, condition: condition, threshold: threshold, seconds: seconds)
                : try metricHeld(session, subject: subject, metric: metric, condition: condition, threshold: threshold, seconds: seconds)
        }
    }

    static func record(_ session: Session, _ sample: ResourceSample) throws {
        try session.execute("""
            INSERT INTO \(samples) (recorded_at, cpu_percent, memory_percent, disk_percent, gpu) VALUES ($1, $2, $3, $4, $5)
            """, [TrainingSchema.now(), .double(sample.cpuPercent), .double(sample.memoryPercent), .double(sample.diskPercent),
                  .json(JSONValue.array(sample.gpus.map(\.json)).text)])
        try session.execute("DELETE FROM \(samples) WHERE seq <= (SELECT max(seq) FROM \(samples)) - \(samplesKeptMax)")
    }
}
