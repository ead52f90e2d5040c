import type { Error as ErrorEnvelope } from './generated/types.js';

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

  /** The error an HTTP answer outside 2xx stands for, read from its envelope when it has one. */
  static fromResponse(response: Response, body: unknown): VireoError {
    const envelope = isEnvelope(body) ? body : null;
    const vectorStoreError = envelope === null ? maiaError(body) : null;
    return new VireoError({
      status: response.status,
      code: envelope?.error.code ?? vectorStoreError?.type ?? `http_${response.status}`,
      message: envelope?.error.message ?? vectorStoreError?.message ?? (response.statusText || `HTTP ${response.status}`),
      field: envelope?.error.field,
      sqlstate: envelope?.error.sqlstate,
      requestId: envelope?.request_id ?? response.headers.get('x-request-id'),
      retryAfterSeconds: retryAfterSeconds(response.headers.get('retry-after')),
    });
  }
}

function isEnvelope(body: unknown): body is ErrorEnvelope {
  const error = (body as { error?: unknown } | null)?.error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

/** The vector-store surface's envelope, `{"error": {"message", "type", "code": status}}`: its `type` is the code. */
function maiaError(body: unknown): { message: string; type: string } | null {
  const error = (body as { error?: { message?: unknown; type?: unknown } } | null)?.error;
  return typeof error?.message === 'string' && typeof error.type === 'string' ? { message: error.message, type: error.type } : null;
}

/** `Retry-After` as seconds: a number of seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterSeconds(header: string | null): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}
