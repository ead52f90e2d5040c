// The jobs surface (seed 003, docs/jobs.md): users create jobs and give them scripts, watch
// them and their nodes (/api/jobs/create, /api/frontend/…); compute nodes take and run them
// with a per-node token (/api/nodes/…, /api/jobs/poll …), which {@link JobAgent} speaks.
import { webSocketMessages } from '../streams.js';
import type { BodyOf, QueryOf, RequestOptions, ResponseOf, Transport } from '../transport.js';

/** A job as the server answers it: `jobId`, `status`, attempts, node, timings, `modelHash` … */
export type Job = ResponseOf<'post_api_jobs_create'>;
export type CreateJobParams = BodyOf<'post_api_jobs_create'>;
export type UploadScriptParams = BodyOf<'post_api_jobs_upload_script'>;
export type UploadScriptResult = ResponseOf<'post_api_jobs_upload_script'>;
export type ListJobsParams = QueryOf<'get_api_frontend_jobs'>;
export type JobList = ResponseOf<'get_api_frontend_jobs'>;
/** A job with its `logs` (last 1000 lines), `provenance` and `script`. */
export type JobDetail = ResponseOf<'get_api_frontend_jobs__job_id_'>;
export type DeleteJobResult = ResponseOf<'delete_api_frontend_jobs__job_id_'>;
export type JobLogs = ResponseOf<'get_api_frontend_logs__job_id_'>;
export type SearchLogsParams = QueryOf<'get_api_frontend_logs_search'>;
export type LogSearchResult = ResponseOf<'get_api_frontend_logs_search'>;
export type Dashboard = ResponseOf<'get_api_frontend_dashboard'>;
export type JobsHealth = ResponseOf<'get_api_frontend_system_health'>;
export type NodeList = ResponseOf<'get_api_frontend_nodes'>;
export type RegisterNodeParams = BodyOf<'post_api_nodes_register'>;
export type NodeRegistration = ResponseOf<'post_api_nodes_register'>;
export type PollResult = ResponseOf<'get_api_jobs_poll'>;
export type JobScript = ResponseOf<'get_api_jobs_fetch_script'>;
export type HeartbeatParams = BodyOf<'post_api_nodes_heartbeat'>;
export type HeartbeatResult = ResponseOf<'post_api_nodes_heartbeat'>;
export type StreamLogParams = BodyOf<'post_api_jobs_stream_log'>;
export type StreamLogResult = ResponseOf<'post_api_jobs_stream_log'>;
export type FinishJobParams = BodyOf<'post_api_jobs_finish'>;
export type UsageReportParams = BodyOf<'post_api_usage_report'>;
export type UsageReportResult = ResponseOf<'post_api_usage_report'>;
export type DeregisterResult = ResponseOf<'post_api_nodes_deregister'>;

/** A stored log line (the shape `jobs.logs` answers), as `/ws/jobs/{job_id}/logs` sends it. */
export type JobLogLine = JobLogs['logs'][number] & { type: 'log'; jobId: string };

/** The last message of a job's log stream: the job ended and every line was sent. */
export interface JobLogEnd {
  type: 'end';
  jobId: string;
  status: string;
}

export type JobLogEvent = JobLogLine | JobLogEnd;

/** The dashboard's figures, sent at once and whenever they change (`/ws/dashboard`). */
export interface DashboardEvent {
  type: 'dashboard';
  jobStats: Record<string, number>;
  activeNodes: number;
  [key: string]: unknown;
}

/** The nodes, sent at once and whenever they change (`/ws/nodes`). */
export interface NodesEvent {
  type: 'nodes';
  nodes: { nodeId: string; status: string; runningJobs: number; [key: string]: unknown }[];
  count: number;
}

/** What a live stream of the jobs surface takes. */
export interface JobStreamOptions {
  /** Closes the stream; the loop then fails with code `aborted`. */
  signal?: AbortSignal;
}

/** Jobs, their logs and the nodes, as a user sees them; {@link VireoClient.jobs} has them. */
export class JobsSurface {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** Creates a job (`jobId` chosen by the server when left out); it waits, pending, for a script. */
  create(params: CreateJobParams, options?: RequestOptions): Promise<Job> {
    return this.transport.call('post_api_jobs_create', { body: params }, options);
  }

