// The pipelines surface's paged lists: `page` and `per_page` in, `X-Total-Count` and a
// `Link` header (rel first, prev, next, last) out. One page at a time, or every item as an
// async iterator that follows `rel="next"` until there is none.
import type { OperationId, Operations } from './generated/operations.js';
import type { RequestOptions, Transport } from './transport.js';

/** One page of a list, with what its headers said. */
export interface Page<T> {
  items: T[];
  /** Items in the whole list (`X-Total-Count`). */
  total: number | null;
  page: number | null;
  perPage: number | null;
  /** The query of the next page, from `Link: <…>; rel="next"`; null on the last page. */
  next: { page: number; per_page: number } | null;
}

/** How a paged list is read: a page's query, or for iterating, the page size. */
export interface PageParams {
  page?: number;
  per_page?: number;
}

/** Pages an iteration reads at most: a bound on a server that always links a next page. */
export const iteratedPagesMax = 100000;

type PagedOperation = {
  [K in OperationId]: Operations[K]['query'] extends PageParams ? K : never
}[OperationId];

/** Reads one page of operation `id`, its items under `key` of the body. */
export async function readPage<K extends PagedOperation, T>(transport: Transport, id: K, key: string,
  input: { path?: Operations[K]['path']; query?: Operations[K]['query'] }, options?: RequestOptions): Promise<Page<T>> {
  const { response, body } = await transport.callWithResponse(id, input, options);
  const headers = response.headers;
  return {
    items: ((body as unknown as Record<string, unknown>)[key] ?? []) as T[],
    total: numberHeader(headers.get('x-total-count')),
    page: numberHeader(headers.get('x-page')),
    perPage: numberHeader(headers.get('x-per-page')),
    next: nextPage(headers.get('link')),
  };
}

/** Every item of operation `id`'s list, page after page as the loop asks for them. */
export async function* iteratePages<K extends PagedOperation, T>(transport: Transport, id: K, key: string,
  input: { path?: Operations[K]['path']; query?: Operations[K]['query'] }, options?: RequestOptions): AsyncGenerator<T> {
  let query = input.query;
  for (let pages = 0; pages < iteratedPagesMax; pages += 1) {
    const page = await readPage<K, T>(transport, id, key, { ...input, query }, options);
    for (const item of page.items) yield item;
    if (page.next === null || page.items.length === 0) return;
    query = { ...(query ?? {}), ...page.next } as Operations[K]['query'];
  }
}

function numberHeader(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

/** The `page` and `per_page` of the `rel="next"` link of a `Link` header. */
export function nextPage(link: string | null): { page: number; per_page: number } | null {
  if (link === null) return null;
  for (const part of link.split(',')) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part.trim());
    if (!match) continue;
    const query = new URLSearchParams(match[1].split('?')[1] ?? '');
    const page = Number(query.get('page'));
    const perPage = Number(query.get('per_page'));
    if (Number.isInteger(page) && page > 0) return { page, per_page: Number.isInteger(perPage) && perPage > 0 ? perPage : 20 };
  }
  return null;
}
