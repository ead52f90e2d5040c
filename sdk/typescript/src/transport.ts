import { VireoError } from './errors.js';
import { operations, type OperationId, type Operations } from './generated/operations.js';

/** How a client reaches the server. */
export interface ClientOptions {
  /** Where the API is: `http://localhost:8000/api/v1`, or the server's root `http://localhost:8000`. */
  baseUrl?: string;
  /** An API key, sent as `Authorization: Bearer …`. */
  apiKey?: string;
  /** How long one attempt may take before it fails with code `timeout` (default 60 s). */
  timeoutMs?: number;
  /** Retries after a 429, or a 502/503/504 or lost connection of an idempotent call (default 2). */
  maxRetries?: number;
  /** The longest wait between attempts, whatever `Retry-After` says (default 30 s). */
  retryDelayMaxMs?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** The fetch to use (default: the platform's). */
  fetch?: typeof fetch;
  /**
   * A login's token pair (pipelines surface), sent instead of the key; renewed once on a 401
   * through `/api/v1/auth/refresh`. `auth.login()` sets it too.
   */
  tokens?: TokenPair;
  /** Called with each new pair after a login or a refresh (to persist it), and with null when the login ended. */
  onTokens?: (tokens: TokenPair | null) => void;
}

/** The access and refresh tokens of a login. */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
}

/** An answer whose body the caller reads: a download, a stream, or a page with headers. */
export interface Exchange<B> {
  response: Response;
  body: B;
}

/** What each call may add. */
export interface RequestOptions {
  /** Cancels the call; it then fails with code `aborted`. */
  signal?: AbortSignal;
  /** This call's timeout, instead of the client's. */
  timeoutMs?: number;
  /** This call's retries, instead of the client's. */
  maxRetries?: number;
  /** Headers for this call (`X-Request-ID` to choose the request id). */
  headers?: Record<string, string>;
}

/** The inputs of one operation, typed by the operation table. */
export interface CallInput<K extends OperationId> {
  path?: Operations[K]['path'];
  query?: Operations[K]['query'];
  /** Query parameters the document does not declare (the rows route's column filters). */
  extraQuery?: Record<string, string>;
  body?: Operations[K]['body'];
  /** A multipart form instead of a JSON body (uploads); fetch writes its boundary. */
  form?: FormData;
}

const defaultBaseUrl = 'http://localhost:8000/api/v1';
const defaultTimeoutMs = 60000;
const defaultMaxRetries = 2;
const defaultRetryDelayMaxMs = 30000;
const retryDelayBaseMs = 250;
/** The prefix the seed's base URL carries; the document's paths start from the server's root. */
const apiPrefix = /\/api\/v1\/?$/;
const idempotentMethods = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const retriedServerStatuses = new Set([502, 503, 504]);
/** Operations a 401 of which must not start a refresh: they are the login's own. */
const tokenOperations = new Set<OperationId>(['post_api_v1_auth_login', 'post_api_v1_auth_refresh', 'post_api_v1_auth_logout']);

/** Whether an answer's body is read as JSON before resolving, or left to the caller. */
type BodyMode = 'json' | 'raw';

/** Sends operations of the table over fetch: URLs, the key, JSON, errors, retries and timeouts. */
export class Transport {
  readonly root: string;
  private readonly options: Required<Omit<ClientOptions, 'apiKey' | 'baseUrl' | 'tokens' | 'onTokens'>> & { apiKey?: string };
  private tokenPair: TokenPair | null;
  private readonly onTokens?: (tokens: TokenPair | null) => void;
  private refreshing: Promise<void> | null = null;

  constructor(options: ClientOptions = {}) {
    this.root = (options.baseUrl ?? defaultBaseUrl).replace(apiPrefix, '').replace(/\/+$/, '');
    const platformFetch = options.fetch ?? globalThis.fetch;
    if (typeof platformFetch !== 'function') throw new TypeError('no fetch: pass one in the options (Node 18+, Bun, Deno and browsers have it)');
    this.options = {
      apiKey: options.apiKey, timeoutMs: options.timeoutMs ?? defaultTimeoutMs, maxRetries: options.maxRetries ?? defaultMaxRetries,
      retryDelayMaxMs: options.retryDelayMaxMs ?? defaultRetryDelayMaxMs, headers: options.headers ?? {},
      fetch: (input, init) => platformFetch(input, init),
    };
    this.tokenPair = options.tokens ?? null;
    this.onTokens = options.onTokens;
  }

