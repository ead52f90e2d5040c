// The package as published: `npm pack` (no registry needed) carries the ESM build and its
// declarations, and package.json's exports point at files that are there.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('../../', import.meta.url));

it('npm pack holds the ESM build, its declarations and the README', async () => {
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--offline'], { cwd: packageDir, encoding: 'utf8' });
  assert.equal(pack.status, 0, pack.stderr);
  const files: string[] = JSON.parse(pack.stdout)[0].files.map((file: { path: string }) => file.path);
  const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'));
  const exported = [manifest.main, manifest.types, manifest.exports['.'].import, manifest.exports['.'].types];
  for (const path of [...exported.map((path: string) => path.replace(/^\.\//, '')), 'README.md', 'package.json', 'dist/surfaces/tables.d.ts']) {
    assert.ok(files.includes(path), `${path} is not in the package: ${files.join(', ')}`);
  }
  assert.ok(!files.some((path) => path.startsWith('src/') || path.startsWith('test/') || path.startsWith('build/')), files.join(', '));
  assert.deepEqual(manifest.dependencies ?? {}, {}, 'the SDK has no dependencies');
});
