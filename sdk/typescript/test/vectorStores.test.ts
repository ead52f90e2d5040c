// The vector-store surface against a live `vireo serve` (hashing embedder): stores, uploads
// from a path, a Blob and a string, polling a large file until processed, search, errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import VireoClient, { VireoError } from '@vireo/sdk';
import { useServer } from './live.js';

const live = useServer(['--embedder', 'hashing']);
const client = () => new VireoClient({ baseUrl: live.baseUrl, apiKey: live.apiKey });

describe('vector stores', () => {
  it('create, get, list and delete a store', async () => {
    const stores = client().vectorStores;
    const store = await stores.create({ name: 'sdk-store', metadata: { team: 'docs' } });
    assert.equal(store.name, 'sdk-store');
    assert.equal((await stores.get(store.id)).id, store.id);
    const page = await stores.list({ limit: 100 });
    assert.ok(page.data.some((item) => item.id === store.id));
    assert.deepEqual(await stores.delete(store.id), { id: store.id, object: 'vector_store.deleted', deleted: true });
    const missing = await stores.get(store.id).then(() => null, (error: unknown) => error);
    assert.ok(missing instanceof VireoError && missing.status === 404, String(missing));
  });

  it('uploads from a path, a Blob and a string, then searches with a filter', async () => {
    const stores = client().vectorStores;
    const store = await stores.create({ name: 'sdk-uploads' });
    const directory = await mkdtemp(join(tmpdir(), 'vireo-sdk-'));
    try {
      const path = join(directory, 'volcanoes.md');
      await writeFile(path, 'Volcanoes erupt molten lava and ash when magma rises.');
      const fromPath = await stores.upload(store.id, { path }, { attributes: { source: 'disk' } });
      assert.equal(fromPath.filename, 'volcanoes.md');
      assert.equal(fromPath.status, 'completed');
      const fromBlob = await stores.upload(store.id, { blob: new Blob(['Knead the dough, then bake the bread.']) },
        { filename: 'bread.txt', attributes: { source: 'blob' } });
      assert.equal(fromBlob.filename, 'bread.txt');
      const fromText = await stores.upload(store.id, { text: 'The moon pulls the tides across the bay.' });
      assert.equal(fromText.filename, 'raw_text.txt');
      const found = await stores.search(store.id, { query: 'molten lava', max_results: 1 });
      assert.equal(found.data[0]?.filename, 'volcanoes.md');
      const filtered = await stores.search(store.id, { query: 'molten lava', filter: { source: 'blob' } });
      assert.deepEqual(filtered.data.map((hit) => hit.filename), ['bread.txt']);
      assert.equal((await stores.get(store.id)).file_counts.completed, 3);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('uploadAndPoll waits for a file processed in the background; chunking is sent along', async () => {
    const stores = client().vectorStores;
    const store = await stores.create({ name: 'sdk-large' });
    const text = 'Glaciers carve valleys slowly over many ages. '.repeat(1500); // over 50 KB
    const file = await stores.uploadAndPoll(store.id, { text }, { filename: 'glaciers.txt', intervalMs: 50,
      chunking: { maxChunkSizeTokens: 100, chunkOverlapTokens: 0 } });
    assert.equal(file.status, 'completed');
    const auto = await stores.uploadAndPoll(store.id, { text }, { filename: 'glaciers-auto.txt', intervalMs: 50 });
    assert.ok(file.chunk_count > auto.chunk_count, `100-token chunks: ${file.chunk_count}, default: ${auto.chunk_count}`);
  });

  it('a format the server does not take fails with its status and message', async () => {
    const stores = client().vectorStores;
    const store = await stores.create({ name: 'sdk-errors' });
    const error = await stores.upload(store.id, { blob: new Blob(['x']) }, { filename: 'image.png' }).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof VireoError, String(error));
    assert.equal(error.status, 400);
    assert.equal(error.code, 'validation_error');
    assert.match(error.message, /unsupported file type/);
  });
});