  /** The login's token pair, or null when calls carry the API key. */
  get tokens(): TokenPair | null {
    return this.tokenPair;
  }

  /** Keeps a new pair (a login, a refresh's rotation) or forgets it (a logout), and tells `onTokens`. */
  setTokens(tokens: TokenPair | null): void {
    this.tokenPair = tokens;
    this.onTokens?.(tokens);
  }

  /** The client's timeout of one attempt. */
  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /** What authenticates calls: the access token of a login, else the API key. */
  get credential(): string | undefined {
    return this.tokenPair?.access_token ?? this.options.apiKey;
  }

  /** Calls operation `id` and resolves to its answer's body. */
  async call<K extends OperationId>(id: K, input: CallInput<K> = {}, options: RequestOptions = {}): Promise<Operations[K]['response']> {
    return (await this.exchange(id, input, options, 'json')).body as Operations[K]['response'];
  }

  /** Calls operation `id` and resolves to its answer with the body read as JSON (for its headers too). */
  async callWithResponse<K extends OperationId>(id: K, input: CallInput<K> = {}, options: RequestOptions = {}): Promise<Exchange<Operations[K]['response']>> {
    return (await this.exchange(id, input, options, 'json')) as Exchange<Operations[K]['response']>;
  }

  /**
   * Calls operation `id` and resolves to its answer once the headers came, its body unread (a
   * download, an event stream). The timeout covers the headers; the caller's signal still
   * cancels reading the body.
   */
  async open<K extends OperationId>(id: K, input: CallInput<K> = {}, options: RequestOptions = {}): Promise<Response> {
    return (await this.exchange(id, input, options, 'raw')).response;
  }

  /**
   * One call with its retries; on a 401 while a login's tokens are held, the tokens are
   * refreshed once and the call made again with the new access token.
   */
  private async exchange(id: OperationId, input: CallInput<OperationId>, options: RequestOptions, mode: BodyMode): Promise<Exchange<unknown>> {
    const held = this.tokenPair;
    try {
      return await this.withRetries(id, input, options, mode);
    } catch (error) {
      if (!this.refreshes(error, id, held)) throw error;
      await this.refreshTokens(held as TokenPair, options);
      return await this.withRetries(id, input, options, mode);
    }
  }

