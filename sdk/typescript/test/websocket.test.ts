// The client's side of WebSocket streams against a scripted server (node:http's upgrade event
// and hand-written frames): the jobs surface's /ws/jobs/{id}/logs, /ws/dashboard and
// /ws/nodes as docs/jobs.md describes them, the handshake tried again after the 307 a reused
// connection gets, an abnormal close, and aborting. The training stream's WebSocket runs
// against the real server in training.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type UpgradeSocket } from 'node:http';
import VireoClient, { type JobLogEvent } from '@vireo/sdk';
import { failure } from './fixtures.js';

const hasWebSocket = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
const webSocketGUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A server frame (unmasked, final) of `opcode` with `payload`. */
function frame(opcode: number, payload: Uint8Array): Uint8Array {
  const header = payload.length < 126 ? [0x80 | opcode, payload.length] : [0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff];
  const bytes = new Uint8Array(header.length + payload.length);
  bytes.set(header);
  bytes.set(payload, header.length);
  return bytes;
}
const text = (value: unknown) => frame(0x1, new TextEncoder().encode(JSON.stringify(value)));
const close = (code: number) => frame(0x8, new Uint8Array([code >> 8, code & 0xff]));

/** What each path does once upgraded. */
const scripts: Record<string, (socket: UpgradeSocket) => void> = {
  '/ws/jobs/mnist-1/logs': (socket) => {
    socket.write(text({ type: 'log', jobId: 'mnist-1', attempt: 1, lineNo: 1, stream: 'stdout', line: 'epoch 1/2', timestamp: 1796280000 }));
    socket.write(text({ type: 'log', jobId: 'mnist-1', attempt: 1, lineNo: 2, stream: 'stdout', line: 'epoch 2/2', timestamp: 1796280001 }));
    socket.write(text({ type: 'end', jobId: 'mnist-1', status: 'finished' }));
    socket.write(close(1000));
    socket.end();
  },
  '/ws/jobs/broken/logs': (socket) => {
    socket.write(text({ type: 'log', jobId: 'broken', attempt: 1, lineNo: 1, stream: 'stdout', line: 'one', timestamp: 1 }));
    socket.write(close(1011));
    socket.end();
  },
  '/ws/dashboard': (socket) => {
    socket.write(text({ type: 'dashboard', jobStats: { pending: 1, total: 1 }, activeNodes: 0 }));
    socket.write(text({ type: 'dashboard', jobStats: { pending: 0, running: 1, total: 1 }, activeNodes: 1 }));
  },
  '/ws/nodes': (socket) => {
    socket.write(text({ type: 'nodes', nodes: [{ nodeId: 'gpu-box-1', status: 'active', runningJobs: 1 }], count: 1 }));
  },
};

const upgrades: { path: string; apiKey: string | null; redirected: boolean }[] = [];
const sockets = new Set<UpgradeSocket>();
let redirectsLeft = 0;
let port = 0;
const server = createServer((_, response) => { response.writeHead(404).end(); });
server.on('upgrade', (request: IncomingMessage, socket: UpgradeSocket) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const redirected = redirectsLeft > 0;
  const apiKey = url.searchParams.get('api_key');
  url.searchParams.delete('api_key');
  upgrades.push({ path: url.pathname + url.search, apiKey, redirected });
  sockets.add(socket);
  socket.on('error', () => undefined);
  socket.on('close', () => sockets.delete(socket));
  // The client's close frame (opcode 8, masked) is answered with ours, ending the closing handshake.
  socket.on('data', (chunk) => { if (((chunk as Uint8Array)[0] & 0x0f) === 0x8) { socket.write(close(1000)); socket.end(); } });
  if (redirected) {
    redirectsLeft -= 1;
    socket.write(`HTTP/1.1 307 Temporary Redirect\r\nConnection: close\r\nLocation: ${request.url}\r\nContent-Length: 0\r\n\r\n`);
    socket.end();
    return;
  }
  const accept = createHash('sha1').update(String(request.headers['sec-websocket-key']) + webSocketGUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  scripts[url.pathname]?.(socket);
});

before(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => {
  port = (server.address() as { port: number }).port;
  resolve();
})));
after(() => {
  for (const socket of sockets) socket.destroy();
  server.closeAllConnections();
  server.close();
});

const client = () => new VireoClient({ baseUrl: `http://127.0.0.1:${port}/api/v1`, apiKey: 'ws-key' });

describe('jobs over WebSocket (scripted server)', () => {
  it('streamLogs yields the lines, then end, and sends tail and the key; a 307 handshake is tried again', async () => {
    if (!hasWebSocket) {
      await assert.rejects(client().jobs.streamLogs('mnist-1').next(), /no global WebSocket/);
      return;
    }
    upgrades.length = 0;
    redirectsLeft = 2;
    const events: JobLogEvent[] = [];
    for await (const event of client().jobs.streamLogs('mnist-1', { tail: 2 })) events.push(event);
    assert.deepEqual(events.map((event) => event.type === 'log' ? event.line : `end ${event.status}`), ['epoch 1/2', 'epoch 2/2', 'end finished']);
    assert.deepEqual(upgrades.map((upgrade) => upgrade.redirected), [true, true, false]);
    assert.deepEqual([upgrades[2].path, upgrades[2].apiKey], ['/ws/jobs/mnist-1/logs?tail=2', 'ws-key']);
  });

  it('an abnormal close fails with connection_error after the lines before it', async () => {
    if (!hasWebSocket) return assert.rejects(client().jobs.streamLogs('broken').next(), /no global WebSocket/);
    const lines: string[] = [];
    const error = await failure((async () => {
      for await (const event of client().jobs.streamLogs('broken')) if (event.type === 'log') lines.push(event.line);
    })());
    assert.deepEqual(lines, ['one']);
    assert.equal(error.code, 'connection_error');
    assert.match(error.message, /1011/);
  });

  it('watchDashboard and watchNodes follow until aborted or left', async () => {
    if (!hasWebSocket) return assert.rejects(client().jobs.watchNodes().next(), /no global WebSocket/);
    const controller = new AbortController();
    const running: number[] = [];
    const error = await failure((async () => {
      for await (const event of client().jobs.watchDashboard({ signal: controller.signal })) {
        running.push(event.jobStats.running ?? 0);
        if (running.length === 2) controller.abort();
      }
    })());
    assert.equal(error.code, 'aborted');
    assert.deepEqual(running, [0, 1]);
    for await (const event of client().jobs.watchNodes()) {
      assert.deepEqual([event.count, event.nodes[0].nodeId], [1, 'gpu-box-1']);
      break;
    }
  });

  it('a handshake refused every time fails with connection_error', async () => {
    if (!hasWebSocket) return;
    redirectsLeft = 100;
    const error = await failure(client().jobs.streamLogs('mnist-1').next());
    redirectsLeft = 0;
    assert.equal(error.code, 'connection_error');
  });
});
