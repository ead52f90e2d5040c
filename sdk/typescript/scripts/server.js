// A throwaway `vireo serve` for `make sdk` and the SDK's tests: a fresh data directory,
// free ports (127.0.0.1 only), a known API key; stop() sends SIGTERM and removes the data.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The API key the throwaway server accepts. */
export const testApiKey = 'sdk-test-key';
const startTimeoutMs = 60000;

/**
 * Starts `binary serve` and resolves once REST listens.
 * @param {string} binary path to the `vireo` executable
 * @param {string[]} [extraArguments] more flags for `vireo serve`
 * @param {{prepare?: (dataDir: string) => void | string[] | Promise<void | string[]>}} [hooks] `prepare` runs on the data directory before the server starts (`vireo user add`, files the flags name) and may answer more flags
 * @returns {Promise<{origin: string, baseUrl: string, apiKey: string, output: () => string, stop: () => Promise<number | null>}>}
 */
export async function startServer(binary, extraArguments = [], hooks = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'vireo-sdk-'));
  const preparedArguments = (await hooks.prepare?.(dataDir)) ?? [];
  const child = spawn(binary, ['serve', '--data', dataDir, '--pg-port', '0', '--http-port', '0', '--api-key', testApiKey, ...extraArguments, ...preparedArguments],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vireo serve did not listen within ${startTimeoutMs} ms:\n${output}`)), startTimeoutMs);
    const read = (chunk) => {
      output += chunk;
      const match = /REST listening on http:\/\/[\d.]+:(\d+)/.exec(output);
      if (match) { clearTimeout(timer); resolve(Number(match[1])); }
    };
    child.stdout.setEncoding('utf8').on('data', read);
    child.stderr.setEncoding('utf8').on('data', read);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    exited.then((code) => { clearTimeout(timer); reject(new Error(`vireo serve exited with ${code}:\n${output}`)); });
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    baseUrl: origin + '/api/v1',
    apiKey: testApiKey,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** The `vireo` binary the tests use: $VIREO_BIN, else the debug build of this checkout. */
export function vireoBinary() {
  return process.env.VIREO_BIN || new URL('../../../.build/debug/vireo', import.meta.url).pathname;
}