  private async withRetries(id: OperationId, input: CallInput<OperationId>, options: RequestOptions, mode: BodyMode): Promise<Exchange<unknown>> {
    const operation = operations[id];
    const url = this.url(operation.path, input);
    const init = this.init(operation.method, operation.requiresKey, input.form ?? input.body, options);
    const retries = options.maxRetries ?? this.options.maxRetries;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.attempt(url, init, operation.otherStatuses, options, mode);
      } catch (error) {
        const delayMs = this.retryDelayMs(error, operation.method, attempt, retries);
        if (delayMs === null) throw error;
        await sleep(delayMs, options.signal);
      }
    }
  }

  /** Whether a failure is an expired access token that the held refresh token may renew. */
  private refreshes(error: unknown, id: OperationId, held: TokenPair | null): boolean {
    return error instanceof VireoError && error.status === 401 && held !== null
      && operations[id].requiresKey && !tokenOperations.has(id);
  }

  /**
   * Exchanges the refresh token for a new pair, once however many calls failed together.
   * When another call already renewed `used`, there is nothing to do; when the refresh fails
   * (expired, reused, revoked), the login is over: the tokens are dropped and its error thrown.
   */
  private async refreshTokens(used: TokenPair, options: RequestOptions): Promise<void> {
    if (this.tokenPair !== used) return this.refreshing ?? undefined;
    this.refreshing ??= (async () => {
      try {
        const pair = await this.call('post_api_v1_auth_refresh', { body: { refresh_token: used.refresh_token } }, { signal: options.signal });
        this.setTokens({ access_token: pair.access_token, refresh_token: pair.refresh_token });
      } catch (error) {
        if (error instanceof VireoError && error.status === 401) this.setTokens(null);
        throw error;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** The URL of `path` with its parameters filled in and the query appended. */
  url(path: string, input: { path?: object; query?: object; extraQuery?: Record<string, string> }): string {
    const values = (input.path ?? {}) as Record<string, unknown>;
    const filled = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      if (values[name] === undefined) throw new TypeError(`the path parameter ${name} is missing`);
      return encodeURIComponent(String(values[name]));
    });
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries({ ...(input.query ?? {}), ...(input.extraQuery ?? {}) })) {
      if (value !== undefined && value !== null) query.append(key, String(value));
    }
    const text = query.toString();
    return this.root + filled + (text ? '?' + text : '');
  }

  /**
   * The `ws:` (or `wss:`) URL of a WebSocket route, with the credential as `?api_key=`, since
   * WebSocket clients in browsers cannot send headers.
   */
  webSocketUrl(path: string, input: { path?: object; query?: object } = {}): string {
    const url = new URL(this.url(path, input));
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const credential = this.credential;
    if (credential) url.searchParams.set('api_key', credential);
    return url.toString();
  }

  private init(method: string, requiresKey: boolean, body: unknown, options: RequestOptions): RequestInit {
    const headers: Record<string, string> = { Accept: 'application/json', ...this.options.headers, ...(options.headers ?? {}) };
    const credential = this.credential;
    if (requiresKey && credential && headers.Authorization === undefined) headers.Authorization = `Bearer ${credential}`;
    if (body instanceof FormData) return { method, headers, body };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
  }

  /**
   * One attempt, under its own timeout and the caller's signal. `answerStatuses` are the
   * statuses besides 2xx whose body is the operation's answer, not an error (a probe's 503).
   */
  private async attempt(url: string, init: RequestInit, answerStatuses: readonly number[], options: RequestOptions, mode: BodyMode): Promise<Exchange<unknown>> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
    const abort = () => controller.abort();
    if (options.signal?.aborted) controller.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    let keepSignal = false;
    try {
      const response = await this.options.fetch(url, { ...init, signal: controller.signal });
      if (mode === 'raw' && response.ok) {
        keepSignal = true;
        return { response, body: undefined };
      }
      const body = await readBody(response);
      if (!response.ok && !answerStatuses.includes(response.status)) throw VireoError.fromResponse(response, body);
      return { response, body };
    } catch (error) {
      if (error instanceof VireoError) throw error;
      if (timedOut) throw new VireoError({ status: 0, code: 'timeout', message: `no answer within ${timeoutMs} ms`, cause: error });
      if (options.signal?.aborted) throw abortedError(error);
      throw new VireoError({ status: 0, code: 'connection_error', message: `could not reach ${this.root}: ${String(error)}`, cause: error });
    } finally {
      clearTimeout(timer);
      if (!keepSignal) options.signal?.removeEventListener('abort', abort);
    }
  }

  /**
   * How long to wait before the next attempt, or null not to retry. A 429 was refused before
   * any work, so every method retries it; a 502/503/504, a timeout or a lost connection may
   * follow work done, so only idempotent methods retry those.
   */
  private retryDelayMs(error: unknown, method: string, attempt: number, retries: number): number | null {
    if (!(error instanceof VireoError) || attempt >= retries) return null;
    const transient = error.status === 429
      || (idempotentMethods.has(method) && (retriedServerStatuses.has(error.status) || error.code === 'connection_error' || error.code === 'timeout'));
    if (!transient) return null;
    const backoffMs = retryDelayBaseMs * 2 ** attempt * (0.5 + Math.random() / 2);
    const askedMs = error.retryAfterSeconds === null ? backoffMs : error.retryAfterSeconds * 1000;
    return Math.min(askedMs, this.options.retryDelayMaxMs);
  }
}

/** The body as JSON; text when it is not JSON; null when empty. */
async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    if (!response.ok) return text;
    throw new VireoError({ status: response.status, code: 'invalid_response', message: 'the answer is not JSON',
      requestId: response.headers.get('x-request-id') });
  }
}

/** Resolves after `ms`, or fails with code `aborted` when `signal` fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(abortedError()); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error of a call its caller's signal cancelled. */
export function abortedError(cause?: unknown): VireoError {
  return new VireoError({ status: 0, code: 'aborted', message: 'the call was aborted', cause });
}

/** The path parameters of operation `K`, as the generated table types them. */
export type PathOf<K extends OperationId> = Operations[K]['path'];
/** The query of operation `K`. */
export type QueryOf<K extends OperationId> = Operations[K]['query'];
/** The JSON body of operation `K`. */
export type BodyOf<K extends OperationId> = Operations[K]['body'];
/** The answer of operation `K`. */
export type ResponseOf<K extends OperationId> = Operations[K]['response'];
