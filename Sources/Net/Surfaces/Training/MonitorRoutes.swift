import Foundation
import VireoQuery
import VireoStorage

/// Seed 002's notifications, resources, alerts, webhooks and health.
enum MonitorRoutes {
    static var all: [RouteDeclaration] {
        [notifications, readNotification, clearNotifications, resources, alerts, acknowledge, createRule, rules, deleteRule,
         registerWebhook, webhooks, deleteWebhook, testWebhook, webhookDeliveries, health, openAPI]
    }

    static let priorities = ["low", "medium", "high"]
    static let pageMax = 1000
    static let any = Schema.map(of: .any)

    static let notification = Schema.object([
        ("id", .string()), ("type", .string(allowed: ["training", "alert", "system"])), ("priority", .string(allowed: priorities)),
        ("message", .string()), ("data", any), ("read", .boolean), ("created_at", .string()),
    ], required: ["id", "type", "priority", "message", "data", "read", "created_at"])

    static let notifications = RouteDeclaration(
        .get, "/api/v1/notifications", summary: "Notifications, newest first",
        parameters: [
            ParameterDeclaration("type", in: .query, .string(allowed: ["training", "alert", "system"]), summary: "only this type"),
            ParameterDeclaration("priority", in: .query, .string(allowed: priorities), summary: "only this priority"),
            ParameterDeclaration("unread", in: .query, .boolean, summary: "true: only unread ones; false: only read ones"),
            ParameterDeclaration("limit", in: .query, .integer(range: 1...Int64(pageMax)), summary: "at most (default 100)"),
        ],
        response: .object([("notifications", .array(of: notification)), ("unread_count", .integer())], required: ["notifications"])
    ) { input, services in
        var conditions: [String] = [], parameters: [Value] = []
        for name in ["type", "priority"] {
            if let value = input.query(name) { parameters.append(.text(value)); conditions.append("\(name) = $\(parameters.count)") }
        }
        if let unread = input.query("unread") { conditions.append(unread == "true" ? "read = false" : "read = true") }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let limit = input.query("limit").flatMap { Int($0) } ?? 100, bound = parameters
        let (rows, unread) = try await services.training.session { session in
            (try session.execute("SELECT \(AlertSchema.notificationColumns) FROM \(AlertSchema.notifications) \(filter) ORDER BY seq DESC LIMIT \(limit)",
                                 bound).rows,
             try session.execute("SELECT count(*) FROM \(AlertSchema.notifications) WHERE read = false").rows.first?.first?.intValue ?? 0)
        }
        return RouteOutput(.fields(("notifications", .array(rows.map(AlertSchema.notificationJSON))), ("unread_count", .number(Double(unread)))))
    }

    static let readNotification = RouteDeclaration(
        .post, "/api/v1/notifications/{notification_id}/read", summary: "Mark a notification read",
        parameters: [ParameterDeclaration("notification_id", in: .path, .string())], response: notification
    ) { input, services in
        let id = input.path("notification_id")
        let row = try await services.training.session { session in
            try session.execute("UPDATE \(AlertSchema.notifications) SET read = true WHERE id = $1 RETURNING \(AlertSchema.notificationColumns)",
                                [.text(id)]).rows.first
        }
        guard let row else { throw RESTError.notFound("no notification '\(id)'", field: "notification_id") }
        return RouteOutput(AlertSchema.notificationJSON(row))
    }

    static let clearNotifications = RouteDeclaration(
        .delete, "/api/v1/notifications", summary: "Clear all notifications",
        response: .object([("message", .string()), ("deleted", .integer())], required: ["message", "deleted"])
    ) { _, services in
        let count = try await services.training.session { try $0.execute("DELETE FROM \(AlertSchema.notifications)").rowCount }
        return RouteOutput(.fields(("message", .string("Notifications cleared")), ("deleted", .integer(count))))
    }

