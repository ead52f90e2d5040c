// What an upload may come from (a path, a Blob or File, text), shared by every surface that
// takes files: vector-store documents, training checkpoints.

/** What to upload: a file on disk (Node, Bun, Deno), a Blob or File, or text. */
export type UploadSource = { path: string } | { blob: Blob } | { text: string };

/** The source as a Blob with the name it goes under (`fallbackName` for text and nameless Blobs). */
export async function sourceBlob(source: UploadSource, fallbackName: string): Promise<{ blob: Blob; name: string }> {
  if ('text' in source) return { blob: new Blob([source.text]), name: fallbackName };
  if ('path' in source) return { blob: await readFileBlob(source.path), name: source.path.split(/[\\/]/).pop() || fallbackName };
  const named = source.blob as Blob & { name?: unknown };
  return { blob: source.blob, name: typeof named.name === 'string' && named.name !== '' ? named.name : fallbackName };
}

/** The file at `path` as a Blob, through the runtime's `node:fs` (Node, Bun and Deno have it). */
async function readFileBlob(path: string): Promise<Blob> {
  const fs = await import('node:fs/promises').catch(() => {
    throw new TypeError('uploading from a path needs node:fs (Node, Bun, Deno); pass { blob } or { text } elsewhere');
  });
  return new Blob([await fs.readFile(path)]);
}
