import type * as T from './generated/types.js';
import { TablesSurface } from './surfaces/tables.js';
import { VectorStoresSurface } from './surfaces/vectorStores.js';
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

  /** A client for the server at `options.baseUrl` (default `http://localhost:8000/api/v1`). */
  constructor(options: ClientOptions = {}) {
    super(new Transport(options));
    this.vectorStores = new VectorStoresSurface(this.transport);
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