    static let resources = RouteDeclaration(
        .get, "/api/v1/monitor/resources", summary: "CPU (per core, over 200 ms), memory, the data directory's disk, and GPUs (nvidia-smi)",
        response: .object([("timestamp", .string()), ("cpu", any), ("memory", any), ("disk", any), ("gpu", .array(of: any))],
                          required: ["timestamp", "cpu", "memory", "disk", "gpu"])
    ) { _, services in
        let training = try services.training
        let sample = await ResourceMonitor.sample(diskPath: training.settings.workDirectory)
        return RouteOutput(sample.json(timestamp: JSONValue(TrainingSchema.now())))
    }

    static let alert = Schema.object([
        ("alert_id", .string()), ("rule_id", .string()), ("rule_name", .string()), ("subject", .string()),
        ("severity", .string(allowed: AlertSchema.severities)), ("message", .string()), ("value", .number), ("threshold", .number),
        ("status", .string(allowed: ["active", "acknowledged", "resolved"])), ("triggered_at", .string()),
        ("acknowledged_at", .nullable(.string())), ("acknowledged_by", .nullable(.string())), ("notes", .nullable(.string())),
        ("resolved_at", .nullable(.string())),
    ], required: ["alert_id", "rule_name", "severity", "message", "value", "threshold", "triggered_at", "status"])

    static let alerts = RouteDeclaration(
        .get, "/api/v1/alerts", summary: "Alerts, newest first",
        parameters: [
            ParameterDeclaration("status", in: .query, .string(allowed: ["active", "acknowledged", "resolved"]), summary: "only this status"),
            ParameterDeclaration("severity", in: .query, .string(allowed: AlertSchema.severities), summary: "only this severity"),
        ],
        response: .object([("alerts", .array(of: alert))], required: ["alerts"])
    ) { input, services in
        var conditions: [String] = [], parameters: [Value] = []
        for name in ["status", "severity"] {
            if let value = input.query(name) { parameters.append(.text(value)); conditions.append("\(name) = $\(parameters.count)") }
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), bound = parameters
        let rows = try await services.training.session {
            try $0.execute("SELECT \(AlertSchema.alertColumns) FROM \(AlertSchema.alerts) \(filter) ORDER BY seq DESC LIMIT \(pageMax)", bound).rows
        }
        return RouteOutput(.fields(("alerts", .array(rows.map(AlertSchema.alertJSON)))))
    }

    static let acknowledge = RouteDeclaration(
        .post, "/api/v1/alerts/{alert_id}/acknowledge", summary: "Acknowledge an active alert",
        parameters: [ParameterDeclaration("alert_id", in: .path, .string())],
        requestBody: .object([("acknowledged_by", .string(length: 1...256)), ("notes", .nullable(.string(length: 0...4096)))],
                             required: ["acknowledged_by"]),
        response: alert
    ) { input, services in
        let id = input.path("alert_id"), by = input.field("acknowledged_by")?.unquotedText ?? "", notes = input.field("notes")?.unquotedText
        let row = try await services.training.session { session -> [Value] in
            guard let row = try session.execute("SELECT status FROM \(AlertSchema.alerts) WHERE id = $1", [.text(id)]).rows.first else {
                throw RESTError.notFound("no alert '\(id)'", field: "alert_id")
            }
            guard row[0].textValue == "active" else {
                throw RESTError(.conflict, code: "conflict", "alert '\(id)' is \(row[0].textValue ?? "") , not active", field: "alert_id")
            }
            return try session.execute("""
                UPDATE \(AlertSchema.alerts) SET status = 'acknowledged', acknowledged_at = $1, acknowledged_by = $2, notes = $3 WHERE id = $4
                RETURNING \(AlertSchema.alertColumns)
                """, [TrainingSchema.now(), .text(by), notes.map(Value.text) ?? .null, .text(id)]).rows[0]
        }
        return RouteOutput(AlertSchema.alertJSON(row))
    }

    static let rule = Schema.object([
        ("rule_id", .string()), ("name", .string()), ("metric", .string()), ("condition", .string(allowed: AlertSchema.conditions)),
        ("threshold", .number), ("severity", .string(allowed: AlertSchema.severities)), ("enabled", .boolean),
        ("duration_seconds", .nullable(.integer())), ("session_id", .nullable(.string())), ("created_at", .string()),
    ], required: ["rule_id", "name", "metric", "condition", "threshold", "severity", "enabled"])

