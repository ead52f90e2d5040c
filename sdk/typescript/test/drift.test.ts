// The committed src/generated/ must be exactly what the generator makes of the current
// server's /openapi.json; when this fails, run `make sdk` and commit the result.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useServer } from './live.js';

const live = useServer();
const packageDir = fileURLToPath(new URL('../../', import.meta.url));

it('the committed generated types are what the server document generates', async () => {
  const out = await mkdtemp(join(tmpdir(), 'vireo-sdk-drift-'));
  try {
    const run = spawnSync(process.execPath, ['scripts/generate.js', '--url', live.origin + '/openapi.json', '--out', out],
      { cwd: packageDir, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const committedDir = join(packageDir, 'src', 'generated');
    const [fresh, committed] = [(await readdir(out)).sort(), (await readdir(committedDir)).sort()];
    assert.deepEqual(committed, fresh, 'src/generated holds other files than the generator writes; run `make sdk`');
    for (const name of fresh) {
      const [expected, actual] = [await readFile(join(out, name), 'utf8'), await readFile(join(committedDir, name), 'utf8')];
      assert.ok(actual === expected, `src/generated/${name} differs from what the server's /openapi.json generates; run \`make sdk\`\n${firstDifference(actual, expected)}`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

/** The first line where the committed file and the fresh one part. */
function firstDifference(committed: string, fresh: string): string {
  const [a, b] = [committed.split('\n'), fresh.split('\n')];
  const line = a.findIndex((text, index) => text !== b[index]);
  const at = line === -1 ? a.length : line;
  return `line ${at + 1}:\n  committed: ${a[at] ?? '(end)'}\n  generated: ${b[at] ?? '(end)'}`;
}
