// The training surface against a live `vireo serve` running a tiny trainer (a Python script
// that prints one VIREO_METRICS line an epoch): sessions, metrics, the live stream over SSE
// and WebSocket with aborts, checkpoints with ranges, monitoring, alerts, notifications,
// webhooks against a local receiver, and the envelope's errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import VireoClient, { type TrainingStreamEvent } from '@vireo/sdk';
import { useServer } from './live.js';
import { trainingConfigs, failure } from './fixtures.js';

const live = useServer([], trainingConfigs);
const client = () => new VireoClient({ baseUrl: live.baseUrl, apiKey: live.apiKey });

/** Every event of a stream until it ends. */
async function collect(stream: AsyncIterable<TrainingStreamEvent>): Promise<TrainingStreamEvent[]> {
  const events: TrainingStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('training sessions', () => {
  it('create, start, stream over SSE to the end, then status, metrics, history, list, delete', async () => {
    const training = client().training;
    const session = await training.create({ config_path: 'quick.yaml', session_name: 'sdk-quick', tags: ['sdk'] });
    assert.equal(session.status, 'created');
    assert.equal((await training.start(session.session_id)).status, 'running');
    const events = await collect(training.streamMetrics(session.session_id));
    assert.deepEqual(events.map((event) => event.type), ['metrics', 'metrics', 'metrics', 'status']);
    const last = events[3];
    assert.ok(last.type === 'status' && last.status === 'completed', JSON.stringify(last));
    const first = events[0];
    assert.ok(first.type === 'metrics' && first.epoch === 1 && first.val_loss === 1.5 && first.id > 0, JSON.stringify(first));

    const done = await training.get(session.session_id);
    assert.equal(done.status, 'completed');
    assert.equal(done.current_epoch, 3);
    const metrics = await training.metrics(session.session_id, { metric_name: 'val_loss', limit: 2 });
    assert.deepEqual(metrics.metrics.map((report) => report.epoch), [2, 3]);
    const history = await training.history(session.session_id, { metric_name: 'train_loss', start_epoch: 2 });
    assert.deepEqual(history.epochs, [2, 3]);
    assert.deepEqual(history.values, [0.5, 1 / 3]);
    const listed = await training.list({ status: 'completed' });
    assert.ok(listed.sessions.some((item) => item.session_id === session.session_id));

    const resumed = await collect(training.streamMetrics(session.session_id, { lastEventId: (events[1] as { id: number }).id }));
    assert.deepEqual(resumed.map((event) => event.type === 'metrics' ? event.epoch : event.status), [3, 'completed']);
    await training.delete(session.session_id);
    assert.equal((await failure(training.get(session.session_id))).status, 404);
  });

  it('reportMetrics adds a report the stream and the metrics read', async () => {
    const training = client().training;
    const session = await training.create({ config_path: 'quick.yaml' });
    await training.reportMetrics(session.session_id, { epoch: 1, accuracy: 0.75 });
    const metrics = await training.metrics(session.session_id);
    assert.equal(metrics.metrics[0].accuracy, 0.75);
  });

  it('streams over the WebSocket where the platform has one, and says so where not', async () => {
    const training = client().training;
    const session = await training.create({ config_path: 'quick.yaml' });
    await training.start(session.session_id);
    if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function') {
      const events = await collect(training.streamMetrics(session.session_id, { transport: 'websocket' }));
      assert.deepEqual(events.map((event) => event.type === 'metrics' ? event.epoch : event.status), [1, 2, 3, 'completed']);
      const auto = await collect(training.streamMetrics(session.session_id, { transport: 'auto', lastEventId: (events[1] as { id: number }).id }));
      assert.deepEqual(auto.map((event) => event.type === 'metrics' ? event.epoch : event.status), [3, 'completed']);
    } else {
      await assert.rejects(collect(training.streamMetrics(session.session_id, { transport: 'websocket' })), /no global WebSocket/);
      assert.equal((await collect(training.streamMetrics(session.session_id, { transport: 'auto' }))).length, 4);
    }
  });

  it('aborting the signal ends a live stream with code aborted; stop ends the session', async () => {
    const training = client().training;
    const session = await training.create({ config_path: 'slow.yaml' });
    await training.start(session.session_id);
    const controller = new AbortController();
    const seen: number[] = [];
    const error = await failure((async () => {
      for await (const event of training.streamMetrics(session.session_id, { signal: controller.signal })) {
        if (event.type === 'metrics') seen.push(event.epoch);
        if (seen.length === 2) controller.abort();
      }
    })());
    assert.equal(error.code, 'aborted');
    assert.deepEqual(seen, [1, 2]);
    if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function') {
      const socketController = new AbortController();
      const socketError = await failure((async () => {
        for await (const event of training.streamMetrics(session.session_id, { transport: 'websocket', signal: socketController.signal })) {
          if (event.type === 'metrics') socketController.abort();
        }
      })());
      assert.equal(socketError.code, 'aborted');
    }
    assert.equal((await training.stop(session.session_id)).status, 'stopped');
    const end = await collect(training.streamMetrics(session.session_id, { lastEventId: Number.MAX_SAFE_INTEGER }));
    assert.ok(end.length === 1 && end[0].type === 'status' && end[0].status === 'stopped', JSON.stringify(end));
  });

  it('errors carry the envelope: 404 NOT_FOUND, 422 with the field, 409 CONFLICT, 401 without a key', async () => {
    const training = client().training;
    const missing = await failure(training.get('sess_missing'));
    assert.deepEqual([missing.status, missing.code], [404, 'NOT_FOUND']);
    assert.ok(missing.requestId);
    const invalid = await failure(training.create({ config_path: '../etc/passwd.yaml' }));
    assert.deepEqual([invalid.status, invalid.code, invalid.field], [422, 'VALIDATION_ERROR', 'config_path']);
    const session = await training.create({ config_path: 'quick.yaml' });
    await training.start(session.session_id);
    const again = await failure(training.start(session.session_id));
    assert.deepEqual([again.status, again.code], [409, 'CONFLICT']);
    const anonymous = new VireoClient({ baseUrl: live.baseUrl });
    assert.equal((await failure(anonymous.training.list())).status, 401);
    assert.equal((await failure(collect(anonymous.training.streamMetrics(session.session_id)))).status, 401);
    await collect(training.streamMetrics(session.session_id));
  });
});

