// The pipelines surface against a live `vireo serve` with a user made by `vireo user add` and a
// CSV under the connector root: login, a refresh on 401 with rotation, logout; connectors,
// pipelines, runs and users paged through Link headers; profile, preview, storage advice,
// NL→SQL, metrics; and seed 001's error envelope.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import VireoClient, { type TokenPair } from '@vireo/sdk';
import { useServer } from './live.js';
import { addAdmin, admin, connectorRoot, failure } from './fixtures.js';

const { email, password } = admin;
const live = useServer(['--embedder', 'hashing'], async (dataDir) => {
  addAdmin(dataDir);
  return connectorRoot(dataDir);
});

/** A client with no API key, logged in as the user. */
async function loggedIn(onTokens?: (tokens: TokenPair | null) => void): Promise<VireoClient> {
  const vireo = new VireoClient({ baseUrl: live.baseUrl, onTokens });
  await vireo.auth.login(email, password);
  return vireo;
}

describe('authentication', () => {
  it('login sends the access token; logout revokes it and the client falls back to no key', async () => {
    const vireo = await loggedIn();
    assert.deepEqual(await vireo.auth.me().then((me) => [me.email, me.role]), [email, 'admin']);
    assert.ok(vireo.auth.tokens?.access_token);
    assert.deepEqual(await vireo.auth.logout(), { revoked: true });
    assert.equal(vireo.auth.tokens, null);
    assert.equal((await failure(vireo.auth.me())).status, 401);
    const wrong = await failure(new VireoClient({ baseUrl: live.baseUrl }).auth.login(email, 'not it'));
    assert.deepEqual([wrong.status, wrong.code], [401, 'INVALID_CREDENTIALS']);
  });

  it('a 401 refreshes once for calls that fail together, the new pair replaces the old, reuse is refused', async () => {
    const first = await loggedIn();
    const stale = first.auth.tokens as TokenPair;
    const seen: (TokenPair | null)[] = [];
    const vireo = new VireoClient({ baseUrl: live.baseUrl, tokens: { access_token: 'expired', refresh_token: stale.refresh_token },
      onTokens: (tokens) => seen.push(tokens) });
    const answers = await Promise.all([vireo.auth.me(), vireo.pipelines.list(), vireo.connectors.list()]);
    assert.equal(answers[0].email, email);
    assert.equal(seen.length, 1, 'one refresh for three calls');
    assert.notEqual(seen[0]?.refresh_token, stale.refresh_token, 'the refresh token rotated');
    assert.equal(vireo.auth.tokens, seen[0]);
    const pair = await vireo.auth.refresh();
    assert.notEqual(pair.refresh_token, seen[0]?.refresh_token);

    const replay = new VireoClient({ baseUrl: live.baseUrl, tokens: { access_token: 'expired', refresh_token: stale.refresh_token } });
    const reused = await failure(replay.auth.me());
    assert.deepEqual([reused.status, reused.code], [401, 'TOKEN_REUSED']);
    assert.equal(replay.auth.tokens, null, 'a failed refresh ends the login');
    assert.equal((await failure(vireo.auth.me())).status, 401, 'reuse revoked every token of the login');
  });
});

