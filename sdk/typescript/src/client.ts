import type * as T from './generated/types.js';
import { TablesSurface } from './surfaces/tables.js';
import { VectorStoresSurface } from './surfaces/vectorStores.js';
import { TrainingSurface } from './surfaces/training.js';
import { CheckpointsSurface } from './surfaces/checkpoints.js';
import { AlertsSurface, MonitorSurface, NotificationsSurface, WebhooksSurface } from './surfaces/monitoring.js';
import { JobsSurface } from './surfaces/jobs.js';
import { AuthSurface, ConnectorsSurface, DataSurface, PipelinesSurface, UsersSurface } from './surfaces/pipelines.js';
import { Transport, type ClientOptions, type RequestOptions } from './transport.js';

/** The service's health: `ok`, or `degraded` when the engine cannot read the database. */
export type Health = T.GetHealthResponse;
/** Whether the server accepts work. */
export type Readiness = T.GetReadyResponse;

/**
 * A client of Vireo's REST API over the platform's fetch.
 *
 * ```ts
 * const client = new VireoClient({ baseUrl: 'http://localhost:8000/api/v1', apiKey });
 * await client.createTable('people', { columns: { name: 'string', age: 'int' } });
 * ```
 *
 * The tables surface's calls are its own methods; later surfaces come as properties.
 */
export class VireoClient extends TablesSurface {
  /** Vector stores (`/v1/vector_stores`): stores, uploads that poll until processed, search. */
  readonly vectorStores: VectorStoresSurface;
  /** Training sessions, their metrics and live stream (`/api/v1/training/…`). */
  readonly training: TrainingSurface;
  /** Training checkpoints: upload, list, download (`/api/v1/checkpoints`). */
  readonly checkpoints: CheckpointsSurface;
  /** Resources and the training API's health. */
  readonly monitor: MonitorSurface;
  /** Alerts and alert rules. */
  readonly alerts: AlertsSurface;
  /** Notifications of sessions that ended and alerts raised. */
  readonly notifications: NotificationsSurface;
  /** Webhooks for training and alert events. */
  readonly webhooks: WebhooksSurface;
  /** Jobs, their logs and nodes (`/api/jobs`, `/api/frontend`); `registerNode` gives a node's agent. */
  readonly jobs: JobsSurface;
  /** A login's tokens, refreshed on a 401 (`/api/v1/auth`). */
  readonly auth: AuthSurface;
  /** Users (administrators only). */
  readonly users: UsersSurface;
  /** Connectors to files and databases. */
  readonly connectors: ConnectorsSurface;
  /** Pipelines, runs, schedules and run metrics. */
  readonly pipelines: PipelinesSurface;
  /** Profile, preview, storage advice, natural language to SQL. */
  readonly data: DataSurface;

  /** A client for the server at `options.baseUrl` (default `http://localhost:8000/api/v1`). */
  constructor(options: ClientOptions = {}) {
    super(new Transport(options));
    const transport = this.transport;
    this.vectorStores = new VectorStoresSurface(transport);
    this.training = new TrainingSurface(transport);
    this.checkpoints = new CheckpointsSurface(transport);
    this.monitor = new MonitorSurface(transport);
    this.alerts = new AlertsSurface(transport);
    this.notifications = new NotificationsSurface(transport);
    this.webhooks = new WebhooksSurface(transport);
    this.jobs = new JobsSurface(transport);
    this.auth = new AuthSurface(transport);
    this.users = new UsersSurface(transport);
    this.connectors = new ConnectorsSurface(transport);
    this.pipelines = new PipelinesSurface(transport);
    this.data = new DataSurface(transport);
  }

  /** The server's root URL, which the document's paths start from. */
  get baseUrl(): string {
    return this.transport.root;
  }

  /** Health of the service and its database (`GET /health`, no key needed). */
  health(options?: RequestOptions): Promise<Health> {
    return this.transport.call('get_health', {}, options);
  }

  /** Whether the server accepts work (`GET /ready`, no key needed). */
  ready(options?: RequestOptions): Promise<Readiness> {
    return this.transport.call('get_ready', {}, options);
  }
}
