import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data: T | null | undefined;
  errors: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] | undefined;
  sqlStatements: number;
}

export interface TestServer {
  url: string;
  database: TestDatabase;
  server: RunningServer;
  config: Config;
  /** Sends one GraphQL request over real HTTP. */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** Sends a raw body (for malformed-request tests). */
  post(body: string, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

/** Starts the real HTTP server on a random port over this test file's own database. */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { database?: TestDatabase } = {},
): Promise<TestServer> {
  // A given database outlives this server (restart tests); otherwise the server owns a fresh one.
  const ownsDatabase = !options.database;
  const database = options.database ?? (await createTestDatabase());
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  const server = await startServer({ config, database, databaseUrl: database.url, logger: createLogger('silent'), port: 0, host: '127.0.0.1' });
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return {
    url: server.url,
    database,
    server,
    config,
    post,
    async gql(query, variables, headers) {
      const response = await post(JSON.stringify({ query, variables }), headers);
      const body = (await response.json()) as { data?: unknown; errors?: GraphQLResponse['errors'] };
      return {
        status: response.status,
        data: body.data as never,
        errors: body.errors,
        sqlStatements: Number(response.headers.get('x-sql-statements') ?? 0),
      };
    },
    async stop() {
      await server.stop();
      if (ownsDatabase) await database.destroy();
    },
  };
}