describe('connectors, pipelines, runs', () => {
  it('a CSV connector, a pipeline run to its end, its status, runs and metrics; pages over Link', async () => {
    const vireo = await loggedIn();
    const connector = await vireo.connectors.create({ name: 'exports', type: 'csv', config: { path: '.' } });
    assert.equal(connector.test_status, 'success');
    assert.equal((await vireo.connectors.get(connector.id)).id, connector.id);
    assert.equal((await vireo.connectors.test(connector.id)).test_status, 'success');
    const schema = await vireo.connectors.schema(connector.id);
    assert.deepEqual(schema.tables.map((table) => table.name), ['orders']);

    const pipeline = await vireo.pipelines.create({ name: 'big orders', definition: {
      source: { connector_id: connector.id, table: 'orders' },
      transforms: [{ name: 'big', sql: 'SELECT id, customer, amount FROM input WHERE amount >= :min' }],
      target: { connector_id: 'vireo', table: 'big_orders', mode: 'upsert', key: ['id'] },
      params: { min: 0 } } });
    assert.equal(pipeline.validation.status, 'passed');
    const run = await vireo.pipelines.run(pipeline.id, { params: { min: 300 }, async: false });
    assert.deepEqual([run.status, run.rows_read, run.rows_written], ['succeeded', 12, 7]);
    assert.equal((await vireo.pipelines.status(pipeline.id)).status, 'succeeded');
    assert.equal((await vireo.pipelines.getRun(pipeline.id, run.id)).id, run.id);
    await vireo.pipelines.run(pipeline.id, { async: false });
    await vireo.pipelines.run(pipeline.id, { async: false });

    const page = await vireo.pipelines.runs(pipeline.id, { per_page: 2 });
    assert.deepEqual([page.items.length, page.total, page.page, page.perPage], [2, 3, 1, 2]);
    assert.deepEqual(page.next, { page: 2, per_page: 2 });
    const last = await vireo.pipelines.runs(pipeline.id, { page: 2, per_page: 2 });
    assert.deepEqual([last.items.length, last.next], [1, null]);
    const every: string[] = [];
    for await (const item of vireo.pipelines.iterateRuns(pipeline.id, { per_page: 1 })) every.push(item.id);
    assert.equal(new Set(every).size, 3);
    assert.ok(every.includes(run.id));
    const succeeded = await vireo.pipelines.runs(pipeline.id, { status: 'succeeded' });
    assert.equal(succeeded.total, 3);

    const metrics = await vireo.pipelines.metrics({ metric: 'pipeline_executions', interval: 'hour', pipeline_id: pipeline.id });
    assert.equal(metrics.aggregates.total, 3);

    const deployed = await vireo.pipelines.deploy(pipeline.id, { schedule: '0 2 * * *', timezone: 'Europe/Berlin' });
    assert.equal(deployed.deployment?.schedule, "0 2 * * *");
    assert.ok(deployed.deployment?.next_run_at);
    await vireo.pipelines.undeploy(pipeline.id);
    const generated = await vireo.pipelines.generate({ description: 'Load orders from the exports csv where amount > 400 into vip_orders, upsert by id, every 15 minutes' });
    assert.equal(generated.suggested_schedule, '*/15 * * * *');

    const names: string[] = [];
    for await (const item of vireo.pipelines.iterate({ per_page: 1 })) names.push(item.name);
    assert.equal(names.length, 2);
    assert.equal((await vireo.pipelines.list({ per_page: 1 })).total, 2);
    assert.equal((await vireo.pipelines.get(pipeline.id)).name, 'big orders');
    await vireo.pipelines.delete(generated.id);
    assert.equal((await failure(vireo.pipelines.get(generated.id))).code, 'NOT_FOUND');

    const connectors = await vireo.connectors.list();
    assert.ok(connectors.items.some((item) => item.id === connector.id));
    const configured = await vireo.connectors.configure({ description: 'our CSV export of orders', hints: { path: 'orders.csv' } });
    assert.ok(configured);
    let count = 0;
    for await (const item of vireo.connectors.iterate({ per_page: 1 })) count += item.id ? 1 : 0;
    assert.ok(count >= 1);

    const profile = await vireo.data.profile({ source: connector.id, table: 'orders', sample_size: 100 });
    assert.equal(profile.row_count, 12);
    const preview = await vireo.data.preview({ source: connector.id, table: 'orders', limit: 2 });
    assert.equal(preview.rows.length, 2);
    const advice = await vireo.data.recommendStorage({ data_profile: { size_gb: 100, growth_rate: '10GB/month', access_pattern: 'write_heavy', query_types: ['analytical'] } });
    assert.ok(advice);
    const sql = await vireo.data.nlQuery({ question: 'How many big_orders are there?', translator: 'offline' });
    assert.match(sql.sql, /count/i);
    await vireo.connectors.delete(connector.id);
  });

  it('users page through Link too; errors carry code, field and request id', async () => {
    const vireo = await loggedIn();
    await vireo.users.create({ email: 'a@example.com', password: 'a long password', role: 'viewer' });
    const editor = await vireo.users.create({ email: 'b@example.com', password: 'a long password', role: 'editor' });
    const emails: string[] = [];
    for await (const user of vireo.users.iterate({ per_page: 2 })) emails.push(user.email);
    assert.deepEqual(emails.sort(), ['a@example.com', email, 'b@example.com'].sort());
    await vireo.users.delete(editor.id);
    assert.equal((await vireo.users.list()).total, 2);

    const invalid = await failure(vireo.pipelines.create({ name: 'broken', definition: {
      source: { connector_id: 'vireo', table: 'big_orders' },
      transforms: [{ name: 'bad', sql: 'SELECT nope FROM input' }],
      target: { connector_id: 'vireo', table: 'elsewhere' } } }));
    assert.deepEqual([invalid.status, invalid.code, invalid.field], [422, 'VALIDATION_ERROR', 'definition.transforms[0].sql']);
    assert.ok(invalid.sqlstate && invalid.requestId, JSON.stringify(invalid));
    const missing = await failure(vireo.pipelines.status('pipe_missing'));
    assert.deepEqual([missing.status, missing.code], [404, 'NOT_FOUND']);
  });
});
