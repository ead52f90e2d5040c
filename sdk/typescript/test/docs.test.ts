// What the README shows, and the example app, run as written against a live server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useServer } from './live.js';
import { addAdmin, admin, connectorRoot, trainingConfigs } from './fixtures.js';

// The training configs (train.yaml, slow.yaml), a user and a connector root the examples use.
const live = useServer([], async (dataDir) => {
  addAdmin(dataDir);
  return [...await trainingConfigs(dataDir), ...await connectorRoot(dataDir)];
});
const packageDir = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a module with node, in the package (so `@vireo/sdk` resolves to its build), with the server's address and key. */
function runNode(file: string) {
  const env = { ...process.env, VIREO_API_KEY: live.apiKey, VIREO_BASE_URL: live.baseUrl, VIREO_PASSWORD: admin.password };
  return spawnSync(process.execPath, [file], { cwd: packageDir, env, encoding: 'utf8', timeout: 30000 });
}

/** The code of a markdown page's ```ts blocks. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
}

describe('documentation', () => {
  it('every ts block of the README runs against the server', async () => {
    const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
    const blocks = tsBlocks(readme);
    assert.ok(blocks.length >= 2, 'the README has its examples');
    for (const [index, block] of blocks.entries()) {
      const file = join(packageDir, 'build', `readme-${index}.mjs`);
      await writeFile(file, block.replace(/http:\/\/localhost:8000/g, live.origin));
      const run = runNode(file);
      assert.equal(run.status, 0, `README block ${index + 1} failed:\n${block}\n${run.stderr}`);
    }
  });

  it('the ts blocks of docs/sdk.md run in order as one program', async () => {
    const page = await readFile(join(packageDir, '..', '..', 'docs', 'sdk.md'), 'utf8');
    const program = tsBlocks(page).join('\n');
    const file = join(packageDir, 'build', 'docs-sdk.mjs');
    await writeFile(file, program.replace(/http:\/\/localhost:8000/g, live.origin));
    const run = runNode(file);
    assert.equal(run.status, 0, `docs/sdk.md's examples failed:\n${run.stderr}`);
    assert.match(run.stdout, /The Thing 2 true/);
    assert.match(run.stdout, /422 validation_error rows\[0\]\.year/);
    assert.match(run.stdout, /completed 1/);
    assert.match(run.stdout, /volcanoes\.md true/);
    for (const expected of [/epoch 1 val_loss 1\.5\nepoch 2 val_loss 0\.75\nepoch 3 val_loss 0\.5\nsession completed/,
      /completed 2 \[ 2, 3 \]/, /\nstopped\n/, /weights\.bin 1024 64/, /206 bytes 1008-1023\/1024/, /healthy 1/,
      /\[ 'epoch 1\/1' \]/, /finished 1 1/, /admin@example\.com admin/, /succeeded 12 7/, /1 2 \{ page: 2, per_page: 1 \}/,
      /12 3 SELECT count/i, /\ntrue\n/, /404 NOT_FOUND/]) {
      assert.match(run.stdout, expected);
    }
  });

  it('the example app finds the nearest notes first', () => {
    const run = runNode('build/examples/search.js');
    assert.equal(run.status, 0, run.stderr);
    const texts = run.stdout.trim().split('\n').map((line) => line.replace(/^\S+ /, ''));
    assert.deepEqual(texts, ['a cat sleeps on the sofa', 'a kitten chases a ball']);
  });
});
