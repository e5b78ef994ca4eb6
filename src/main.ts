import path from 'node:path';
import { ConfigError, loadConfig } from './config.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.ts';
import { ensureMigrated } from './db/migrate.ts';
import { connectDatabase } from './db/prisma.ts';
import { createLogger } from './logger.ts';
import { startServer } from './server.ts';
import { createServices } from './services.ts';
import { seedDemoDataOnce } from './seed/demo.ts';
import { backfillPersonalData } from './privacy/backfill.ts';

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

  let embedded: EmbeddedPostgres | null = null;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const dataDir = path.resolve(config.EMBEDDED_DB_DIR);
    embedded = await startEmbeddedPostgres({ dataDir, port: config.EMBEDDED_DB_PORT });
    databaseUrl = embedded.url;
    logger.info({ dataDir, url: embedded.url }, 'embedded PostgreSQL (PGlite) started; set DATABASE_URL to use a server instead');
  }

  const database = connectDatabase(databaseUrl, { poolSize: embedded ? 4 : config.DATABASE_POOL_SIZE });
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

  const server = await startServer({ config, database, databaseUrl, logger });
  logger.info({ url: server.url }, 'GraphQL API listening');
  console.log(`\n  GraphQL API:    ${server.url}`);
  if (config.sandboxEnabled) console.log(`  Apollo Sandbox: open ${server.url} in a browser`);
  console.log(`  Health:         ${server.url.replace('/graphql', '/healthz')}  ${server.url.replace('/graphql', '/readyz')}\n`);
  if (bootstrapKey) {
    logger.warn({ keyId: bootstrapKey.apiKey.id, prefix: bootstrapKey.apiKey.prefix }, 'created the first ADMIN API key (printed once on stdout)');
    console.log('  First start: an ADMIN API key was created. It is shown only now; store it safely.');
    console.log(`  Send it as the header  x-api-key: ${bootstrapKey.secret}`);
    console.log('  (In Sandbox: the "Headers" tab → x-api-key.) Create more keys with the createApiKey mutation.\n');
  } else if (!config.ADMIN_API_KEY) {
    console.log('  API keys: send an ADMIN key as the x-api-key header (set ADMIN_API_KEY, or use the key printed on first start).\n');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    // Stop accepting, drain in-flight requests (Apollo's drain plugin), stop the in-process
    // workers (pg-boss finishes or releases the running job), then close the pools.
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_SECONDS * 1000);
    force.unref();
    try {
      await server.stop();
      logger.debug('http server and workers stopped');
      await database.close();
      logger.debug('database pool closed');
      await embedded?.stop();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  console.error('Start-up failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
