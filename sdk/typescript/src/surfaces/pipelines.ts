// The AI-ETL surface (seed 001, docs/pipelines.md): a login's tokens, users, connectors,
// pipelines and their runs (paged lists as async iterators), data profile and preview,
// storage advice, natural language to SQL, and run metrics, under /api/v1/….
import { iteratePages, readPage, type Page, type PageParams } from '../pages.js';
import type { BodyOf, QueryOf, RequestOptions, ResponseOf, TokenPair, Transport } from '../transport.js';

export type LoginResult = ResponseOf<'post_api_v1_auth_login'>;
export type LogoutResult = ResponseOf<'post_api_v1_auth_logout'>;
export type Identity = ResponseOf<'get_api_v1_auth_me'>;
export type User = ResponseOf<'get_api_v1_users'>['users'][number];
export type CreateUserParams = BodyOf<'post_api_v1_users'>;
export type CreatedUser = ResponseOf<'post_api_v1_users'>;
export type DeleteUserResult = ResponseOf<'delete_api_v1_users__id_'>;
export type Connector = ResponseOf<'get_api_v1_connectors__id_'>;
export type ConnectorListItem = ResponseOf<'get_api_v1_connectors'>['connectors'][number];
export type CreateConnectorParams = BodyOf<'post_api_v1_connectors'>;
export type ConfigureConnectorParams = BodyOf<'post_api_v1_connectors_ai_configure'>;
export type ConfiguredConnector = ResponseOf<'post_api_v1_connectors_ai_configure'>;
export type ConnectorTest = ResponseOf<'post_api_v1_connectors__id__test'>;
export type ConnectorSchema = ResponseOf<'get_api_v1_connectors__id__schema'>;
export type DeleteConnectorResult = ResponseOf<'delete_api_v1_connectors__id_'>;
export type Pipeline = ResponseOf<'get_api_v1_pipelines__id_'>;
export type PipelineListItem = ResponseOf<'get_api_v1_pipelines'>['pipelines'][number];
export type CreatePipelineParams = BodyOf<'post_api_v1_pipelines'>;
export type GeneratePipelineParams = BodyOf<'post_api_v1_pipelines_generate'>;
export type GeneratedPipeline = ResponseOf<'post_api_v1_pipelines_generate'>;
export type DeployParams = BodyOf<'post_api_v1_pipelines__id__deploy'>;
export type Deployment = ResponseOf<'post_api_v1_pipelines__id__deploy'>;
export type Undeployment = ResponseOf<'post_api_v1_pipelines__id__undeploy'>;
export type DeletePipelineResult = ResponseOf<'delete_api_v1_pipelines__id_'>;
export type RunParams = BodyOf<'post_api_v1_pipelines__id__run'>;
/** A run: `status` (queued, running, succeeded, failed), `current_task`, `progress`, rows read and written. */
export type PipelineRun = ResponseOf<'post_api_v1_pipelines__id__run'>;
export type PipelineRunListItem = ResponseOf<'get_api_v1_pipelines__id__runs'>['runs'][number];
export type ListRunsParams = QueryOf<'get_api_v1_pipelines__id__runs'>;
export type PipelineStatus = ResponseOf<'get_api_v1_pipelines__id__status'>;
export type RunDetail = ResponseOf<'get_api_v1_pipelines__id__runs__run_id_'>;
export type PipelineMetricsParams = QueryOf<'get_api_v1_observability_metrics'>;
export type PipelineMetrics = ResponseOf<'get_api_v1_observability_metrics'>;
export type ProfileParams = BodyOf<'post_api_v1_data_profile'>;
export type DataProfile = ResponseOf<'post_api_v1_data_profile'>;
export type PreviewParams = QueryOf<'get_api_v1_data_preview'>;
export type DataPreview = ResponseOf<'get_api_v1_data_preview'>;
export type StorageRecommendParams = BodyOf<'post_api_v1_storage_recommend'>;
export type StorageRecommendation = ResponseOf<'post_api_v1_storage_recommend'>;
export type NaturalLanguageQueryParams = BodyOf<'post_api_v1_nl_query'>;
export type NaturalLanguageQuery = ResponseOf<'post_api_v1_nl_query'>;

/**
 * A login: the client keeps the token pair and sends the access token instead of the API key;
 * on a 401 it refreshes once (the refresh token is good once: the new pair replaces it) and
 * makes the call again. {@link VireoClient.auth} has it.
 */
export class AuthSurface {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** Logs in with a password; later calls carry the access token. 401 `INVALID_CREDENTIALS`, 429 `RATE_LIMITED`. */
  async login(email: string, password: string, options?: RequestOptions): Promise<LoginResult> {
    const answer = await this.transport.call('post_api_v1_auth_login', { body: { email, password } }, options);
    this.transport.setTokens({ access_token: answer.access_token, refresh_token: answer.refresh_token });
    return answer;
  }