    static let createRule = RouteDeclaration(
        .post, "/api/v1/alerts/rules",
        summary: "Create an alert rule over a resource metric (cpu_percent, memory_percent, disk_percent, gpu_…) or a training metric",
        requestBody: .object([
            ("name", .string(length: 1...256)), ("metric", .string(length: 1...MetricReport.nameCharactersMax)),
            ("condition", .string(allowed: AlertSchema.conditions)), ("threshold", .number),
            ("severity", .string(allowed: AlertSchema.severities)), ("enabled", .boolean),
            ("duration", .described(.nullable(.integer(range: 0...86_400)), "seconds the condition must hold (resource metrics)")),
            ("session_id", .described(.nullable(.string()), "only this session's metrics")),
        ], required: ["name", "metric", "condition", "threshold"]),
        status: .created, response: rule
    ) { input, services in
        let body = input
        let row = try await services.training.session { session in
            try session.execute("""
                INSERT INTO \(AlertSchema.rules) (id, name, metric, condition, threshold, severity, enabled, duration_seconds, session_id, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING \(AlertSchema.ruleColumns)
                """, [.text(TrainingSchema.newID("rule")), .text(body.field("name")?.unquotedText ?? ""),
                      .text(body.field("metric")?.unquotedText ?? ""), .text(body.field("condition")?.unquotedText ?? ""),
                      body.field("threshold")?.parameter ?? .null, .text(body.field("severity")?.unquotedText ?? "medium"),
                      .bool(body.field("enabled") != .bool(false)), body.field("duration")?.parameter ?? .null,
                      body.field("session_id")?.parameter ?? .null, TrainingSchema.now()]).rows[0]
        }
        return RouteOutput(AlertSchema.ruleJSON(row))
    }

    static let rules = RouteDeclaration(
        .get, "/api/v1/alerts/rules", summary: "Alert rules", response: .object([("rules", .array(of: rule))], required: ["rules"])
    ) { _, services in
        let rows = try await services.training.session { try $0.execute("SELECT \(AlertSchema.ruleColumns) FROM \(AlertSchema.rules) ORDER BY seq").rows }
        return RouteOutput(.fields(("rules", .array(rows.map(AlertSchema.ruleJSON)))))
    }

    static let deleteRule = RouteDeclaration(
        .delete, "/api/v1/alerts/rules/{rule_id}", summary: "Delete an alert rule",
        parameters: [ParameterDeclaration("rule_id", in: .path, .string())], response: .object([("message", .string())], required: ["message"])
    ) { input, services in
        let id = input.path("rule_id")
        let deleted = try await services.training.session { try $0.execute("DELETE FROM \(AlertSchema.rules) WHERE id = $1", [.text(id)]).rowCount }
        guard deleted == 1 else { throw RESTError.notFound("no alert rule '\(id)'", field: "rule_id") }
        return RouteOutput(.fields(("message", .string("Alert rule deleted"))))
    }

    static let webhook = Schema.object([
        ("webhook_id", .string()), ("id", .string()), ("url", .string()), ("events", .array(of: .string())), ("status", .string()),
        ("created_at", .string()), ("has_secret", .boolean),
    ], required: ["webhook_id", "url", "created_at", "status"])
    static let webhookParameter = ParameterDeclaration("webhook_id", in: .path, .string())

    /// Seed 002's and seed 001's registration: both send url, events and secret.
    static let registerWebhook = RouteDeclaration(
        .post, "/api/v1/webhooks", summary: "Register a webhook: signed POSTs (X-Vireo-Signature) of the events named",
        requestBody: .object([("url", .string(length: 1...WebhookDispatcher.urlCharactersMax)),
                              ("events", .array(of: .string(length: 1...128), count: 1...64)), ("secret", .nullable(.string(length: 0...512)))],
                             required: ["url", "events"]),
        status: .created, response: webhook
    ) { input, services in
        let secret = input.field("secret")?.unquotedText.flatMap { $0.isEmpty ? nil : $0 }
        let registered = try await services.training.webhooks.register(
            url: input.field("url")?.unquotedText ?? "", events: TrainingRoutes.stringList(input.field("events")), secret: secret)
        return RouteOutput(registered)
    }

