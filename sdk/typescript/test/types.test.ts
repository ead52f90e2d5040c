// The generated types refuse what the server refuses. tsc checks this file: a line under
// `@ts-expect-error` that compiles fails the build, so these are tests at compile time.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import VireoClient, { type Schemas, type TableInfo } from '@vireo/sdk';

export function misuses(client: VireoClient): unknown[] {
  const info: Promise<Schemas.GetApiV1TablesNameResponse> = client.getTable('t');
  const sameInfo: Promise<TableInfo> = info;
  return [
    sameInfo,
    // @ts-expect-error metric is l2, cosine or inner_product
    client.search('t', { vector: [1], metric: 'euclid' }),
    // @ts-expect-error ranking is vector, keyword or hybrid
    client.search('t', { vector: [1], ranking: 'sideways' }),
    // @ts-expect-error the body is closed: no unknown fields
    client.createTable('t', { columns: {}, colums: {} }),
    // @ts-expect-error columns is required
    client.createTable('t', {}),
    // @ts-expect-error an index metric is l2, cosine or inner_product
    client.createTable('t', { columns: { v: 'vector(3)' }, vector_indexes: { v: 'dot' } }),
    // @ts-expect-error order is asc or desc
    client.listRows('t', { order: 'up' }),
    // @ts-expect-error where compares with strings, numbers and booleans only
    client.listRows('t', { where: { meta: { a: 1 } } }),
    // @ts-expect-error ids are numbers
    client.getRow('t', '1'),
    // @ts-expect-error a session comes from a config_path
    client.training.create({ session_name: 'x' }),
    // @ts-expect-error a session's status is one the server knows
    client.training.list({ status: 'paused' }),
    // @ts-expect-error a checkpoint's mode is min or max
    client.checkpoints.upload({ text: 'x' }, { session_id: 's', epoch: 1, mode: 'lowest' }),
    // @ts-expect-error an alert condition is one of the six
    client.alerts.createRule({ name: 'r', metric: 'cpu_percent', condition: 'above', threshold: 1 }),
    // @ts-expect-error a job's finish status is finished or failed
    client.jobs.agent('n', 't').finish({ jobId: 'j', status: 'done' }),
    // @ts-expect-error a connector type is one the server lists
    client.connectors.create({ name: 'c', type: 'oracle' }),
    // @ts-expect-error runs are filtered by a status the server knows
    client.pipelines.runs('p', { status: 'done' }),
  ];
}

it('the types refuse what the server refuses (checked by tsc when the tests compile)', () => {
  assert.equal(typeof misuses, 'function');
});
