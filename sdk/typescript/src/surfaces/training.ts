// The training surface (seed 002, docs/training.md): sessions, metrics and their live stream
// over Server-Sent Events or WebSocket, under /api/v1/training…, /api/v1/metrics… and
// /api/v1/sse|ws/training…. Request and answer shapes are the generated ones.
import { VireoError } from '../errors.js';
import { hasWebSocket, serverSentEvents, webSocketMessages } from '../streams.js';
import type { BodyOf, QueryOf, RequestOptions, ResponseOf, Transport } from '../transport.js';

/** A session: status (`created`, `running`, `stopped`, `completed`, `failed`), progress, latest metrics, config. */
export type TrainingSession = ResponseOf<'get_api_v1_training_sessions__session_id_'>;
export type CreateSessionParams = BodyOf<'post_api_v1_training_sessions'>;
export type ListSessionsParams = QueryOf<'get_api_v1_training_sessions'>;
export type SessionList = ResponseOf<'get_api_v1_training_sessions'>;
export type StartSessionResult = ResponseOf<'post_api_v1_training_sessions__session_id__start'>;
export type StopSessionResult = ResponseOf<'post_api_v1_training_sessions__session_id__stop'>;
export type DeleteSessionResult = ResponseOf<'delete_api_v1_training_sessions__session_id_'>;
/** One epoch's report: `epoch` and the numbers the program reported (the server adds `timestamp`). */
export type MetricReport = BodyOf<'post_api_v1_training_sessions__session_id__metrics'>;
export type ListMetricsParams = QueryOf<'get_api_v1_training_sessions__session_id__metrics'>;
export type SessionMetrics = ResponseOf<'get_api_v1_training_sessions__session_id__metrics'>;
export type MetricHistoryParams = QueryOf<'get_api_v1_metrics__session_id__history'>;
export type MetricHistory = ResponseOf<'get_api_v1_metrics__session_id__history'>;

/** A report as the live stream sends it: its sequence number `id`, `epoch` and the metrics. */
export interface MetricsEvent {
  type: 'metrics';
  id: number;
  epoch: number;
  [metric: string]: unknown;
}

/** The last event of a stream: the session ended. */
export interface StatusEvent {
  type: 'status';
  session_id: string;
  status: 'stopped' | 'completed' | 'failed';
  current_epoch: number;
  total_epochs: number;
  exit_code: number | null;
  error: string | null;
  completed_at: string | null;
}

export type TrainingStreamEvent = MetricsEvent | StatusEvent;

/** How to follow a session. */
export interface StreamMetricsOptions extends RequestOptions {
  /** `sse` (fetch), `websocket` (the platform's global WebSocket), or `auto`: WebSocket where there is one (default `sse`). */
  transport?: 'sse' | 'websocket' | 'auto';
  /** Only reports after this sequence number (an event's `id`), as after a reconnect. */
  lastEventId?: number;
  /** Reconnects (SSE) when the connection breaks before the session ended, from the last event seen (default 3). */
  reconnectsMax?: number;
}

const defaultReconnectsMax = 3;

/** Training sessions; {@link VireoClient.training} has them. */
export class TrainingSurface {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** Creates a session from a config file under the server's configs directory (`config_path`); it is `created`. */
  create(params: CreateSessionParams, options?: RequestOptions): Promise<TrainingSession> {
    return this.transport.call('post_api_v1_training_sessions', { body: params }, options);
  }

  /** Sessions, newest first (`limit`, `offset`, `status`). */
  list(params: ListSessionsParams = {}, options?: RequestOptions): Promise<SessionList> {
    return this.transport.call('get_api_v1_training_sessions', { query: params }, options);
  }

  /** One session: status, progress, latest metrics, exit code and error. */
  get(sessionId: string, options?: RequestOptions): Promise<TrainingSession> {
    return this.transport.call('get_api_v1_training_sessions__session_id_', { path: { session_id: sessionId } }, options);
  }

  /** Runs the session's program; a session runs once (409 `CONFLICT` otherwise). */
  start(sessionId: string, options?: RequestOptions): Promise<StartSessionResult> {
    return this.transport.call('post_api_v1_training_sessions__session_id__start', { path: { session_id: sessionId } }, options);
  }

  /** Stops a running session (SIGTERM to its program, SIGKILL after the grace period); it is `stopped` at once. */
  stop(sessionId: string, options?: RequestOptions): Promise<StopSessionResult> {
    return this.transport.call('post_api_v1_training_sessions__session_id__stop', { path: { session_id: sessionId } }, options);
  }