  /** Gives a job its script (≤ 1 MiB), `requirements`, `entrypoint` (`train.py`) and `outputFile`. */
  uploadScript(params: UploadScriptParams, options?: RequestOptions): Promise<UploadScriptResult> {
    return this.transport.call('post_api_jobs_upload_script', { body: params }, options);
  }

  /** Jobs, newest first (`status`, `nodeId`, `limit`, `offset`). */
  list(params: ListJobsParams = {}, options?: RequestOptions): Promise<JobList> {
    return this.transport.call('get_api_frontend_jobs', { query: params }, options);
  }

  /** One job with its last log lines, provenance and script. */
  get(jobId: string, options?: RequestOptions): Promise<JobDetail> {
    return this.transport.call('get_api_frontend_jobs__job_id_', { path: { job_id: jobId } }, options);
  }

  /** Cancels a job not ended; the node running it is told to stop it. */
  cancel(jobId: string, options?: RequestOptions): Promise<Job> {
    return this.transport.call('post_api_frontend_jobs__job_id__cancel', { path: { job_id: jobId } }, options);
  }

  /** Puts a finished, failed or cancelled job back to pending (400 for a job not ended). */
  restart(jobId: string, options?: RequestOptions): Promise<Job> {
    return this.transport.call('post_api_frontend_jobs__job_id__restart', { path: { job_id: jobId } }, options);
  }

  /** Deletes a job with its script, logs and provenance. */
  delete(jobId: string, options?: RequestOptions): Promise<DeleteJobResult> {
    return this.transport.call('delete_api_frontend_jobs__job_id_', { path: { job_id: jobId } }, options);
  }

  /** A job's last `limit` log lines (1000), oldest first. */
  logs(jobId: string, params: { limit?: number } = {}, options?: RequestOptions): Promise<JobLogs> {
    return this.transport.call('get_api_frontend_logs__job_id_', { path: { job_id: jobId }, query: params }, options);
  }

  /** Log lines of every job (or `jobId`'s) by meaning, best first. */
  searchLogs(params: SearchLogsParams, options?: RequestOptions): Promise<LogSearchResult> {
    return this.transport.call('get_api_frontend_logs_search', { query: params }, options);
  }

  /** Jobs by status, active nodes, the ten latest jobs. */
  dashboard(options?: RequestOptions): Promise<Dashboard> {
    return this.transport.call('get_api_frontend_dashboard', {}, options);
  }

  /** The scheduler's health: database, active nodes, the queue. */
  health(options?: RequestOptions): Promise<JobsHealth> {
    return this.transport.call('get_api_frontend_system_health', {}, options);
  }

  /** The nodes with status, last seen, running jobs and specs. */
  nodes(options?: RequestOptions): Promise<NodeList> {
    return this.transport.call('get_api_frontend_nodes', {}, options);
  }

  /**
   * A job's log over the WebSocket `/ws/jobs/{job_id}/logs`: the last `tail` lines (100, at
   * most 1000), then each line as it is stored; when the job has ended and every line was
   * sent, an `end` event, after which the loop ends. Needs the platform's WebSocket.
   */
  async *streamLogs(jobId: string, params: { tail?: number } & JobStreamOptions = {}): AsyncGenerator<JobLogEvent> {
    const query = params.tail === undefined ? {} : { tail: params.tail };
    const url = this.transport.webSocketUrl('/ws/jobs/{job_id}/logs', { path: { job_id: jobId }, query });
    for await (const text of webSocketMessages(url, params.signal)) {
      const event = JSON.parse(text) as JobLogEvent;
      yield event;
      if (event.type === 'end') return;
    }
  }

  /** The dashboard's figures over the WebSocket `/ws/dashboard`, at once and on each change, until `signal` or leaving the loop closes it. */
  watchDashboard(options: JobStreamOptions = {}): AsyncGenerator<DashboardEvent> {
    return this.watch<DashboardEvent>('/ws/dashboard', options);
  }

  /** The nodes over the WebSocket `/ws/nodes`, at once and on each change. */
  watchNodes(options: JobStreamOptions = {}): AsyncGenerator<NodesEvent> {
    return this.watch<NodesEvent>('/ws/nodes', options);
  }

  private async *watch<E>(path: string, options: JobStreamOptions): AsyncGenerator<E> {
    for await (const text of webSocketMessages(this.transport.webSocketUrl(path), options.signal)) yield JSON.parse(text) as E;
  }

