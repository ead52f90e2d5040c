// The vector-store surface (seed 004, MAIA): stores, files uploaded from a path, a Blob or a
// string, polling until processed, and search, under /v1/vector_stores…. Request and answer
// shapes are the generated ones; uploads go as multipart forms.
import type * as T from '../generated/types.js';
import { VireoError } from '../errors.js';
import { sleep, type RequestOptions, type Transport } from '../transport.js';
import { sourceBlob, type UploadSource } from '../files.js';

export type VectorStore = T.GetV1VectorStoresVectorStoreIdResponse;
export type VectorStoreList = T.GetV1VectorStoresResponse;
export type ListVectorStoresParams = T.GetV1VectorStoresQuery;
export type CreateVectorStoreParams = T.PostV1VectorStoresBody;
export type DeleteVectorStoreResult = T.DeleteV1VectorStoresVectorStoreIdResponse;
/** A file in a store: `status` in_progress, completed or failed, with its `chunk_count`. */
export type VectorStoreFile = T.PostV1VectorStoresVectorStoreIdFilesResponse;
export type VectorSearchParams = T.PostV1VectorStoresVectorStoreIdSearchBody;
export type VectorSearchResult = T.PostV1VectorStoresVectorStoreIdSearchResponse;

export type { UploadSource } from '../files.js';

/** How to upload. */
export interface UploadParams {
  /** The file's name, whose extension picks the format (default: the path's or File's name; `raw_text.txt` for text). */
  filename?: string;
  /** A JSON object attached to the file, which search filters can match. */
  attributes?: Record<string, unknown>;
  /** Chunk sizes instead of the embedder's best fit (100–4096 tokens, overlap at most half). */
  chunking?: { maxChunkSizeTokens: number; chunkOverlapTokens: number };
}

/** How to wait for processing. */
export interface PollParams {
  /** Between polls (default 500 ms). */
  intervalMs?: number;
  /** The longest wait before failing with code `timeout` (default 10 minutes). */
  timeoutMs?: number;
}

const defaultPollIntervalMs = 500;
const defaultPollTimeoutMs = 600000;

/** Stores, files and search on `/v1/vector_stores`; {@link VireoClient.vectorStores} has them. */
export class VectorStoresSurface {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** Creates a store. */
  create(params: CreateVectorStoreParams = {}, options?: RequestOptions): Promise<VectorStore> {
    return this.transport.call('post_v1_vector_stores', { body: params }, options);
  }

  /** One page of stores (`limit` 1–100, `offset`, `order`), with `has_more`. */
  list(params: ListVectorStoresParams = {}, options?: RequestOptions): Promise<VectorStoreList> {
    return this.transport.call('get_v1_vector_stores', { query: params }, options);
  }

  /** One store with its file counts. */
  get(storeId: string, options?: RequestOptions): Promise<VectorStore> {
    return this.transport.call('get_v1_vector_stores__vector_store_id_', { path: { vector_store_id: storeId } }, options);
  }

  /** Deletes a store with its files and chunks. */
  delete(storeId: string, options?: RequestOptions): Promise<DeleteVectorStoreResult> {
    return this.transport.call('delete_v1_vector_stores__vector_store_id_', { path: { vector_store_id: storeId } }, options);
  }

  /**
   * Uploads a document. Files up to 50 KB come back `completed`; larger ones `in_progress`
   * (see {@link uploadAndPoll}). A format the server does not take, an empty or unreadable
   * document fails with status 400.
   */
  async upload(storeId: string, source: UploadSource, params: UploadParams = {}, options?: RequestOptions): Promise<VectorStoreFile> {
    const form = new FormData();
    if ('text' in source) {
      form.append('text', source.text);
    } else {
      const { blob, name } = await sourceBlob(source, 'upload');
      form.append('file', blob, params.filename ?? name);
    }
    if (params.filename !== undefined) form.append('filename', params.filename);
    if (params.attributes !== undefined) form.append('attributes', JSON.stringify(params.attributes));
    if (params.chunking !== undefined) {
      form.append('chunking_strategy', JSON.stringify({ type: 'static', static: {
        max_chunk_size_tokens: params.chunking.maxChunkSizeTokens, chunk_overlap_tokens: params.chunking.chunkOverlapTokens } }));
    }
    return this.transport.call('post_v1_vector_stores__vector_store_id__files', { path: { vector_store_id: storeId }, form }, options);
  }

  /** A file's processing status. */
  getFile(storeId: string, fileId: string, options?: RequestOptions): Promise<VectorStoreFile> {
    return this.transport.call('get_v1_vector_stores__vector_store_id__files__file_id_',
      { path: { vector_store_id: storeId, file_id: fileId } }, options);
  }

  /** Polls a file until it is no longer `in_progress`; resolves to it, `completed` or `failed`. */
  async poll(storeId: string, fileId: string, params: PollParams = {}, options?: RequestOptions): Promise<VectorStoreFile> {
    const intervalMs = params.intervalMs ?? defaultPollIntervalMs;
    const deadline = Date.now() + (params.timeoutMs ?? defaultPollTimeoutMs);
    for (;;) {
      const file = await this.getFile(storeId, fileId, options);
      if (file.status !== 'in_progress') return file;
      if (Date.now() + intervalMs > deadline) {
        throw new VireoError({ status: 0, code: 'timeout', message: `file ${fileId} was still in progress after ${params.timeoutMs ?? defaultPollTimeoutMs} ms` });
      }
      await sleep(intervalMs, options?.signal);
    }
  }

  /** {@link upload}, then {@link poll} until the file is processed. */
  async uploadAndPoll(storeId: string, source: UploadSource, params: UploadParams & PollParams = {},
    options?: RequestOptions): Promise<VectorStoreFile> {
    const file = await this.upload(storeId, source, params, options);
    return file.status === 'in_progress' ? this.poll(storeId, file.id, params, options) : file;
  }

  /** The chunks nearest `query`, best first (`max_results` 1–100, `filter`, `score_threshold`). */
  search(storeId: string, params: VectorSearchParams, options?: RequestOptions): Promise<VectorSearchResult> {
    return this.transport.call('post_v1_vector_stores__vector_store_id__search', { path: { vector_store_id: storeId }, body: params }, options);
  }
}
