// The tables surface against a live `vireo serve`: every method, and errors carrying the
// server's codes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import VireoClient, { VireoClient as NamedClient, VireoError } from '@vireo/sdk';
import { useServer } from './live.js';

const live = useServer();
const client = () => new VireoClient({ baseUrl: live.baseUrl, apiKey: live.apiKey });

/** The VireoError `call` fails with; fails the test when it succeeds or throws something else. */
async function failure(call: () => Promise<unknown>): Promise<VireoError> {
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof VireoError, `expected a VireoError, got ${String(error)}`);
    return error;
  }
  return assert.fail('expected the call to fail');
}

describe('tables', () => {
  it('the default export and the named export are the same class', () => {
    assert.equal(VireoClient, NamedClient);
  });

  it('health and ready answer without a key', async () => {
    const anonymous = new VireoClient({ baseUrl: live.baseUrl });
    const health = await anonymous.health();
    assert.equal(health.status, 'ok');
    assert.equal(health.database.status, 'ok');
    assert.deepEqual(await anonymous.ready(), { status: 'ready' });
  });

  it('a base URL without /api/v1 reaches the same server', async () => {
    const rooted = new VireoClient({ baseUrl: live.origin + '/', apiKey: live.apiKey });
    assert.equal(rooted.baseUrl, live.origin);
    assert.ok(Array.isArray(await rooted.listTables()));
  });

  it('creates, describes, lists and drops a table', async () => {
    const vireo = client();
    const created = await vireo.createTable('people', { columns: { name: 'string', age: 'int', score: 'float' } });
    assert.equal(created.name, 'people');
    assert.deepEqual(created.columns.map((column) => `${column.name}:${column.type}`), ['id:int', 'name:string', 'age:int', 'score:float']);
    assert.equal(created.primary_key, 'id');
    assert.ok((await vireo.listTables()).includes('people'));
    assert.equal((await vireo.getTable('people')).row_count, 0);
    assert.deepEqual(await vireo.dropTable('people'), { name: 'people', dropped: true });
    assert.ok(!(await vireo.listTables()).includes('people'));
  });

  it('rows of every column type round-trip', async () => {
    const vireo = client();
    await vireo.createTable('kinds', { columns: { s: 'string', i: 'int', f: 'float', b: 'bool', j: 'json', t: 'timestamp', v: 'vector(3)' } });
    const row = { s: 'héllo "quoted"', i: 42, f: 2.5, b: true, j: { tags: ['a', 'b'], n: null }, t: '2024-01-02T03:04:05Z', v: [1, 0.5, -2] };
    const inserted = await vireo.insertRows('kinds', [row, { s: null }]);
    assert.deepEqual(inserted, { count: 2, ids: [1, 2] });
    assert.deepEqual(await vireo.getRow('kinds', 1), { id: 1, ...row });
    assert.deepEqual(await vireo.getRow('kinds', 2), { id: 2, s: null, i: null, f: null, b: null, j: null, t: null, v: null });
    assert.deepEqual(await vireo.updateRow('kinds', 1, { i: 43 }), { id: 1, ...row, i: 43 });
    assert.deepEqual(await vireo.deleteRow('kinds', 2), { id: 2, deleted: true });
    assert.equal((await failure(() => vireo.getRow('kinds', 2))).code, 'row_not_found');
  });

  it('inserts in batches and iterates every row through the pages', async () => {
    const vireo = client();
    await vireo.createTable('many', { columns: { n: 'int', parity: 'string' } });
    const rows = Array.from({ length: 2500 }, (_, n) => ({ n, parity: n % 2 === 0 ? 'even' : 'odd' }));
    const inserted = await vireo.insertRows('many', rows, { batchSize: 1000 });
    assert.equal(inserted.count, 2500);
    assert.deepEqual(inserted.ids, rows.map((_, index) => index + 1));
    const seen: number[] = [];
    for await (const row of vireo.rows<{ id: number; n: number }>('many', { pageSize: 300 })) seen.push(row.n);
    assert.deepEqual(seen, rows.map((row) => row.n));
    const odd: number[] = [];
    for await (const row of vireo.rows<{ n: number }>('many', { where: { parity: 'odd' }, order_by: 'n', order: 'desc', pageSize: 999 })) odd.push(row.n);
    assert.deepEqual(odd, rows.filter((row) => row.n % 2 === 1).map((row) => row.n).reverse());
  });

  it('lists one page with filters, total and has_more', async () => {
    const page = await client().listRows<{ n: number }>('many', { where: { parity: 'even', n: 10 } });
    assert.deepEqual(page.rows.map((row) => row.n), [10]);
    assert.equal(page.total, 1);
    const first = await client().listRows('many', { limit: 5, offset: 2495 });
    assert.deepEqual({ count: first.rows.length, total: first.total, has_more: first.has_more }, { count: 5, total: 2500, has_more: false });
  });

  it('search returns the nearest rows first', async () => {
    const vireo = client();
    await vireo.createTable('docs', { columns: { title: 'string', kind: 'string', embedding: 'vector(3)' }, vector_indexes: { embedding: 'cosine' } });
    await vireo.insertRows('docs', [
      { title: 'far', kind: 'a', embedding: [0, 0, 1] },
      { title: 'near', kind: 'a', embedding: [1, 0.1, 0] },
      { title: 'middle', kind: 'b', embedding: [1, 1, 0] },
    ]);
    const found = await vireo.search<{ title: string }>('docs', { vector: [1, 0, 0], k: 3, metric: 'cosine' });
    assert.deepEqual(found.results.map((result) => result.row.title), ['near', 'middle', 'far']);
    const distances = found.results.map((result) => result.distance ?? Number.NaN);
    assert.deepEqual(distances, [...distances].sort((a, b) => a - b));
    assert.equal(found.column, 'embedding');
    const filtered = await vireo.search<{ title: string; embedding: number[] }>('docs', { vector: [1, 0, 0], k: 3, filter: { kind: 'b' }, include_vectors: true });
    assert.deepEqual(filtered.results.map((result) => [result.row.title, result.row.embedding]), [['middle', [1, 1, 0]]]);
  });

  it('query runs SQL with parameters', async () => {
    const result = await client().query('SELECT title, embedding <-> $1 AS distance FROM docs WHERE kind = $2 ORDER BY distance', [[1, 0, 0], 'a']);
    assert.deepEqual(result.columns.map((column) => column.name), ['title', 'distance']);
    assert.deepEqual(result.rows.map((row) => row[0]), ['near', 'far']);
    assert.equal(result.row_count, 2);
    assert.equal(result.command, 'SELECT 2');
  });
});