describe('checkpoints', () => {
  it('upload, list, get, download whole and by range, delete', async () => {
    const vireo = client();
    const session = await vireo.training.create({ config_path: 'quick.yaml' });
    const bytes = new TextEncoder().encode('0123456789abcdef'.repeat(64)); // 1 KiB
    const uploaded = await vireo.checkpoints.upload({ blob: new Blob([bytes]) },
      { session_id: session.session_id, epoch: 2, metrics: { val_loss: 0.3 }, filename: 'weights.bin' });
    const worse = await vireo.checkpoints.upload({ text: 'later' }, { session_id: session.session_id, epoch: 3, metrics: { val_loss: 0.9 } });
    const listed = await vireo.checkpoints.list({ session_id: session.session_id });
    assert.deepEqual(listed.checkpoints.map((item) => [item.checkpoint_id, item.is_best]).sort(),
      [[uploaded.checkpoint_id, true], [worse.checkpoint_id, false]].sort());
    const info = await vireo.checkpoints.get(uploaded.checkpoint_id);
    assert.equal(info.filename, 'weights.bin');

    const whole = await vireo.checkpoints.download(uploaded.checkpoint_id);
    assert.deepEqual([whole.status, whole.filename, whole.contentLength], [200, 'weights.bin', 1024]);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    assert.equal(whole.sha256, [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join(''));
    assert.deepEqual(new Uint8Array(await (await whole.blob()).arrayBuffer()), bytes);

    const part = await vireo.checkpoints.download(uploaded.checkpoint_id, { range: { start: 16, end: 19 } });
    assert.equal(part.status, 206);
    assert.equal(part.contentRange, 'bytes 16-19/1024');
    assert.equal(new TextDecoder().decode(await part.arrayBuffer()), '0123');
    const tail = await vireo.checkpoints.download(uploaded.checkpoint_id, { range: { suffix: 6 } });
    let streamed = '';
    for (const reader = tail.body.getReader(); ;) {
      const { value, done } = await reader.read();
      if (done) break;
      streamed += new TextDecoder().decode(value);
    }
    assert.equal(streamed, 'abcdef');
    assert.equal((await failure(vireo.checkpoints.download(uploaded.checkpoint_id, { range: { start: 5000 } }))).status, 416);

    await vireo.checkpoints.delete(uploaded.checkpoint_id);
    assert.equal((await failure(vireo.checkpoints.get(uploaded.checkpoint_id))).code, 'NOT_FOUND');
    const invalid = await failure(vireo.checkpoints.upload({ text: 'x' }, { session_id: session.session_id, epoch: -1 }));
    assert.deepEqual([invalid.status, invalid.field], [422, 'epoch']);
  });
});

describe('monitoring, alerts, notifications, webhooks', () => {
  it('resources and the training health', async () => {
    const vireo = client();
    const resources = await vireo.monitor.resources();
    assert.ok(Array.isArray(resources.gpu));
    const health = await new VireoClient({ baseUrl: live.baseUrl }).monitor.health();
    assert.equal(health.status, 'healthy');
  });

  it('a rule on a training metric raises an alert and a notification; acknowledge, read, clear', async () => {
    const vireo = client();
    const rule = await vireo.alerts.createRule({ name: 'loss too high', metric: 'val_loss', condition: 'greater_than', threshold: 1, severity: 'high' });
    assert.ok((await vireo.alerts.rules()).rules.some((item) => item.rule_id === rule.rule_id));
    const session = await vireo.training.create({ config_path: 'quick.yaml' });
    await vireo.training.reportMetrics(session.session_id, { epoch: 1, val_loss: 2 });
    // Rules are evaluated after the report commits, in the background: wait for the alert itself.
    let alert: Awaited<ReturnType<typeof vireo.alerts.list>>['alerts'][number] | undefined;
    for (let polls = 0; polls < 200 && alert === undefined; polls += 1) {
      alert = (await vireo.alerts.list({ status: 'active' })).alerts.find((item) => item.rule_id === rule.rule_id);
      if (alert === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(alert, 'no alert within 10 s');
    const acknowledged = await vireo.alerts.acknowledge(alert.alert_id, { acknowledged_by: 'sdk', notes: 'looking' });
    assert.equal(acknowledged.status, 'acknowledged');
    assert.equal((await failure(vireo.alerts.acknowledge(alert.alert_id, { acknowledged_by: 'sdk' }))).status, 409);
    await vireo.alerts.deleteRule(rule.rule_id);
    assert.ok(!(await vireo.alerts.rules()).rules.some((item) => item.rule_id === rule.rule_id));

    const notices = await vireo.notifications.list({ type: 'alert', unread: true });
    assert.ok(notices.notifications.length >= 1, JSON.stringify(notices));
    await vireo.notifications.markRead(notices.notifications[0].id);
    const read = await vireo.notifications.list({ type: 'alert', unread: false });
    assert.ok(read.notifications.some((item) => item.id === notices.notifications[0].id));
    assert.ok((await vireo.notifications.clear()).deleted >= 1);
    assert.equal((await vireo.notifications.list()).notifications.length, 0);
  });

  it('a webhook is tested against a receiver, its delivery recorded, then deleted', async () => {
    const received: { headers: Record<string, unknown>; body: string }[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => { body += new TextDecoder().decode(chunk); });
      request.on('end', () => { received.push({ headers: request.headers, body }); response.writeHead(200).end('ok'); });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const port = (receiver.address() as { port: number }).port;
      const vireo = client();
      const hook = await vireo.webhooks.create({ url: `http://127.0.0.1:${port}/hook`, events: ['training_completed'], secret: 's3cret' });
      assert.ok((await vireo.webhooks.list()).webhooks.some((item) => item.webhook_id === hook.webhook_id));
      const tested = await vireo.webhooks.test(hook.webhook_id);
      assert.equal(tested.success, true);
      assert.equal(received[0]?.headers['x-vireo-event'], 'test');
      assert.match(String(received[0]?.headers['x-vireo-signature']), /^sha256=[0-9a-f]{64}$/);
      // A session that completes is queued as a pending delivery, then sent in the background:
      // wait until the record says delivered (a pending row alone raced the receiver).
      const session = await vireo.training.create({ config_path: 'quick.yaml' });
      await vireo.training.start(session.session_id);
      let deliveries: { event?: string; status?: string }[] = [];
      const delivered = () => deliveries[0]?.status === 'delivered';
      for (let polls = 0; polls < 200 && !delivered(); polls += 1) {
        deliveries = (await vireo.webhooks.deliveries(hook.webhook_id)).deliveries as typeof deliveries;
        if (!delivered()) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(deliveries[0]?.event, 'training_completed', JSON.stringify(deliveries));
      assert.equal(deliveries[0]?.status, 'delivered', JSON.stringify(deliveries));
      assert.ok(received.some((delivery) => delivery.headers['x-vireo-event'] === 'training_completed'));
      await vireo.webhooks.delete(hook.webhook_id);
      assert.equal((await failure(vireo.webhooks.test(hook.webhook_id))).status, 404);
      const invalid = await failure(vireo.webhooks.create({ url: 'ftp://example.com', events: ['*'] }));
      assert.deepEqual([invalid.status, invalid.field], [422, 'url']);
    } finally {
      receiver.close();
    }
  });
});
