// Live streams as async iterators: Server-Sent Events read from a fetch body, and WebSocket
// text messages where the platform has a global WebSocket (browsers, Deno, Bun, Node 22+).
import { VireoError } from './errors.js';
import { abortedError } from './transport.js';

/** One Server-Sent Event: its `event` name (`message` by default), `data` and `id`. */
export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | null;
}

/** Bytes an event may take before the stream is refused as malformed (a bound on what is buffered). */
export const serverSentEventBytesMax = 1 << 20;

/**
 * The events of a `text/event-stream` body, as they arrive; comments (heartbeats) and `retry:`
 * are skipped. Ends when the body ends; aborting the request's signal ends it with `aborted`.
 */
export async function* serverSentEvents(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read().catch((error: unknown) => {
        throw signal?.aborted ? abortedError(error) : new VireoError({ status: 0, code: 'connection_error', message: `the stream broke: ${String(error)}`, cause: error });
      });
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event !== null) yield event;
      }
      if (buffer.length > serverSentEventBytesMax) {
        throw new VireoError({ status: 0, code: 'invalid_response', message: `an event is over ${serverSentEventBytesMax} bytes` });
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** One event's lines; null when it has no data (a comment, a `retry:`). */
function parseEvent(block: string): ServerSentEvent | null {
  let event = 'message';
  let id: string | null = null;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  return data.length === 0 ? null : { event, data: data.join('\n'), id };
}

/** Whether this platform has a global WebSocket. */
export function hasWebSocket(): boolean {
  return typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
}

/** Messages a WebSocket holds before the reader takes them; beyond, it is closed as too slow. */
export const webSocketQueueMessagesMax = 10000;
/**
 * Handshakes tried before giving up. Node's WebSocket (undici) sends the upgrade on an idle
 * keep-alive connection of fetch's pool when there is one, and the server (HummingbirdWebSocket)
 * upgrades only the first request of a connection: it answers a 307 to the same URL with
 * `Connection: close`, which WebSocket treats as a failure. Each such failure closes one pooled
 * connection, so trying again soon reaches a fresh one.
 */
export const webSocketHandshakesMax = 5;

/**
 * The text messages of a WebSocket to `url`, as they arrive. Ends at a normal close (1000);
 * another close, or failing to connect, fails with `connection_error`; the signal closes it.
 */
export async function* webSocketMessages(url: string, signal?: AbortSignal): AsyncGenerator<string> {
  if (!hasWebSocket()) {
    throw new TypeError('this platform has no global WebSocket (Node 22+, browsers, Deno, Bun have one; Node 20 with --experimental-websocket)');
  }
  for (let handshake = 1; ; handshake += 1) {
    if (signal?.aborted) throw abortedError();
    const socket = new QueuedSocket(url, signal);
    try {
      if (!(await socket.opened()) && handshake < webSocketHandshakesMax && !signal?.aborted) continue;
      for (;;) {
        const message = await socket.next();
        if (message === null) return;
        yield message;
      }
    } finally {
      socket.close();
    }
  }
}

/** A WebSocket whose messages wait in a bounded queue until read. */
class QueuedSocket {
  private readonly socket: WebSocket;
  private readonly queue: string[] = [];
  private ended: { error: VireoError | null } | null = null;
  private wasOpened = false;
  private wake: (() => void) | null = null;
  private readonly onAbort = () => { this.settle(abortedError()); this.close(); };

  constructor(url: string, private readonly signal?: AbortSignal) {
    const shown = url.replace(/api_key=[^&]*/, 'api_key=…');
    this.socket = new WebSocket(url);
    this.socket.onopen = () => { this.wasOpened = true; this.wake?.(); };
    this.socket.onmessage = (message: MessageEvent) => this.push(message.data);
    this.socket.onerror = () => this.settle(new VireoError({ status: 0, code: 'connection_error', message: `the WebSocket to ${shown} failed` }));
    this.socket.onclose = (close: CloseEvent) => this.settle(close.code === 1000 ? null
      : new VireoError({ status: 0, code: 'connection_error', message: `the WebSocket closed with ${close.code} ${close.reason}`.trim() }));
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Resolves true once open, false when it ended before opening (the handshake failed). */
  async opened(): Promise<boolean> {
    while (!this.wasOpened && this.ended === null) await this.sleep();
    return this.wasOpened;
  }

  /** The next message, null at a normal close; throws the error it ended with. */
  async next(): Promise<string | null> {
    for (;;) {
      if (this.queue.length > 0) return this.queue.shift() as string;
      if (this.ended !== null) {
        if (this.ended.error) throw this.ended.error;
        return null;
      }
      await this.sleep();
    }
  }

  close(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    if (this.socket.readyState === WebSocket.CONNECTING || this.socket.readyState === WebSocket.OPEN) this.socket.close(1000);
  }

  private push(data: unknown): void {
    if (typeof data !== 'string') return;
    if (this.queue.length >= webSocketQueueMessagesMax) {
      this.settle(new VireoError({ status: 0, code: 'connection_error', message: `over ${webSocketQueueMessagesMax} messages unread` }));
      this.close();
      return;
    }
    this.queue.push(data);
    this.wake?.();
  }

  private settle(error: VireoError | null): void {
    this.ended ??= { error };
    this.wake?.();
  }

  private sleep(): Promise<void> {
    return new Promise<void>((resolve) => { this.wake = () => { this.wake = null; resolve(); }; });
  }
}