    static let webhooks = RouteDeclaration(
        .get, "/api/v1/webhooks", summary: "Registered webhooks", response: .object([("webhooks", .array(of: webhook))], required: ["webhooks"])
    ) { _, services in
        RouteOutput(.fields(("webhooks", .array(try await services.training.webhooks.list()))))
    }

    static let deleteWebhook = RouteDeclaration(
        .delete, "/api/v1/webhooks/{webhook_id}", summary: "Remove a webhook and its deliveries", parameters: [webhookParameter],
        response: .object([("message", .string())], required: ["message"])
    ) { input, services in
        try await services.training.webhooks.delete(input.path("webhook_id"))
        return RouteOutput(.fields(("message", .string("Webhook deleted"))))
    }

    static let testWebhook = RouteDeclaration(
        .post, "/api/v1/webhooks/{webhook_id}/test", summary: "Send a test delivery now and report how it went", parameters: [webhookParameter],
        response: .object([("success", .boolean), ("status_code", .nullable(.integer())), ("response_time_ms", .number), ("error", .nullable(.string()))],
                          required: ["success", "status_code", "response_time_ms"])
    ) { input, services in
        RouteOutput(try await services.training.webhooks.test(input.path("webhook_id")))
    }

    static let webhookDeliveries = RouteDeclaration(
        .get, "/api/v1/webhooks/{webhook_id}/deliveries", summary: "A webhook's deliveries, newest first: status, attempts, status code, latency",
        parameters: [webhookParameter], response: .object([("deliveries", .array(of: any))], required: ["deliveries"])
    ) { input, services in
        RouteOutput(.fields(("deliveries", .array(try await services.training.webhooks.deliveries(input.path("webhook_id"), limit: 100)))))
    }

    /// Where seed 002 publishes the document: the same one as /openapi.json.
    static let openAPI = RouteDeclaration(
        .get, "/api/v1/openapi.json", summary: "The OpenAPI document (as /openapi.json)", requiresKey: false, response: .any
    ) { _, _ in
        RouteOutput(OpenAPIDocument.document)
    }

    static let started = Date()

    static let health = RouteDeclaration(
        .get, "/api/v1/health", summary: "Seed 002's health: status, uptime, system load, components", requiresKey: false,
        response: .object([("status", .string(allowed: ["healthy", "degraded"])), ("timestamp", .string()), ("uptime_seconds", .number),
                           ("system", any), ("components", any)], required: ["status", "timestamp", "uptime_seconds", "system", "components"]),
        otherStatuses: [.serviceUnavailable]
    ) { _, services in
        let failure = try await services.session { ProbeRoutes.probe($0) }
        let training = try services.training
        let writable = FileManager.default.isWritableFile(atPath: training.settings.workDirectory)
            || FileManager.default.isWritableFile(atPath: (training.settings.workDirectory as NSString).deletingLastPathComponent)
        let sample = await ResourceMonitor.sample(diskPath: training.settings.workDirectory, intervalMs: 100)
        let healthy = failure == nil && writable
        return RouteOutput(.fields(("status", .string(healthy ? "healthy" : "degraded")), ("timestamp", JSONValue(TrainingSchema.now())),
                                   ("uptime_seconds", .number(round1(Date().timeIntervalSince(started)))),
                                   ("system", .fields(("cpu_percent", .number(sample.cpuPercent)), ("memory_percent", .number(sample.memoryPercent)),
                                                      ("disk_percent", .number(sample.diskPercent)))),
                                   ("components", .fields(("database", .string(failure == nil ? "healthy" : "unhealthy")),
                                                          ("filesystem", .string(writable ? "healthy" : "unhealthy"))))),
                           status: healthy ? .ok : .serviceUnavailable)
    }
}
