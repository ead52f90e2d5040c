// What the live tests give their servers: a tiny trainer and its configs, a user made by
// `vireo user add`, and a CSV under a connector root.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VireoError } from '@vireo/sdk';
import { vireoBinary } from '../scripts/server.js';

/** A trainer that prints one VIREO_METRICS line an epoch, `sleep_seconds` (config) apart. */
const trainer = `import json, os, sys, time
config = json.load(open(os.environ["VIREO_SESSION_CONFIG"]))
for epoch in range(1, int(os.environ["VIREO_TOTAL_EPOCHS"]) + 1):
    time.sleep(config.get("sleep_seconds", 0.02))
    print("VIREO_METRICS " + json.dumps({"epoch": epoch, "train_loss": 1 / epoch, "val_loss": 1.5 / epoch}), flush=True)
`;

/**
 * A configs directory for `--training-configs`: `quick.yaml` and `train.yaml` (3 epochs),
 * `slow.yaml` (1000 epochs, 0.2 s each, for stopping), in the data directory; answers the flag.
 */
export async function trainingConfigs(dataDir: string): Promise<string[]> {
  const configs = join(dataDir, 'sdk-training-configs');
  await mkdir(configs);
  await writeFile(join(configs, 'tiny.py'), trainer);
  await writeFile(join(configs, 'quick.yaml'), 'command: python3 "$VIREO_CONFIG_DIR/tiny.py"\nepochs: 3\n');
  await writeFile(join(configs, 'train.yaml'), 'command: python3 "$VIREO_CONFIG_DIR/tiny.py"\nepochs: 3\n');
  await writeFile(join(configs, 'slow.yaml'), 'command: python3 "$VIREO_CONFIG_DIR/tiny.py"\nepochs: 1000\nsleep_seconds: 0.2\n');
  return ['--training-configs', configs];
}

/** The administrator `vireo user add` makes. */
export const admin = { email: 'admin@example.com', password: 'correct horse battery' };

/** Adds {@link admin} to the database in `dataDir`, before a server opens it. */
export function addAdmin(dataDir: string): void {
  const made = spawnSync(vireoBinary(), ['user', 'add', admin.email, '--role', 'admin', '--data', dataDir],
    { encoding: 'utf8', input: admin.password + '\n', timeout: 30000 });
  assert.equal(made.status, 0, `vireo user add failed:\n${made.stdout}${made.stderr}`);
}

/** Twelve orders, amounts 50 to 600. */
export const ordersCSV = 'id,customer,amount,created_at\n' + Array.from({ length: 12 }, (_, index) =>
  `${index + 1},customer ${index % 3},${(index + 1) * 50},2024-01-${String(index + 1).padStart(2, '0')}T00:00:00Z`).join('\n') + '\n';

/** A connector root holding `orders.csv`, in the data directory; answers the flag. */
export async function connectorRoot(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'sdk-connector-root');
  await mkdir(root);
  await writeFile(join(root, 'orders.csv'), ordersCSV);
  return ['--connector-root', root];
}

/** The VireoError `promise` fails with (the test fails when it resolves or fails otherwise). */
export async function failure(promise: Promise<unknown>): Promise<VireoError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  assert.ok(error instanceof VireoError, `expected a VireoError, got ${String(error)}`);
  return error;
}
