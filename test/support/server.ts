import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { graphql } from './graphql.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data: T | null | undefined;
  errors: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] | undefined;
  sqlStatements: number;
}

/** Variables then headers: the variables may be left out when the operation requires none. */
export type VariablesAndHeaders<V> = {} extends V ? [variables?: V, headers?: Record<string, string>] : [variables: V, headers?: Record<string, string>];
type VariablesOnly<V> = {} extends V ? [variables?: V] : [variables: V];

/** The ADMIN_API_KEY every test server accepts; `gql` sends it unless told otherwise. */
export const TEST_ADMIN_API_KEY = 'test-admin-key-0123456789abcdef';
/** Fixed keys for personal data at rest in tests (so no development key file is written). */
export const TEST_DATA_ENCRYPTION_KEY = `test:${Buffer.alloc(32, 7).toString('base64')}`;
export const TEST_DATA_HASH_KEY = Buffer.alloc(32, 9).toString('hex');
/** Jobs one key may have queued in a test process (the configuration's largest value). */
export const TEST_TRAINING_MAX_QUEUED_PER_KEY = '1000';

export interface TestServer {
  url: string;
  database: TestDatabase;
  server: RunningServer;
  config: Config;
  /**
   * Sends one GraphQL request over real HTTP, as ADMIN (x-api-key: TEST_ADMIN_API_KEY) unless
   * `headers` carries its own `x-api-key` or `authorization`; an empty value sends no key at all,
   * e.g. `{ 'x-api-key': '' }` for an unauthenticated request.
   *
   * A typed document (`graphql(...)` of test/support/graphql.ts) types `data` and `variables`;
   * a plain string is for documents that are deliberately malformed, hostile or invalid.
   */
  gql<R, V>(document: TypedDocumentNode<R, V>, ...rest: VariablesAndHeaders<V>): Promise<GraphQLResponse<R>>;
  gql(document: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse>;
  /** Sends one GraphQL request with this API key (null: none). */
  gqlAs<R, V>(apiKey: string | null, document: TypedDocumentNode<R, V>, ...rest: VariablesOnly<V>): Promise<GraphQLResponse<R>>;
  gqlAs(apiKey: string | null, document: string, variables?: Record<string, unknown>): Promise<GraphQLResponse>;
  /** Creates an API key of this role through the API (as ADMIN) and returns its secret. */
  createKey(role: 'ADMIN' | 'ANALYST' | 'INTEGRATION', name?: string): Promise<{ id: string; secret: string }>;
  /** Sends a raw body (for malformed-request tests), with the same API-key handling as gql. */
  post(body: string, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

const CREATE_KEY = graphql(`
  mutation TestSupportCreateKey($name: String!, $role: Role!) {
    createApiKey(name: $name, role: $role) { apiKey { id } secret }
  }
`);

const printed = new WeakMap<DocumentNode, string>();
/** The text to send: a string as it is, a document printed once. */
function source(document: string | DocumentNode): string {
  if (typeof document === 'string') return document;
  let text = printed.get(document);
  if (text === undefined) {
    if (document.kind !== 'Document') throw new Error('not a generated GraphQL document: run `npm run codegen`');
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

/** What a test sends to a GraphQL endpoint over real HTTP (a server of this process or another). */
export type GraphQLClient = Pick<TestServer, 'post' | 'gql' | 'gqlAs' | 'createKey'>;

/** A client of the GraphQL endpoint at `graphqlUrl`, sending `adminKey` unless told otherwise (see TestServer.gql). */
export function graphqlClient(graphqlUrl: string, adminKey: string = TEST_ADMIN_API_KEY): GraphQLClient {
  // Raw posts (malformed-request tests) carry the ADMIN key too, with the same opt-out as gql.
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(graphqlUrl, { method: 'POST', headers: withKey({ 'content-type': 'application/json', ...headers }), body });
  const withKey = (headers: Record<string, string> = {}): Record<string, string> => {
    const hasKey = Object.keys(headers).some((name) => ['x-api-key', 'authorization'].includes(name.toLowerCase()));
    const all: Record<string, string> = hasKey ? { ...headers } : { 'x-api-key': adminKey, ...headers };
    return Object.fromEntries(Object.entries(all).filter(([, value]) => value !== ''));
  };
  const gql = async (document: string | DocumentNode, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<never>> => {
    const response = await post(JSON.stringify({ query: source(document), variables }), headers);
    const body = (await response.json()) as { data?: unknown; errors?: GraphQLResponse['errors'] };
    return {
      status: response.status,
      data: body.data as never,
      errors: body.errors,
      sqlStatements: Number(response.headers.get('x-sql-statements') ?? 0),
    };
  };
  const typedGql = gql as TestServer['gql'];
  return {
    post,
    gql: typedGql,
    gqlAs: ((apiKey: string | null, document: string | DocumentNode, variables?: Record<string, unknown>) =>
      gql(document, variables, { 'x-api-key': apiKey ?? '' })) as TestServer['gqlAs'],
    async createKey(role, name = `test ${role.toLowerCase()}`) {
      const result = await typedGql(CREATE_KEY, { name, role });
      if (!result.data?.createApiKey) throw new Error(`createApiKey failed: ${JSON.stringify(result.errors)}`);
      return { id: result.data.createApiKey.apiKey.id, secret: result.data.createApiKey.secret };
    },
  };
}

/** Starts the real HTTP server on a random port over this test file's own database. */
export async function startTestServer(env: Record<string, string> = {}, options: { database?: TestDatabase } = {}): Promise<TestServer> {
  // A given database outlives this server (restart tests); otherwise the server owns a fresh one.
  const ownsDatabase = !options.database;
  const database = options.database ?? (await createTestDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ADMIN_API_KEY: TEST_ADMIN_API_KEY,
    DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY,
    DATA_HASH_KEY: TEST_DATA_HASH_KEY,
    // Test files queue many jobs with one key; the per-key cap's own tests set it low.
    TRAINING_MAX_QUEUED_PER_KEY: TEST_TRAINING_MAX_QUEUED_PER_KEY,
    // What `auto` picks for a deployment on this database (the config here has no DATABASE_URL).
    RATE_LIMIT_STORE: process.env.DATABASE_URL ? 'postgres' : 'memory',
    // Tests check the limiter's answers; on a machine busy with the whole suite a round trip can
    // pass the 50 ms default, and the fallback would answer instead (its own test sets it low).
    RATE_LIMIT_STORE_TIMEOUT_MS: '5000',
    ...env,
  });
  const server = await startServer({ config, database, databaseUrl: database.url, logger: createLogger(config.LOG_LEVEL), port: 0, host: '127.0.0.1' });
  return {
    ...graphqlClient(server.url, config.ADMIN_API_KEY ?? TEST_ADMIN_API_KEY),
    url: server.url,
    database,
    server,
    config,
    async stop() {
      await server.stop();
      if (ownsDatabase) await database.destroy();
    },
  };
}
