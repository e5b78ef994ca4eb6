// `npm run worker`: a process that only runs background jobs (training, reclassification).
// Start as many as you like, on as many machines, against the same DATABASE_URL.
import { ConfigError, loadConfig } from './config.ts';
import { connectDatabase } from './db/prisma.ts';
import { JobQueue } from './jobs/queue.ts';
import { startWorkers } from './jobs/workers.ts';
import { createLogger } from './logger.ts';
import { initTensorflowBackend } from './ml/shared/backend.ts';
import { createServices } from './app/services.ts';
import { handleShutdownSignals } from './shutdown.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const url = config.DATABASE_URL ?? `postgresql://postgres:postgres@127.0.0.1:${config.EMBEDDED_DB_PORT}/postgres?sslmode=disable`;
  if (!config.DATABASE_URL) logger.warn({ url }, 'DATABASE_URL is not set: connecting to the embedded database of a running `npm start`');
  const database = connectDatabase(url, { poolSize: 3, statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS });
  const { name: backend } = await initTensorflowBackend(config.TFJS_BACKEND);
  logger.info({ backend }, 'TensorFlow.js backend ready');
  const queue = await JobQueue.start(url, logger, config);
  await startWorkers(queue, createServices(database.prisma, config, { logger, queue: () => queue }), logger, config);
  // pg-boss waits for the running job up to its timeout, then fails it so it is retried elsewhere.
  handleShutdownSignals({
    logger,
    timeoutSeconds: config.SHUTDOWN_TIMEOUT_SECONDS,
    stoppingMessage: 'worker stopping: finishing the running job',
    stoppedMessage: 'worker stopped',
    async stop() {
      await queue.stop();
      await database.close();
    },
  });
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
