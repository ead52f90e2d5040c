// Retries, timeouts and aborts, against a scripted HTTP server: a real `vireo serve` cannot
// be made to answer 503 or hang on demand.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { VireoClient, VireoError } from '@vireo/sdk';

interface Answer { status: number; headers?: Record<string, string>; body?: unknown; hang?: boolean }

/** The answers still to give, in order, and the requests seen ("METHOD path"). */
const script: Answer[] = [];
const seen: string[] = [];
let server: Server;
let baseUrl = '';

function envelope(code: string, message: string) {
  return { error: { code, message, field: null, sqlstate: null }, detail: message, request_id: 'stub-request' };
}

before(async () => {
  server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url} ${request.headers.authorization ?? '-'}`);
    const answer = script.shift() ?? { status: 500, body: envelope('internal_error', 'the script ran out') };
    if (answer.hang) return;
    response.writeHead(answer.status, { 'Content-Type': 'application/json', ...(answer.headers ?? {}) });
    response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/v1`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

function reset(...answers: Answer[]) {
  script.splice(0, script.length, ...answers);
  seen.splice(0, seen.length);
}

const client = (options: { timeoutMs?: number; maxRetries?: number } = {}) => new VireoClient({ baseUrl, apiKey: 'k', ...options });
const rateLimited: Answer = { status: 429, headers: { 'Retry-After': '0' }, body: envelope('rate_limited', 'slow down') };
const unavailable: Answer = { status: 503, headers: { 'Retry-After': '0' }, body: envelope('engine_unavailable', 'stopping') };

describe('transport', () => {
  it('sends the key as a bearer token to the path under the base URL', async () => {
    reset({ status: 200, body: ['a'] });
    assert.deepEqual(await client().listTables(), ['a']);
    assert.deepEqual(seen, ['GET /api/v1/tables Bearer k']);
  });

  it('retries a 429 after Retry-After, even for a POST', async () => {
    reset(rateLimited, { status: 200, body: { columns: [], rows: [], row_count: 0, command: 'SELECT 0' } });
    assert.equal((await client().query('SELECT 1')).command, 'SELECT 0');
    assert.equal(seen.length, 2);
  });

  it('retries a 503 of an idempotent call', async () => {
    reset(unavailable, unavailable, { status: 200, body: { name: 't', dropped: true } });
    assert.deepEqual(await client().dropTable('t'), { name: 't', dropped: true });
    assert.equal(seen.length, 3);
  });

  it('does not retry a 503 of a POST, and gives up after maxRetries', async () => {
    reset(unavailable, unavailable);
    await assert.rejects(client().query('SELECT 1'), (error: unknown) => error instanceof VireoError && error.code === 'engine_unavailable');
    assert.equal(seen.length, 1);
    reset(rateLimited, rateLimited, rateLimited);
    await assert.rejects(client({ maxRetries: 1 }).listTables(),
      (error: unknown) => error instanceof VireoError && error.status === 429 && error.retryAfterSeconds === 0);
    assert.equal(seen.length, 2);
  });

  it('a hanging server fails with code timeout', async () => {
    reset({ status: 200, hang: true });
    await assert.rejects(client({ timeoutMs: 50, maxRetries: 0 }).listTables(),
      (error: unknown) => error instanceof VireoError && error.code === 'timeout' && error.status === 0);
  });

  it('an aborted signal fails the call with code aborted', async () => {
    reset({ status: 200, hang: true });
    const controller = new AbortController();
    const call = client().listTables({ signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(call, (error: unknown) => error instanceof VireoError && error.code === 'aborted');
  });

  it('an error without the envelope still gives status and a code', async () => {
    reset({ status: 502, body: 'bad gateway' }, { status: 502, body: 'bad gateway' }, { status: 502, body: 'bad gateway' });
    await assert.rejects(client().listTables(), (error: unknown) => error instanceof VireoError && error.code === 'http_502' && error.status === 502);
  });

  it('a degraded health check is an answer, not an error', async () => {
    const degraded = { status: 'degraded', version: '0.1.0', database: { status: 'error', detail: 'closed' } };
    reset({ status: 503, body: degraded });
    assert.deepEqual(await client().health(), degraded);
    assert.equal(seen.length, 1);
  });

  it('an unreachable server fails with code connection_error', async () => {
    const nowhere = new VireoClient({ baseUrl: 'http://127.0.0.1:1/api/v1', maxRetries: 0 });
    await assert.rejects(nowhere.health(), (error: unknown) => error instanceof VireoError && error.code === 'connection_error');
  });
});
