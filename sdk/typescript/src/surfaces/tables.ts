// The tables surface (seed 000): table management, rows, vector search and SQL, under
// /api/v1/tables… and /api/v1/query. Request and answer shapes are the generated ones.
import type * as T from '../generated/types.js';
import type { RequestOptions, Transport } from '../transport.js';

/** A row as the server answers it: column name → JSON value (vectors as number arrays). */
export type Row = Record<string, unknown>;
/** What describes a table: columns, indexes, row count. */
export type TableInfo = T.GetApiV1TablesNameResponse;
/** `createTable`'s second argument: `columns` (name → `string`, `int`, `float`, `bool`, `json`, `timestamp`, `vector(n)`) and `vector_indexes`. */
export type CreateTableParams = Omit<T.PostApiV1TablesBody, 'name'>;
export type DropTableResult = T.DeleteApiV1TablesNameResponse;
export type InsertResult = T.PostApiV1TablesNameRowsResponse;
export type DeleteRowResult = T.DeleteApiV1TablesNameRowsIdResponse;
export type SearchParams = T.PostApiV1TablesNameSearchBody;
export type QueryResult = T.PostApiV1QueryResponse;
/** A value a row filter compares with equality (`json` and vector columns cannot be filtered). */
export type FilterValue = string | number | boolean;

/** One page of rows, typed by the caller's row shape. */
export type RowPage<R extends Row = Row> = Omit<T.GetApiV1TablesNameRowsResponse, 'rows'> & { rows: R[] };
/** The neighbours of a search, nearest first. */
export type SearchResult<R extends Row = Row> = Omit<T.PostApiV1TablesNameSearchResponse, 'results'> & {
  /** `distance` with vector ranking; `score` with keyword (BM25) and hybrid ranking, which also gives each ranking's place. */
  results: { row: R; distance?: number; score?: number; keyword_rank?: number | null; vector_rank?: number | null }[];
};

/** Which rows, in which order: the rows route's query without the paging. */
export interface RowSelection {
  /** Column → value every returned row equals. */
  where?: Record<string, FilterValue>;
  /** Column to sort by (default `id`). */
  order_by?: string;
  order?: 'asc' | 'desc';
}

/** A page request: a selection plus `limit` (0–1000, default 100) and `offset`. */
export interface ListRowsParams extends RowSelection {
  limit?: number;
  offset?: number;
}

/** What `rows()` iterates: a selection, read `pageSize` rows a request (default and most 1000). */
export interface IterateRowsParams extends RowSelection {
  pageSize?: number;
}

/** Rows one insert request carries at most; `insertRows` splits bigger loads. */
export const insertBatchRowsMax = 1000;
/** Rows one page holds at most. */
export const pageRowsMax = 1000;

/** The tables surface's calls; {@link VireoClient} has them all. */
export class TablesSurface {
  /** @internal */
  constructor(protected readonly transport: Transport) {}

  /** The names of all tables. */
  listTables(options?: RequestOptions): Promise<string[]> {
    return this.transport.call('get_api_v1_tables', {}, options);
  }

  /** Creates a table; it gets an `id bigserial PRIMARY KEY` column besides `columns`. */
  createTable(name: string, params: CreateTableParams, options?: RequestOptions): Promise<TableInfo> {
    return this.transport.call('post_api_v1_tables', { body: { ...params, name } }, options);
  }

  /** A table's columns, indexes and row count. */
  getTable(name: string, options?: RequestOptions): Promise<TableInfo> {
    return this.transport.call('get_api_v1_tables__name_', { path: { name } }, options);
  }

  /** Drops a table and its indexes. */
  dropTable(name: string, options?: RequestOptions): Promise<DropTableResult> {
    return this.transport.call('delete_api_v1_tables__name_', { path: { name } }, options);
  }

  /**
   * Inserts rows, `batchSize` (at most 1000) a request; each request is all or nothing, so
   * when one fails the batches before it stay stored. Resolves to the count and every id.
   */
  async insertRows<R extends Row>(name: string, rows: readonly R[], params: { batchSize?: number } = {},
    options?: RequestOptions): Promise<InsertResult> {
    const batchSize = Math.min(Math.max(1, params.batchSize ?? insertBatchRowsMax), insertBatchRowsMax);
    const result: InsertResult = { count: 0, ids: [] };
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = await this.transport.call('post_api_v1_tables__name__rows',
        { path: { name }, body: { rows: rows.slice(start, start + batchSize) } }, options);
      result.count += batch.count;
      result.ids.push(...batch.ids);
    }
    return result;
  }

  /** One page of rows, with the total that match and whether more follow. */
  async listRows<R extends Row = Row>(name: string, params: ListRowsParams = {}, options?: RequestOptions): Promise<RowPage<R>> {
    const { where, ...query } = params;
    const extraQuery = Object.fromEntries(Object.entries(where ?? {}).map(([column, value]) => [column, String(value)]));
    const page = await this.transport.call('get_api_v1_tables__name__rows', { path: { name }, query, extraQuery }, options);
    return page as RowPage<R>;
  }

  /** Every selected row, reading page after page as the loop asks: `for await (const row of client.rows('t'))`. */
  async *rows<R extends Row = Row>(name: string, params: IterateRowsParams = {}, options?: RequestOptions): AsyncGenerator<R, void, undefined> {
    const { pageSize, ...selection } = params;
    const limit = Math.min(Math.max(1, pageSize ?? pageRowsMax), pageRowsMax);
    for (let offset = 0; ; offset += limit) {
      const page = await this.listRows<R>(name, { ...selection, limit, offset }, options);
      yield* page.rows;
      if (!page.has_more || page.rows.length === 0) return;
    }
  }

  /** One row by id; a missing one fails with code `row_not_found`. */
  async getRow<R extends Row = Row>(name: string, id: number, options?: RequestOptions): Promise<R> {
    return (await this.transport.call('get_api_v1_tables__name__rows__id_', { path: { name, id } }, options)) as R;
  }

  /** Changes the named columns of one row and resolves to the whole row. */
  async updateRow<R extends Row = Row>(name: string, id: number, changes: Partial<R>, options?: RequestOptions): Promise<R> {
    return (await this.transport.call('patch_api_v1_tables__name__rows__id_', { path: { name, id }, body: changes }, options)) as R;
  }

  /** Deletes one row. */
  deleteRow(name: string, id: number, options?: RequestOptions): Promise<DeleteRowResult> {
    return this.transport.call('delete_api_v1_tables__name__rows__id_', { path: { name, id } }, options);
  }

  /** The `k` best rows: nearest `vector` (inner_product distances are negated, so smaller is nearer), best by BM25 for `query`, or both fused (`ranking`). */
  async search<R extends Row = Row>(name: string, params: SearchParams, options?: RequestOptions): Promise<SearchResult<R>> {
    return (await this.transport.call('post_api_v1_tables__name__search', { path: { name }, body: params }, options)) as SearchResult<R>;
  }

  /** Runs one SQL statement with `$1`, `$2` … bound from `params`; rows come as arrays in column order. */
  query(sql: string, params: readonly unknown[] = [], options?: RequestOptions): Promise<QueryResult> {
    return this.transport.call('post_api_v1_query', { body: { sql, params: [...params] } }, options);
  }
}
