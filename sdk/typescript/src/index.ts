// @vireo/sdk: a dependency-free client of Vireo's REST API.
import { VireoClient } from './client.js';

export { VireoClient, type Health, type Readiness } from './client.js';
export { VireoError, type ClientErrorCode } from './errors.js';
export type { ClientOptions, RequestOptions, TokenPair } from './transport.js';
export type { Page, PageParams } from './pages.js';
export type { ServerSentEvent } from './streams.js';
export * from './surfaces/tables.js';
export * from './surfaces/vectorStores.js';
export * from './surfaces/training.js';
export * from './surfaces/checkpoints.js';
export * from './surfaces/monitoring.js';
export * from './surfaces/jobs.js';
export * from './surfaces/pipelines.js';
export { operations, type Operations, type OperationId } from './generated/operations.js';
export * as Schemas from './generated/types.js';
export default VireoClient;
