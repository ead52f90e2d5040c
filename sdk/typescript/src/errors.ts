/** Codes the client itself gives, when no answer came from the server. */
export type ClientErrorCode = 'timeout' | 'aborted' | 'connection_error' | 'invalid_response';

/**
 * Every failure of a call: an answer in the server's error envelope, or no usable answer
 * at all (then `status` is 0 and `code` one of {@link ClientErrorCode}).
 */
export class VireoError extends Error {
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  /** Stable and machine-readable: `validation_error`, `table_not_found`, `unique_violation`, `timeout` … */
  readonly code: string;
  /** The request field at fault (`name`, `columns.age`, `rows[2].embedding`, `limit`), when there is one. */
  readonly field: string | null;
  /** The PostgreSQL SQLSTATE when the engine raised the error. */
  readonly sqlstate: string | null;
  /** The server's request id (`X-Request-ID`), for matching its log lines. */
  readonly requestId: string | null;
  /** Seconds the server asked to wait before retrying (`Retry-After`), when it said. */
  readonly retryAfterSeconds: number | null;

  /** An error with these fields; `cause` is what failed underneath (a network error). */
  constructor(fields: { status: number; code: string; message: string; field?: string | null; sqlstate?: string | null;
    requestId?: string | null; retryAfterSeconds?: number | null; cause?: unknown }) {
    super(fields.message);
    this.name = 'VireoError';
    this.status = fields.status;
    this.code = fields.code;
    this.field = fields.field ?? null;
    this.sqlstate = fields.sqlstate ?? null;
    this.requestId = fields.requestId ?? null;
    this.retryAfterSeconds = fields.retryAfterSeconds ?? null;
    if (fields.cause !== undefined) (this as { cause?: unknown }).cause = fields.cause;
  }

  /**
   * The error an HTTP answer outside 2xx stands for, read from whichever envelope the surface
   * uses: `{"error": {code, message, field, sqlstate}, "request_id"}` (tables),
   * `{"error": {code, message, details: {field, sqlstate}, request_id}}` (training, pipelines),
   * `{"error": {message, type}}` (vector stores) or `{"detail": "…"}` (jobs).
   */
  static fromResponse(response: Response, body: unknown): VireoError {
    const read = readEnvelope(body, response.status);
    return new VireoError({
      status: response.status,
      code: read?.code ?? `http_${response.status}`,
      message: read?.message ?? (response.statusText || `HTTP ${response.status}`),
      field: read?.field,
      sqlstate: read?.sqlstate,
      requestId: read?.requestId ?? response.headers.get('x-request-id'),
      retryAfterSeconds: retryAfterSeconds(response.headers.get('retry-after')),
    });
  }
}

/** What an error envelope says, whichever surface's it is. */
interface EnvelopeFields {
  code: string;
  message: string;
  field?: string | null;
  sqlstate?: string | null;
  requestId?: string | null;
}

function readEnvelope(body: unknown, status: number): EnvelopeFields | null {
  if (typeof body !== 'object' || body === null) return null;
  const record = body as Record<string, unknown>;
  const error = record.error as Record<string, unknown> | undefined;
  if (typeof error !== 'object' || error === null || typeof error.message !== 'string') {
    return typeof record.detail === 'string' ? fastAPIError(record.detail, status) : null;
  }
  const details = (typeof error.details === 'object' && error.details !== null ? error.details : {}) as Record<string, unknown>;
  const code = typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : null;
  if (code === null) return null;
  return {
    code, message: error.message,
    field: stringOrNull(error.field) ?? stringOrNull(details.field),
    sqlstate: stringOrNull(error.sqlstate) ?? stringOrNull(details.sqlstate),
    requestId: stringOrNull(record.request_id) ?? stringOrNull(error.request_id),
  };
}

/** Codes for the jobs surface's `{"detail"}` answers, which carry none: by status. */
const codesByStatus: Record<number, string> = {
  400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict',
  413: 'payload_too_large', 422: 'validation_error', 429: 'rate_limited',
};

/** FastAPI's `{"detail": "…"}`: the code from the status; a 422's detail starts with the field (`datasetName: …`). */
function fastAPIError(detail: string, status: number): EnvelopeFields {
  const field = status === 422 ? /^([\w.\[\]]+): /.exec(detail)?.[1] ?? null : null;
  return { code: codesByStatus[status] ?? `http_${status}`, message: detail, field };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** `Retry-After` as seconds: a number of seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterSeconds(header: string | null): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}