  /** Exchanges the refresh token for a new pair now (calls do it themselves on a 401). */
  async refresh(options?: RequestOptions): Promise<TokenPair> {
    const held = this.transport.tokens;
    if (held === null) throw new TypeError('no login to refresh: call auth.login() or pass tokens to the client');
    const answer = await this.transport.call('post_api_v1_auth_refresh', { body: { refresh_token: held.refresh_token } }, options);
    const pair = { access_token: answer.access_token, refresh_token: answer.refresh_token };
    this.transport.setTokens(pair);
    return pair;
  }

  /** Revokes the access token and the login's refresh tokens; the client goes back to the API key. */
  async logout(options?: RequestOptions): Promise<LogoutResult> {
    const answer = await this.transport.call('post_api_v1_auth_logout', {}, options);
    this.transport.setTokens(null);
    return answer;
  }

  /** Who the token (or API key) belongs to. */
  me(options?: RequestOptions): Promise<Identity> {
    return this.transport.call('get_api_v1_auth_me', {}, options);
  }

  /** The token pair held, or null. */
  get tokens(): TokenPair | null {
    return this.transport.tokens;
  }
}

/** Users (administrators only); {@link VireoClient.users} has them. */
export class UsersSurface {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** One page of users (`page` from 1, `per_page` 1–100). */
  list(params: PageParams = {}, options?: RequestOptions): Promise<Page<User>> {
    return readPage(this.transport, 'get_api_v1_users', 'users', { query: params }, options);
  }

  /** Every user, a page (`per_page`) a request. */
  iterate(params: PageParams = {}, options?: RequestOptions): AsyncGenerator<User> {
    return iteratePages(this.transport, 'get_api_v1_users', 'users', { query: params }, options);
  }

  create(params: CreateUserParams, options?: RequestOptions): Promise<CreatedUser> {
    return this.transport.call('post_api_v1_users', { body: params }, options);
  }

  delete(userId: string, options?: RequestOptions): Promise<DeleteUserResult> {
    return this.transport.call('delete_api_v1_users__id_', { path: { id: userId } }, options);
  }
}

/** Connectors to files and databases; {@link VireoClient.connectors} has them. */
export class ConnectorsSurface {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** Tests and saves a connector (400 `CONNECTION_FAILED` when it cannot open); secrets are sealed. */
  create(params: CreateConnectorParams, options?: RequestOptions): Promise<Connector> {
    return this.transport.call('post_api_v1_connectors', { body: params }, options);
  }

  /** A connector from a description and hints, by rules. */
  configure(params: ConfigureConnectorParams, options?: RequestOptions): Promise<ConfiguredConnector> {
    return this.transport.call('post_api_v1_connectors_ai_configure', { body: params }, options);
  }

  /** One page of connectors. */
  list(params: PageParams = {}, options?: RequestOptions): Promise<Page<ConnectorListItem>> {
    return readPage(this.transport, 'get_api_v1_connectors', 'connectors', { query: params }, options);
  }

  /** Every connector. */
  iterate(params: PageParams = {}, options?: RequestOptions): AsyncGenerator<ConnectorListItem> {
    return iteratePages(this.transport, 'get_api_v1_connectors', 'connectors', { query: params }, options);
  }

  get(connectorId: string, options?: RequestOptions): Promise<Connector> {
    return this.transport.call('get_api_v1_connectors__id_', { path: { id: connectorId } }, options);
  }

  delete(connectorId: string, options?: RequestOptions): Promise<DeleteConnectorResult> {
    return this.transport.call('delete_api_v1_connectors__id_', { path: { id: connectorId } }, options);
  }

  /** Opens the connector again and records whether it answered. */
  test(connectorId: string, options?: RequestOptions): Promise<ConnectorTest> {
    return this.transport.call('post_api_v1_connectors__id__test', { path: { id: connectorId } }, options);
  }

  /** Its tables with columns and row counts. */
  schema(connectorId: string, options?: RequestOptions): Promise<ConnectorSchema> {
    return this.transport.call('get_api_v1_connectors__id__schema', { path: { id: connectorId } }, options);
  }
}

/** Pipelines, runs, schedules and their metrics; {@link VireoClient.pipelines} has them. */
export class PipelinesSurface {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** Saves a pipeline from a definition (source, SQL steps, embedding, target), validated. */
  create(params: CreatePipelineParams, options?: RequestOptions): Promise<Pipeline> {
    return this.transport.call('post_api_v1_pipelines', { body: params }, options);
  }

