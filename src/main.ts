// First: when OTEL_EXPORTER_OTLP_ENDPOINT is set, tracing must hook pg, express and graphql before they load.
import './tracing/tracing.ts';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.ts';
import { ensureMigrated } from './db/migrate.ts';
import { connectDatabase } from './db/prisma.ts';
import { createLogger } from './logger.ts';
import { startServer } from './server.ts';
import { createServices } from './app/services.ts';
import { seedDemoDataOnce } from './seed/demo.ts';
import { backfillPersonalData } from './privacy/backfill.ts';
import { clusterWorkerIndex, configForServerProcess, startCluster, type ServerProcessMessage } from './http/cluster.ts';
import type { Logger } from './logger.ts';
import { handleShutdownSignals, type GracefulShutdown } from './shutdown.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const workerIndex = clusterWorkerIndex();
  if (workerIndex !== null) return serverProcess(config, logger, workerIndex);

  let embedded: EmbeddedPostgres | null = null;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const dataDir = path.resolve(config.EMBEDDED_DB_DIR);
    embedded = await startEmbeddedPostgres({ dataDir, port: config.EMBEDDED_DB_PORT });
    databaseUrl = embedded.url;
    logger.info({ dataDir, url: embedded.url }, 'embedded PostgreSQL (PGlite) started; set DATABASE_URL to use a server instead');
  }

  const database = connectDatabase(databaseUrl, {
    poolSize: embedded ? 4 : config.DATABASE_POOL_SIZE,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
  });
  logger.info({ migrations: await ensureMigrated(database.pool, databaseUrl) }, 'database schema ready');
  const startupServices = createServices(database.prisma, config, { logger });
  // Rows stored before encryption at rest (or under an older key) are encrypted now, in batches.
  await backfillPersonalData(database.prisma, startupServices.privacy.cipher, logger);
  if (config.SEED_DEMO_DATA) {
    const seeded = await seedDemoDataOnce(database.prisma, startupServices, logger);
    if (seeded) logger.info(seeded, 'demo data seeded');
  }
  // No ADMIN_API_KEY and no valid ADMIN key stored: create one and print its secret once.
  const bootstrapKey = await startupServices.apiKeys.ensureBootstrapAdminKey();

  let concurrency = config.WEB_CONCURRENCY;
  if (concurrency > 1 && embedded) {
    logger.warn({ WEB_CONCURRENCY: concurrency }, 'the embedded database serves one process: WEB_CONCURRENCY is ignored without DATABASE_URL');
    concurrency = 1;
  }
  let serverUrl: string;
  let shutdown: GracefulShutdown | undefined;
  let stopServing: () => Promise<void>;
  if (config.SUPERVISOR || concurrency > 1) {
    // Start-up work (migrations, backfill, seed, first key) is done; the server processes only
    // serve, and this process supervises them: one that dies is replaced (README "Operations").
    await database.close();
    const running = await startCluster({
      count: concurrency,
      // The embedded database's connections are cheap to multiplex but not to multiply; `auto`
      // keeps its rate limits in memory (the server processes see DATABASE_URL set to it).
      env: {
        DATABASE_URL: databaseUrl,
        WEB_CONCURRENCY: String(concurrency),
        ...(embedded ? { DATABASE_POOL_SIZE: '4', RATE_LIMIT_STORE: config.rateLimitStore } : {}),
      },
      logger,
      onFatal: (reason) => {
        logger.fatal({ reason }, 'server processes keep dying; stopping');
        void shutdown?.('fatal', 1);
      },
    });
    serverUrl = running.url;
    stopServing = () => running.stop();
  } else {
    const server = await startServer({ config, database, databaseUrl, logger });
    serverUrl = server.url;
    stopServing = async () => {
      await server.stop();
      logger.debug('http server and workers stopped');
      await database.close();
      logger.debug('database pool closed');
    };
  }
  logger.info({ url: serverUrl, processes: concurrency }, 'GraphQL API listening');
  console.log(`\n  GraphQL API:    ${serverUrl}${concurrency > 1 ? `  (${concurrency} server processes)` : ''}`);
  if (config.sandboxEnabled) console.log(`  Apollo Sandbox: open ${serverUrl} in a browser`);
  console.log(`  Health:         ${serverUrl.replace('/graphql', '/healthz')}  ${serverUrl.replace('/graphql', '/readyz')}\n`);
  if (bootstrapKey) {
    logger.warn({ keyId: bootstrapKey.apiKey.id, prefix: bootstrapKey.apiKey.prefix }, 'created the first ADMIN API key (printed once on stdout)');
    console.log('  First start: an ADMIN API key was created. It is shown only now; store it safely.');
    console.log(`  Send it as the header  x-api-key: ${bootstrapKey.secret}`);
    console.log('  (In Sandbox: the "Headers" tab → x-api-key.) Create more keys with the createApiKey mutation.\n');
  } else if (!config.ADMIN_API_KEY) {
    console.log('  API keys: send an ADMIN key as the x-api-key header (set ADMIN_API_KEY, or use the key printed on first start).\n');
  }

  // Stop accepting, drain in-flight requests (Apollo's drain plugin), stop the in-process
  // workers (pg-boss finishes or releases the running job), then close the pools; with
  // several server processes, each does this on SIGTERM and the primary waits for them.
  shutdown = handleShutdownSignals({
    logger,
    timeoutSeconds: config.SHUTDOWN_TIMEOUT_SECONDS,
    stoppingMessage: 'shutting down: draining requests',
    stoppedMessage: 'stopped',
    async stop() {
      await stopServing();
      await embedded?.stop();
    },
  });
}

/** One of WEB_CONCURRENCY server processes: serves only; the primary did the start-up work. */
async function serverProcess(baseConfig: Config, logger: Logger, index: number): Promise<void> {
  const config = configForServerProcess(baseConfig, index, baseConfig.WEB_CONCURRENCY);
  const processLogger = logger.child({ serverProcess: index });
  const databaseUrl = config.DATABASE_URL!;
  const database = connectDatabase(databaseUrl, {
    poolSize: config.DATABASE_POOL_SIZE,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
  });
  const server = await startServer({ config, database, databaseUrl, logger: processLogger });
  process.send?.({ type: 'listening', url: server.url } satisfies ServerProcessMessage);
  // The primary sends SIGTERM; a signal to the whole process group (Ctrl-C, docker stop) arrives here too.
  handleShutdownSignals({
    logger: processLogger,
    timeoutSeconds: config.SHUTDOWN_TIMEOUT_SECONDS,
    async stop() {
      await server.stop();
      await database.close();
    },
  });
}

main().catch((error) => {
  console.error('Start-up failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