describe('errors carry the server code', () => {
  it('an unknown table is a 404 table_not_found naming the field', async () => {
    const error = await failure(() => client().getTable('missing'));
    assert.deepEqual([error.status, error.code, error.field], [404, 'table_not_found', 'name']);
    assert.match(error.message, /missing/);
    assert.match(error.requestId ?? '', /^[0-9A-Fa-f-]{36}$/);
  });

  it('a bad column type is a 422 validation_error naming the column', async () => {
    const error = await failure(() => client().createTable('bad', { columns: { age: 'integer-ish' } }));
    assert.deepEqual([error.status, error.code, error.field], [422, 'validation_error', 'columns.age']);
  });

  it('a second table of the same name is a 409', async () => {
    const error = await failure(() => client().createTable('docs', { columns: {} }));
    assert.deepEqual([error.status, error.code], [409, 'duplicate_table']);
  });

  it('a syntax error carries its SQLSTATE', async () => {
    const error = await failure(() => client().query('SELEC 1'));
    assert.deepEqual([error.status, error.code, error.sqlstate], [400, 'syntax_error', '42601']);
  });

  it('a wrong key is a 401 unauthorized', async () => {
    const error = await failure(() => new VireoClient({ baseUrl: live.baseUrl, apiKey: 'wrong' }).listTables());
    assert.deepEqual([error.status, error.code], [401, 'unauthorized']);
  });

  it('the request id sent is the one the error carries', async () => {
    const error = await failure(() => client().getTable('missing', { headers: { 'X-Request-ID': 'sdk-test-1' } }));
    assert.equal(error.requestId, 'sdk-test-1');
  });
});