  /** Turns a description into a saved pipeline, by rules (422 on `description` when no table is found). */
  generate(params: GeneratePipelineParams, options?: RequestOptions): Promise<GeneratedPipeline> {
    return this.transport.call('post_api_v1_pipelines_generate', { body: params }, options);
  }

  /** One page of pipelines, oldest first. */
  list(params: PageParams = {}, options?: RequestOptions): Promise<Page<PipelineListItem>> {
    return readPage(this.transport, 'get_api_v1_pipelines', 'pipelines', { query: params }, options);
  }

  /** Every pipeline. */
  iterate(params: PageParams = {}, options?: RequestOptions): AsyncGenerator<PipelineListItem> {
    return iteratePages(this.transport, 'get_api_v1_pipelines', 'pipelines', { query: params }, options);
  }

  get(pipelineId: string, options?: RequestOptions): Promise<Pipeline> {
    return this.transport.call('get_api_v1_pipelines__id_', { path: { id: pipelineId } }, options);
  }

  delete(pipelineId: string, options?: RequestOptions): Promise<DeletePipelineResult> {
    return this.transport.call('delete_api_v1_pipelines__id_', { path: { id: pipelineId } }, options);
  }

  /** Schedules the pipeline on a cron `schedule` in `timezone`. */
  deploy(pipelineId: string, params: DeployParams, options?: RequestOptions): Promise<Deployment> {
    return this.transport.call('post_api_v1_pipelines__id__deploy', { path: { id: pipelineId }, body: params }, options);
  }

  undeploy(pipelineId: string, options?: RequestOptions): Promise<Undeployment> {
    return this.transport.call('post_api_v1_pipelines__id__undeploy', { path: { id: pipelineId } }, options);
  }

  /** Runs it with `params`: queued (`async`, the default) or to its end (`async: false`). */
  run(pipelineId: string, params: RunParams = {}, options?: RequestOptions): Promise<PipelineRun> {
    return this.transport.call('post_api_v1_pipelines__id__run', { path: { id: pipelineId }, body: params }, options);
  }

  /** The latest run's status, task and progress. */
  status(pipelineId: string, options?: RequestOptions): Promise<PipelineStatus> {
    return this.transport.call('get_api_v1_pipelines__id__status', { path: { id: pipelineId } }, options);
  }

  /** One page of the pipeline's runs (`status` to keep one kind). */
  runs(pipelineId: string, params: ListRunsParams = {}, options?: RequestOptions): Promise<Page<PipelineRunListItem>> {
    return readPage(this.transport, 'get_api_v1_pipelines__id__runs', 'runs', { path: { id: pipelineId }, query: params }, options);
  }

  /** Every run of the pipeline. */
  iterateRuns(pipelineId: string, params: ListRunsParams = {}, options?: RequestOptions): AsyncGenerator<PipelineRunListItem> {
    return iteratePages(this.transport, 'get_api_v1_pipelines__id__runs', 'runs', { path: { id: pipelineId }, query: params }, options);
  }

  getRun(pipelineId: string, runId: string, options?: RequestOptions): Promise<RunDetail> {
    return this.transport.call('get_api_v1_pipelines__id__runs__run_id_', { path: { id: pipelineId, run_id: runId } }, options);
  }

  /** Run figures over time (`metric`, `interval`, `start`, `end`, `pipeline_id`) with aggregates. */
  metrics(params: PipelineMetricsParams = {}, options?: RequestOptions): Promise<PipelineMetrics> {
    return this.transport.call('get_api_v1_observability_metrics', { query: params }, options);
  }
}

/** Looking at data before moving it; {@link VireoClient.data} has it. */
export class DataSurface {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** Per-column statistics of a connector's table from a sample, with partitioning and index advice. */
  profile(params: ProfileParams, options?: RequestOptions): Promise<DataProfile> {
    return this.transport.call('post_api_v1_data_profile', { body: params }, options);
  }

  /** The first rows of a connector's table. */
  preview(params: PreviewParams, options?: RequestOptions): Promise<DataPreview> {
    return this.transport.call('get_api_v1_data_preview', { query: params }, options);
  }

  /** Storage advice from size, growth, access pattern and query types. */
  recommendStorage(params: StorageRecommendParams, options?: RequestOptions): Promise<StorageRecommendation> {
    return this.transport.call('post_api_v1_storage_recommend', { body: params }, options);
  }

  /** A question about this server's tables as SQL, bound and measured by Vireo (not its rows). */
  nlQuery(params: NaturalLanguageQueryParams, options?: RequestOptions): Promise<NaturalLanguageQuery> {
    return this.transport.call('post_api_v1_nl_query', { body: params }, options);
  }
}
