// The jobs surface against a live `vireo serve` (hashing embedder for log search), with a
// fake compute node driven through the SDK's agent sub-client: register, poll, ack, fetch the
// script, stream logs, heartbeat, finish; then what a user sees, restart, cancel, delete.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import VireoClient from '@vireo/sdk';
import { useServer } from './live.js';
import { failure } from './fixtures.js';

const live = useServer(['--embedder', 'hashing']);
const client = () => new VireoClient({ baseUrl: live.baseUrl, apiKey: live.apiKey });

describe('jobs', () => {
  it('a job runs through a fake agent: poll, ack, script, logs, heartbeat, finish', async () => {
    const vireo = client();
    const job = await vireo.jobs.create({ jobId: 'sdk-mnist', datasetName: 'MNIST', datasetUrl: 'https://example.com/mnist', runtimeMinutesEstimate: 1 });
    assert.deepEqual([job.jobId, job.status], ['sdk-mnist', 'pending']);
    await vireo.jobs.uploadScript({ jobId: 'sdk-mnist', script: 'print("epoch 1/1")\n', entrypoint: 'train.py', outputFile: 'model.bin' });

    const agent = await vireo.jobs.registerNode({ nodeId: 'sdk-node', specs: { os: 'Linux' }, slots: 1 });
    assert.equal(agent.nodeId, 'sdk-node');
    assert.ok(agent.token.length > 0 && agent.leaseSeconds !== null);
    const polled = await agent.poll({ wait: 5 });
    assert.ok(polled.job !== null, 'the pending job was handed out');
    assert.equal(polled.job.jobId, 'sdk-mnist');
    const attempt = polled.job.attempt;
    assert.equal((await agent.ack('sdk-mnist', attempt)).status, 'running');
    const script = await agent.fetchScript('sdk-mnist');
    assert.deepEqual([script.entrypoint, script.outputFile, script.script], ['train.py', 'model.bin', 'print("epoch 1/1")\n']);
    await agent.streamLog({ jobId: 'sdk-mnist', attempt, lines: [
      { line: 'epoch 1/1', stream: 'stdout', lineNo: 1 },
      { line: 'RuntimeError: CUDA error: out of memory', stream: 'stderr', lineNo: 2 },
    ] });
    const beat = await agent.heartbeat({ usage: { cpu: 12 }, jobs: ['sdk-mnist'] });
    assert.deepEqual(beat.cancel, []);
    await agent.reportUsage({ jobId: 'sdk-mnist', cpuUsage: 50, ramUsage: 10 });
    const finished = await agent.finish({ jobId: 'sdk-mnist', attempt, status: 'finished', exitCode: 0, duration: 1.5, modelHash: 'ab'.repeat(32) });
    assert.equal(finished.status, 'finished');
    assert.equal((await failure(agent.finish({ jobId: 'sdk-mnist', attempt, status: 'finished', exitCode: 0 }))).status, 409);

    const logs = await vireo.jobs.logs('sdk-mnist', { limit: 5 });
    assert.deepEqual(logs.logs.map((line) => line.line), ['epoch 1/1', 'RuntimeError: CUDA error: out of memory']);
    const detail = await vireo.jobs.get('sdk-mnist');
    assert.equal(detail.modelHash, 'ab'.repeat(32));
    assert.ok(detail.provenance.length >= 3);
    assert.ok((await vireo.jobs.list({ status: 'finished' })).jobs.some((item) => item.jobId === 'sdk-mnist'));
    assert.ok((await vireo.jobs.dashboard()).jobStats.total >= 1);
    assert.equal((await vireo.jobs.health()).status, 'healthy');
    assert.ok((await vireo.jobs.nodes()).nodes.some((node) => node.nodeId === 'sdk-node'));

    // Lines are embedded in the background: wait for them to be searchable.
    let found = await vireo.jobs.searchLogs({ q: 'out of memory', jobId: 'sdk-mnist', limit: 1 });
    for (let polls = 0; polls < 200 && found.pending > 0; polls += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      found = await vireo.jobs.searchLogs({ q: 'out of memory', jobId: 'sdk-mnist', limit: 1 });
    }
    assert.equal(found.results[0]?.line, 'RuntimeError: CUDA error: out of memory');

    assert.equal((await vireo.jobs.restart('sdk-mnist')).status, 'pending');
    assert.equal((await vireo.jobs.cancel('sdk-mnist')).status, 'cancelled');
    await vireo.jobs.delete('sdk-mnist');
    assert.equal((await failure(vireo.jobs.get('sdk-mnist'))).code, 'not_found');
    const left = await agent.deregister();
    assert.equal(left.nodeId, 'sdk-node');
  });

  it('an agent from a saved token; release; a cancelled job is named in the heartbeat', async () => {
    const vireo = client();
    const registered = await vireo.jobs.registerNode({ nodeId: 'sdk-node-2', slots: 2 });
    const agent = vireo.jobs.agent(registered.nodeId, registered.token);
    await vireo.jobs.create({ jobId: 'sdk-release' });
    await vireo.jobs.uploadScript({ jobId: 'sdk-release', script: 'print(1)\n' });
    const polled = await agent.poll();
    assert.equal(polled.job?.jobId, 'sdk-release');
    assert.equal((await agent.release('sdk-release', polled.job?.attempt)).status, 'pending');
    const again = await agent.poll();
    await agent.ack('sdk-release', again.job?.attempt);
    await vireo.jobs.cancel('sdk-release');
    assert.deepEqual((await agent.heartbeat({ jobs: ['sdk-release'] })).cancel, ['sdk-release']);
    assert.deepEqual(await agent.poll(), { job: null });
  });

  it('errors: FastAPI details become codes, a 422 names its field, a bad token is a 401', async () => {
    const vireo = client();
    await vireo.jobs.create({ jobId: 'sdk-dup' });
    const duplicate = await failure(vireo.jobs.create({ jobId: 'sdk-dup' }));
    assert.deepEqual([duplicate.status, duplicate.code], [400, 'bad_request']);
    const invalid = await failure(vireo.jobs.create({ jobId: 'sdk-bad', runtimeMinutesEstimate: -1 }));
    assert.deepEqual([invalid.status, invalid.code, invalid.field], [422, 'validation_error', 'runtimeMinutesEstimate']);
    const stranger = vireo.jobs.agent('nobody', 'not-a-token');
    const refused = await failure(stranger.poll());
    assert.deepEqual([refused.status, refused.code], [401, 'unauthorized']);
    assert.equal((await failure(vireo.jobs.restart('sdk-dup'))).status, 400);
  });

  it('live sockets: a job log streams catch-up, then new lines, then its end; the dashboard sends a snapshot', async () => {
    const vireo = client();
    await vireo.jobs.create({ jobId: 'sdk-live' });
    await vireo.jobs.uploadScript({ jobId: 'sdk-live', script: 'print(1)\n' });
    const agent = await vireo.jobs.registerNode({ nodeId: 'sdk-live-node', slots: 1 });
    const polled = await agent.poll({ wait: 5 });
    const attempt = polled.job?.attempt;
    await agent.ack('sdk-live', attempt);
    await agent.streamLog({ jobId: 'sdk-live', attempt, lines: [{ line: 'first', stream: 'stdout', lineNo: 1 }] });

    const dashboard = vireo.jobs.watchDashboard();
    const snapshot = await dashboard.next();
    assert.equal(snapshot.value?.type, 'dashboard');
    await dashboard.return(undefined);

    const seen: string[] = [];
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), 20_000);
    const stream = (async () => {
      for await (const event of vireo.jobs.streamLogs('sdk-live', { tail: 10, signal: deadline.signal })) {
        seen.push(event.type === 'log' ? event.line : `end:${event.status}`);
        if (event.type === 'log' && event.line === 'first') {
          await agent.streamLog({ jobId: 'sdk-live', attempt, lines: [{ line: 'second', stream: 'stdout', lineNo: 2 }] });
        }
        if (event.type === 'log' && event.line === 'second') {
          await agent.finish({ jobId: 'sdk-live', attempt, status: 'finished', exitCode: 0 });
        }
      }
    })();
    await stream.finally(() => clearTimeout(timer));
    assert.deepEqual(seen, ['first', 'second', 'end:finished']);
  });
});