  /** Deletes a session that is not running, with its metrics, checkpoints and files. */
  delete(sessionId: string, options?: RequestOptions): Promise<DeleteSessionResult> {
    return this.transport.call('delete_api_v1_training_sessions__session_id_', { path: { session_id: sessionId } }, options);
  }

  /** The latest reports, oldest first (`limit`; `metric_name` keeps one metric beside epoch and timestamp). */
  metrics(sessionId: string, params: ListMetricsParams = {}, options?: RequestOptions): Promise<SessionMetrics> {
    return this.transport.call('get_api_v1_training_sessions__session_id__metrics', { path: { session_id: sessionId }, query: params }, options);
  }

  /** Reports an epoch's metrics, as a program may instead of printing a `VIREO_METRICS` line. */
  reportMetrics(sessionId: string, report: MetricReport, options?: RequestOptions): Promise<MetricReport> {
    return this.transport.call('post_api_v1_training_sessions__session_id__metrics', { path: { session_id: sessionId }, body: report }, options);
  }

  /** One metric's `values`, `epochs` and `timestamps` between `start_epoch` and `end_epoch`. */
  history(sessionId: string, params: MetricHistoryParams, options?: RequestOptions): Promise<MetricHistory> {
    return this.transport.call('get_api_v1_metrics__session_id__history', { path: { session_id: sessionId }, query: params }, options);
  }

  /**
   * The session's reports as they are written — those already written first — then its
   * final `status` event, after which the iteration ends. Breaking out of the loop or aborting
   * `signal` closes the connection.
   *
   * ```ts
   * for await (const event of client.training.streamMetrics(id)) {
   *   if (event.type === 'metrics') console.log(event.epoch, event.val_loss);
   * }
   * ```
   */
  streamMetrics(sessionId: string, options: StreamMetricsOptions = {}): AsyncGenerator<TrainingStreamEvent> {
    const useWebSocket = options.transport === 'websocket' || (options.transport === 'auto' && hasWebSocket());
    return useWebSocket ? this.overWebSocket(sessionId, options) : this.overServerSentEvents(sessionId, options);
  }

  private async *overServerSentEvents(sessionId: string, options: StreamMetricsOptions): AsyncGenerator<TrainingStreamEvent> {
    let lastEventId = options.lastEventId;
    const reconnectsMax = options.reconnectsMax ?? defaultReconnectsMax;
    for (let reconnects = 0; ; reconnects += 1) {
      const response = await this.transport.open('get_api_v1_sse_training__session_id_',
        { path: { session_id: sessionId }, query: lastEventId === undefined ? {} : { last_event_id: lastEventId } },
        { ...options, headers: { Accept: 'text/event-stream', ...(options.headers ?? {}) } });
      if (response.body === null) throw new VireoError({ status: response.status, code: 'invalid_response', message: 'the event stream has no body' });
      try {
        for await (const message of serverSentEvents(response.body, options.signal)) {
          const event = streamEvent(message.event, message.data, message.id);
          if (event === null) continue;
          if (event.type === 'metrics') lastEventId = event.id;
          yield event;
          if (event.type === 'status') return;
        }
      } catch (error) {
        if (!(error instanceof VireoError) || error.code !== 'connection_error' || reconnects >= reconnectsMax) throw error;
        continue;
      }
      if (reconnects >= reconnectsMax) {
        throw new VireoError({ status: 0, code: 'connection_error', message: `the stream of ${sessionId} ended before the session did` });
      }
    }
  }

  private async *overWebSocket(sessionId: string, options: StreamMetricsOptions): AsyncGenerator<TrainingStreamEvent> {
    const url = this.transport.webSocketUrl('/api/v1/ws/training/{session_id}', { path: { session_id: sessionId } });
    for await (const text of webSocketMessages(url, options.signal)) {
      const message = JSON.parse(text) as { type?: unknown };
      const event = streamEvent(String(message.type), text, null);
      if (event === null) continue;
      if (options.lastEventId !== undefined && event.type === 'metrics' && event.id <= options.lastEventId) continue;
      yield event;
      if (event.type === 'status') return;
    }
    throw new VireoError({ status: 0, code: 'connection_error', message: `the WebSocket of ${sessionId} closed before the session ended` });
  }
}

/** The event an SSE event or WebSocket message stands for; null for kinds this client does not know. */
function streamEvent(kind: string, data: string, id: string | null): TrainingStreamEvent | null {
  if (kind !== 'metrics' && kind !== 'status') return null;
  const fields = JSON.parse(data) as Record<string, unknown>;
  if (kind === 'status') return { ...fields, type: 'status' } as StatusEvent;
  return { ...fields, type: 'metrics', id: id === null ? Number(fields.id) : Number(id) } as MetricsEvent;
}
