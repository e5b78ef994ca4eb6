import { createTestDatabase, type TestDatabase } from './database.ts';
import { sentimentFeedback, submitFeedback } from './fixtures.ts';
import { graphqlClient, startTestServer, type GraphQLClient, type TestServer } from './server.ts';
import { spawnService, type SpawnedService } from './spawn.ts';

/**
 * The deployment shape of docker-compose for tests: one database of its own, API servers that
 * only enqueue (WORKER_MODE=off; in this process, or as processes of their own: `npm start`),
 * and separate worker processes (`npm run worker`) started and killed by the test, all sharing one log.
 */
export interface WorkerDeployment {
  database: TestDatabase;
  /** The first API server (it received the labelled feedback). */
  api: TestServer;
  /** Every API server of this process, in start order. */
  apis: TestServer[];
  /** Every API server process (`src/main.ts`), in start order. */
  apiProcesses: ApiProcess[];
  /** Starts a worker process (`src/worker.ts`) on the database; its output goes to `log()` prefixed `[name] `. */
  startWorker(name: string): Promise<SpawnedService>;
  /** SIGKILL to every worker started so far that still runs. */
  killWorkers(): Promise<void>;
  /** Everything every worker wrote, in arrival order. */
  log(): string;
  /** The end of the log, for a timeout's message. */
  logTail(chars?: number): string;
  /** Kills the API server processes and the workers, stops the API servers, drops the database. */
  stop(): Promise<void>;
}

/** An API server process (`src/main.ts`, WORKER_MODE=off) and a GraphQL client of it. */
export interface ApiProcess extends SpawnedService, GraphQLClient {}

export interface WorkerDeploymentOptions {
  /** For the API servers and every worker (e.g. queue expiry, heartbeat staleness). */
  env?: Record<string, string>;
  /** How many API servers in this process; default 1. */
  apiServers?: number;
  /** How many API server processes (`src/main.ts`, WORKER_MODE=off; output in `log()` as `[api-N] `); default 0. */
  apiProcesses?: number;
  /** Labelled sentiment feedback submitted through the first API server, to train on. */
  feedback: Parameters<typeof sentimentFeedback>[0];
}

export async function startWorkerDeployment(options: WorkerDeploymentOptions): Promise<WorkerDeployment> {
  const env = options.env ?? {};
  const database = await createTestDatabase();
  const apis: TestServer[] = [];
  const apiProcesses: ApiProcess[] = [];
  const workers: SpawnedService[] = [];
  let log = '';
  const deployment: WorkerDeployment = {
    database,
    get api() {
      return apis[0]!;
    },
    apis,
    apiProcesses,
    async startWorker(name) {
      const worker = await spawnService({
        entry: 'worker',
        env: { ...env, DATABASE_URL: database.url },
        label: `[${name}] `,
        onOutput: (chunk) => (log += chunk),
      });
      workers.push(worker);
      return worker;
    },
    async killWorkers() {
      for (const worker of workers) await worker.kill();
    },
    log: () => log,
    logTail: (chars = 4000) => log.slice(-chars),
    async stop() {
      for (const api of apiProcesses) await api.kill();
      await deployment.killWorkers();
      for (const api of apis) await api.stop();
      await database.destroy();
    },
  };
  try {
    for (let i = 0; i < (options.apiServers ?? 1); i += 1) apis.push(await startTestServer({ WORKER_MODE: 'off', ...env }, { database }));
    for (let i = 0; i < (options.apiProcesses ?? 0); i += 1) {
      const service = await spawnService({
        entry: 'main',
        env: { ...env, WORKER_MODE: 'off', DATABASE_URL: database.url },
        label: `[api-${i + 1}] `,
        onOutput: (chunk) => (log += chunk),
      });
      apiProcesses.push({ ...service, ...graphqlClient(service.graphqlUrl) });
    }
    await submitFeedback(apis[0] ?? apiProcesses[0]!, sentimentFeedback(options.feedback));
  } catch (error) {
    await deployment.stop().catch(() => undefined);
    throw error;
  }
  return deployment;
}
