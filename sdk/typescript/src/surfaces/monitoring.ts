// Monitoring around training (seed 002): resources, the training API's health, alerts and
// their rules, notifications, and webhooks (the server's deliveries of training and alert events).
import type { BodyOf, QueryOf, RequestOptions, ResponseOf, Transport } from '../transport.js';

export type Resources = ResponseOf<'get_api_v1_monitor_resources'>;
export type TrainingHealth = ResponseOf<'get_api_v1_health'>;
export type AlertList = ResponseOf<'get_api_v1_alerts'>;
export type ListAlertsParams = QueryOf<'get_api_v1_alerts'>;
export type AcknowledgeAlertParams = BodyOf<'post_api_v1_alerts__alert_id__acknowledge'>;
export type AcknowledgedAlert = ResponseOf<'post_api_v1_alerts__alert_id__acknowledge'>;
export type AlertRuleList = ResponseOf<'get_api_v1_alerts_rules'>;
export type CreateAlertRuleParams = BodyOf<'post_api_v1_alerts_rules'>;
export type AlertRule = ResponseOf<'post_api_v1_alerts_rules'>;
export type DeleteAlertRuleResult = ResponseOf<'delete_api_v1_alerts_rules__rule_id_'>;
export type NotificationList = ResponseOf<'get_api_v1_notifications'>;
export type ListNotificationsParams = QueryOf<'get_api_v1_notifications'>;
export type ReadNotificationResult = ResponseOf<'post_api_v1_notifications__notification_id__read'>;
export type ClearNotificationsResult = ResponseOf<'delete_api_v1_notifications'>;
export type WebhookList = ResponseOf<'get_api_v1_webhooks'>;
export type CreateWebhookParams = BodyOf<'post_api_v1_webhooks'>;
export type Webhook = ResponseOf<'post_api_v1_webhooks'>;
export type DeleteWebhookResult = ResponseOf<'delete_api_v1_webhooks__webhook_id_'>;
export type WebhookTestResult = ResponseOf<'post_api_v1_webhooks__webhook_id__test'>;
export type WebhookDeliveries = ResponseOf<'get_api_v1_webhooks__webhook_id__deliveries'>;

/** The machine and the training API; {@link VireoClient.monitor} has them. */
export class MonitorSurface {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** CPU (per core), memory, disk of the data directory and GPUs, measured now. */
  resources(options?: RequestOptions): Promise<Resources> {
    return this.transport.call('get_api_v1_monitor_resources', {}, options);
  }

  /** The training API's health (`healthy` or `degraded`, a 503 that is an answer); no key needed. */
  health(options?: RequestOptions): Promise<TrainingHealth> {
    return this.transport.call('get_api_v1_health', {}, options);
  }
}

/** Alerts and alert rules; {@link VireoClient.alerts} has them. */
export class AlertsSurface {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** Alerts raised (`status`, `severity`). */
  list(params: ListAlertsParams = {}, options?: RequestOptions): Promise<AlertList> {
    return this.transport.call('get_api_v1_alerts', { query: params }, options);
  }

  /** Marks an active alert acknowledged (409 `CONFLICT` when it is not active). */
  acknowledge(alertId: string, params: AcknowledgeAlertParams, options?: RequestOptions): Promise<AcknowledgedAlert> {
    return this.transport.call('post_api_v1_alerts__alert_id__acknowledge', { path: { alert_id: alertId }, body: params }, options);
  }

  /** The rules. */
  rules(options?: RequestOptions): Promise<AlertRuleList> {
    return this.transport.call('get_api_v1_alerts_rules', {}, options);
  }

  /** A rule: a `metric` (a resource or a training metric), a `condition`, a `threshold`, a `severity`. */
  createRule(params: CreateAlertRuleParams, options?: RequestOptions): Promise<AlertRule> {
    return this.transport.call('post_api_v1_alerts_rules', { body: params }, options);
  }

  deleteRule(ruleId: string, options?: RequestOptions): Promise<DeleteAlertRuleResult> {
    return this.transport.call('delete_api_v1_alerts_rules__rule_id_', { path: { rule_id: ruleId } }, options);
  }
}

/** Notifications; {@link VireoClient.notifications} has them. */
export class NotificationsSurface {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** Notifications, newest first (`type`, `priority`, `unread`, `limit`). */
  list(params: ListNotificationsParams = {}, options?: RequestOptions): Promise<NotificationList> {
    return this.transport.call('get_api_v1_notifications', { query: params }, options);
  }

  markRead(notificationId: string, options?: RequestOptions): Promise<ReadNotificationResult> {
    return this.transport.call('post_api_v1_notifications__notification_id__read', { path: { notification_id: notificationId } }, options);
  }

  /** Deletes every notification. */
  clear(options?: RequestOptions): Promise<ClearNotificationsResult> {
    return this.transport.call('delete_api_v1_notifications', {}, options);
  }
}

/** Webhooks; {@link VireoClient.webhooks} has them. */
export class WebhooksSurface {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** Registers a URL for `events` (`training_completed`, `alert_triggered` …, `*`), signed with `secret` when given. */
  create(params: CreateWebhookParams, options?: RequestOptions): Promise<Webhook> {
    return this.transport.call('post_api_v1_webhooks', { body: params }, options);
  }

  list(options?: RequestOptions): Promise<WebhookList> {
    return this.transport.call('get_api_v1_webhooks', {}, options);
  }

  delete(webhookId: string, options?: RequestOptions): Promise<DeleteWebhookResult> {
    return this.transport.call('delete_api_v1_webhooks__webhook_id_', { path: { webhook_id: webhookId } }, options);
  }

  /** Sends a `test` event now and answers whether the receiver took it. */
  test(webhookId: string, options?: RequestOptions): Promise<WebhookTestResult> {
    return this.transport.call('post_api_v1_webhooks__webhook_id__test', { path: { webhook_id: webhookId } }, options);
  }

  /** Every delivery attempt: status code, latency, error. */
  deliveries(webhookId: string, options?: RequestOptions): Promise<WebhookDeliveries> {
    return this.transport.call('get_api_v1_webhooks__webhook_id__deliveries', { path: { webhook_id: webhookId } }, options);
  }
}
