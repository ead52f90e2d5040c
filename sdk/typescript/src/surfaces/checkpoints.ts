// Training checkpoints (seed 002): multipart uploads, the list, and downloads as a stream or a
// Blob, whole or a byte range, under /api/v1/checkpoints….
import { sourceBlob, type UploadSource } from '../files.js';
import type { QueryOf, RequestOptions, ResponseOf, Transport } from '../transport.js';

export type Checkpoint = ResponseOf<'get_api_v1_checkpoints__checkpoint_id_'>;
export type CheckpointList = ResponseOf<'get_api_v1_checkpoints'>;
export type ListCheckpointsParams = QueryOf<'get_api_v1_checkpoints'>;
export type UploadedCheckpoint = ResponseOf<'post_api_v1_checkpoints'>;
export type DeleteCheckpointResult = ResponseOf<'delete_api_v1_checkpoints__checkpoint_id_'>;

/** The form fields of a checkpoint upload besides the file. */
export interface UploadCheckpointParams {
  session_id: string;
  epoch: number;
  /** The epoch's metrics; the best checkpoint of a session is picked by one of them. */
  metrics?: Record<string, unknown>;
  /** Which metric picks the best (default `val_loss` when reported, else the first number). */
  metric_name?: string;
  /** `min` or `max` (default: lowest wins for names with `loss` or `error`). */
  mode?: 'min' | 'max';
  /** The file's name (default: the path's or File's name, else `checkpoint.bin`). */
  filename?: string;
}

/** Which bytes to download: from `start` to `end` inclusive (`end` left out: to the end), or the last `suffix` bytes. */
export type ByteRange = { start: number; end?: number } | { suffix: number };

/** A download under way: what the headers said, and the body to read once, as a stream or at once. */
export interface CheckpointDownload {
  /** 200 for the whole file, 206 for a range. */
  status: number;
  /** The original file's name, from `Content-Disposition`. */
  filename: string | null;
  /** Bytes of this answer. */
  contentLength: number | null;
  /** `bytes a-b/size` for a range. */
  contentRange: string | null;
  /** The SHA-256 of the whole file, as hex. */
  sha256: string | null;
  /** The bytes as they arrive. */
  body: ReadableStream<Uint8Array>;
  /** The bytes at once. */
  blob(): Promise<Blob>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Checkpoints; {@link VireoClient.checkpoints} has them. */
export class CheckpointsSurface {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** Uploads a checkpoint file (a path, a Blob or File, or text) for a session's epoch. */
  async upload(source: UploadSource, params: UploadCheckpointParams, options?: RequestOptions): Promise<UploadedCheckpoint> {
    const { blob, name } = await sourceBlob(source, 'checkpoint.bin');
    const form = new FormData();
    form.append('session_id', params.session_id);
    form.append('epoch', String(params.epoch));
    if (params.metrics !== undefined) form.append('metrics', JSON.stringify(params.metrics));
    if (params.metric_name !== undefined) form.append('metric_name', params.metric_name);
    if (params.mode !== undefined) form.append('mode', params.mode);
    form.append('file', blob, params.filename ?? name);
    return this.transport.call('post_api_v1_checkpoints', { form }, options);
  }

  /** Checkpoints, newest first (`session_id`, `limit`), each with `is_best`. */
  list(params: ListCheckpointsParams = {}, options?: RequestOptions): Promise<CheckpointList> {
    return this.transport.call('get_api_v1_checkpoints', { query: params }, options);
  }

  /** One checkpoint's metadata. */
  get(checkpointId: string, options?: RequestOptions): Promise<Checkpoint> {
    return this.transport.call('get_api_v1_checkpoints__checkpoint_id_', { path: { checkpoint_id: checkpointId } }, options);
  }

  /** Deletes a checkpoint's row and bytes. */
  delete(checkpointId: string, options?: RequestOptions): Promise<DeleteCheckpointResult> {
    return this.transport.call('delete_api_v1_checkpoints__checkpoint_id_', { path: { checkpoint_id: checkpointId } }, options);
  }

  /**
   * Downloads a checkpoint, or the bytes of `range` (a range outside the file fails with 416).
   * Resolves once the headers came; read `body` as a stream, or call `blob()`.
   */
  async download(checkpointId: string, params: { range?: ByteRange } = {}, options: RequestOptions = {}): Promise<CheckpointDownload> {
    const headers = { Accept: '*/*', ...(params.range ? { Range: rangeHeader(params.range) } : {}), ...(options.headers ?? {}) };
    const response = await this.transport.open('get_api_v1_checkpoints__checkpoint_id__download',
      { path: { checkpoint_id: checkpointId } }, { ...options, headers });
    const length = response.headers.get('content-length');
    return {
      status: response.status,
      filename: dispositionFilename(response.headers.get('content-disposition')),
      contentLength: length === null ? null : Number(length),
      contentRange: response.headers.get('content-range'),
      sha256: response.headers.get('x-checksum-sha256'),
      body: response.body ?? new Blob([]).stream(),
      blob: () => response.blob(),
      arrayBuffer: () => response.arrayBuffer(),
    };
  }
}

function rangeHeader(range: ByteRange): string {
  if ('suffix' in range) return `bytes=-${range.suffix}`;
  return `bytes=${range.start}-${range.end ?? ''}`;
}

/** The name in `attachment; filename="x.npz"` (or `filename*=UTF-8''x.npz`). */
function dispositionFilename(header: string | null): string | null {
  if (header === null) return null;
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (encoded) return decodeURIComponent(encoded[1]);
  return /filename="?([^";]+)"?/i.exec(header)?.[1] ?? null;
}
