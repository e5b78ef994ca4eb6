// `npm run worker`: a process that only runs background jobs (training, reclassification).
// Start as many as you like, on as many machines, against the same DATABASE_URL.
// First: when OTEL_EXPORTER_OTLP_ENDPOINT is set, tracing must hook pg before it loads.
import './tracing/tracing.ts';
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { startCluster, type ServerProcessMessage } from './http/cluster.ts';
import type { Logger } from './logger.ts';
import { connectDatabase } from './db/prisma.ts';
import { JobQueue } from './jobs/queue.ts';
import { startWorkers } from './jobs/workers.ts';
import { createLogger } from './logger.ts';
import { initTensorflowBackend } from './ml/shared/backend.ts';
import { createServices } from './app/services.ts';
import { handleShutdownSignals } from './shutdown.ts';
import { startLivenessFile } from './health/liveness.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  if (config.SUPERVISOR && cluster.isPrimary) return supervise(config, logger);
  const url = config.DATABASE_URL ?? `postgresql://postgres:postgres@127.0.0.1:${config.EMBEDDED_DB_PORT}/postgres?sslmode=disable`;
  if (!config.DATABASE_URL) logger.warn({ url }, 'DATABASE_URL is not set: connecting to the embedded database of a running `npm start`');
  const database = connectDatabase(url, { poolSize: 3, statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS, preparedStatements: config.DATABASE_PREPARED_STATEMENTS });
  const { name: backend } = await initTensorflowBackend(config.TFJS_BACKEND);
  logger.info({ backend }, 'TensorFlow.js backend ready');
  const queue = await JobQueue.start(url, logger, config);
  await startWorkers(queue, createServices(database.prisma, config, { logger, queue: () => queue }), logger, config);
  process.send?.({ type: 'listening', url: '' } satisfies ServerProcessMessage);
  // No HTTP to ask: a container healthcheck reads this file's age instead.
  const liveness = config.LIVENESS_FILE ? startLivenessFile(config.LIVENESS_FILE, () => database.pool.query('SELECT 1'), logger) : null;
  // pg-boss waits for the running job up to its timeout, then fails it so it is retried elsewhere.
  handleShutdownSignals({
    logger,
    timeoutSeconds: config.SHUTDOWN_TIMEOUT_SECONDS,
    stoppingMessage: 'worker stopping: finishing the running job',
    stoppedMessage: 'worker stopped',
    async stop() {
      await liveness?.stop();
      await queue.stop();
      await database.close();
    },
  });
}

/**
 * The supervisor of `npm run worker`: one job process, replaced when it dies (its running job is
 * taken over through the heartbeat, see TRAINING_HEARTBEAT_STALE_SECONDS); signals are passed on.
 */
async function supervise(config: Config, logger: Logger): Promise<void> {
  let shutdown: ReturnType<typeof handleShutdownSignals> | undefined;
  const running = await startCluster({
    count: 1,
    env: {},
    logger,
    role: 'worker process',
    onFatal: (reason) => {
      logger.fatal({ reason }, 'worker processes keep dying; stopping');
      void shutdown?.('fatal', 1);
    },
  });
  logger.info('worker supervisor running');
  shutdown = handleShutdownSignals({
    logger,
    timeoutSeconds: config.SHUTDOWN_TIMEOUT_SECONDS,
    stop: () => running.stop(),
  });
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
