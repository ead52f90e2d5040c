// A small app: a table of short texts with embeddings, then the nearest ones to a query.
// Run: VIREO_BASE_URL=http://localhost:8000/api/v1 VIREO_API_KEY=… node build/examples/search.js
import VireoClient from '@vireo/sdk';

/** Toy three-dimensional embeddings; a real app would call an embedding model. */
const notes = [
  { text: 'a cat sleeps on the sofa', embedding: [0.9, 0.1, 0.0] },
  { text: 'a kitten chases a ball', embedding: [0.8, 0.3, 0.1] },
  { text: 'stock prices fell today', embedding: [0.0, 0.2, 0.9] },
];

async function main(): Promise<void> {
  const client = new VireoClient({ baseUrl: process.env.VIREO_BASE_URL, apiKey: process.env.VIREO_API_KEY });
  await client.createTable('notes', { columns: { text: 'string', embedding: 'vector(3)' }, vector_indexes: { embedding: 'cosine' } });
  try {
    await client.insertRows('notes', notes);
    const nearest = await client.search<{ text: string }>('notes', { vector: [1, 0.2, 0], k: 2, metric: 'cosine' });
    for (const { row, distance } of nearest.results) console.log(`${(distance ?? 0).toFixed(4)} ${row.text}`);
  } finally {
    await client.dropTable('notes');
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