  /**
   * Registers a compute node with the API key and answers its agent, which holds the node's
   * token. Registering the same `nodeId` again issues a new token and puts back what it held.
   */
  async registerNode(params: RegisterNodeParams = {}, options?: RequestOptions): Promise<JobAgent> {
    const registration = await this.transport.call('post_api_nodes_register', { body: params }, options);
    return new JobAgent(this.transport, registration);
  }

  /** The agent of a node registered earlier, from its id and token. */
  agent(nodeId: string, token: string): JobAgent {
    return new JobAgent(this.transport, { nodeId, token });
  }
}

/**
 * A compute node's side of the jobs surface: every call carries the node's token
 * (`X-Node-Token`), not the API key, and reaches only the jobs this node holds.
 */
export class JobAgent {
  /** The node's id. */
  readonly nodeId: string;
  /** The node's token. */
  readonly token: string;
  /** The registration's lease and heartbeat periods, when this agent registered. */
  readonly leaseSeconds: number | null;
  readonly heartbeatSeconds: number | null;

  /** @internal */
  constructor(private readonly transport: Transport, registration: Partial<NodeRegistration> & { nodeId: string; token: string }) {
    this.nodeId = registration.nodeId;
    this.token = registration.token;
    this.leaseSeconds = registration.leaseSeconds ?? null;
    this.heartbeatSeconds = registration.heartbeatSeconds ?? null;
  }

  /** The oldest pending job with a script, now assigned to this node, or `{job: null}` after waiting up to `wait` seconds (≤ 30). */
  poll(params: { wait?: number } = {}, options?: RequestOptions): Promise<PollResult> {
    const waitMs = (params.wait ?? 0) * 1000;
    return this.transport.call('get_api_jobs_poll', { query: params }, this.withToken(options, waitMs));
  }

  /** Confirms an assignment: the job is running here. */
  ack(jobId: string, attempt?: number, options?: RequestOptions): Promise<Job> {
    return this.transport.call('post_api_jobs_ack', { body: { jobId, attempt } }, this.withToken(options));
  }

  /** The script of a job this node holds. */
  fetchScript(jobId: string, options?: RequestOptions): Promise<JobScript> {
    return this.transport.call('get_api_jobs_fetch_script', { query: { jobId } }, this.withToken(options));
  }

  /** Usage and the jobs running; answers the jobs to stop (`cancel`) and renews their leases. */
  heartbeat(params: HeartbeatParams = {}, options?: RequestOptions): Promise<HeartbeatResult> {
    return this.transport.call('post_api_nodes_heartbeat', { body: params }, this.withToken(options));
  }

  /** Appends log lines (`line`, or `lines` numbered by `lineNo` so a batch sent twice is stored once). */
  streamLog(params: StreamLogParams, options?: RequestOptions): Promise<StreamLogResult> {
    return this.transport.call('post_api_jobs_stream_log', { body: params }, this.withToken(options));
  }

  /** Ends the attempt: `finished` or `failed`, exit code, duration, `modelHash` (409 when already ended or the lease was lost). */
  finish(params: FinishJobParams, options?: RequestOptions): Promise<Job> {
    return this.transport.call('post_api_jobs_finish', { body: params }, this.withToken(options));
  }

  /** Gives a held job back untried (the node is stopping); not counted as an attempt. */
  release(jobId: string, attempt?: number, options?: RequestOptions): Promise<Job> {
    return this.transport.call('post_api_jobs_release', { body: { jobId, attempt } }, this.withToken(options));
  }

  /** CPU, RAM and GPU use, of a job or of the node. */
  reportUsage(params: UsageReportParams, options?: RequestOptions): Promise<UsageReportResult> {
    return this.transport.call('post_api_usage_report', { body: params }, this.withToken(options));
  }

  /** The node leaves: its token is revoked and what it held is put back. */
  deregister(options?: RequestOptions): Promise<DeregisterResult> {
    return this.transport.call('post_api_nodes_deregister', {}, this.withToken(options));
  }

  /** The options with the node's token; a long poll's wait is added to the timeout. */
  private withToken(options: RequestOptions = {}, waitMs = 0): RequestOptions {
    const timeoutMs = options.timeoutMs ?? (waitMs > 0 ? this.transport.timeoutMs + waitMs : undefined);
    return { ...options, timeoutMs, headers: { 'X-Node-Token': this.token, ...(options.headers ?? {}) } };
  }
}
