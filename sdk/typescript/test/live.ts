// One throwaway `vireo serve` per test file, started before its tests and stopped after.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, vireoBinary } from '../scripts/server.js';

/** The running server of this test file. */
export interface Live {
  origin: string;
  baseUrl: string;
  apiKey: string;
}

/**
 * Starts a server before this file's tests and checks it stops cleanly after them.
 * `prepare` runs on the data directory before the server starts (whatever it writes there
 * goes with it) and may answer more flags.
 */
export function useServer(extraArguments: string[] = [], prepare?: (dataDir: string) => void | string[] | Promise<void | string[]>): Live {
  const live: Live = { origin: '', baseUrl: '', apiKey: '' };
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  before(async () => {
    server = await startServer(vireoBinary(), extraArguments, { prepare });
    Object.assign(live, { origin: server.origin, baseUrl: server.baseUrl, apiKey: server.apiKey });
  });
  after(async () => {
    const code = await server?.stop();
    assert.equal(code, 0, `vireo serve exited with ${code} on SIGTERM:\n${server?.output()}`);
  });
  return live;
}
