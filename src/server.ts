import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault, ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import express from 'express';
import type { Config } from './config.ts';
import { pendingMigrations } from './db/migrate.ts';
import { withStatementCounter, type Database, type StatementCounter } from './db/prisma.ts';
import type { GraphQLContext } from './app/context.ts';
import { authenticateRequest } from './modules/access/authenticate.ts';
import { auditPlugin } from './modules/access/audit.plugin.ts';
import { formatError } from './graphql/format-error.ts';
import { databaseUnavailableInContext } from './http/db-errors.ts';
import { createLoaders } from './app/loaders.ts';
import { buildSchema } from './app/schema.ts';
import type { Logger } from './logger.ts';
import { createServices } from './app/services.ts';
import { JobQueue } from './jobs/queue.ts';
import { startWorkers } from './jobs/workers.ts';
import { initTensorflowBackend } from './ml/shared/backend.ts';
import { corsMiddleware } from './http/cors.ts';
import { queryLimits, requestCostPlugin, withLimitCode } from './http/limits.ts';
import { LIST_SIZERS } from './app/list-sizers.ts';
import { chargeRequest, createRateLimiter } from './http/rate-limit.ts';
import { createTelemetry, recordErrorCode } from './http/telemetry.ts';
import { inputGuardPlugin } from './http/input-guard.ts';
import { responseSizeCap, sizeInBytes } from './http/response-size.ts';
import { jsonBodyExceeds, TooManyJsonValues } from './http/json-values.ts';
import { clusterWorkerIndex } from './http/cluster.ts';

export interface RunningServer {
  url: string;
  port: number;
  httpServer: http.Server;
  stop(): Promise<void>;
}

/** Builds the HTTP server: GraphQL on /graphql, liveness on /healthz, readiness on /readyz. */
export async function startServer(options: {
  config: Config;
  database: Database;
  /** Connection string of `database`, for the job queue's own pool. */
  databaseUrl: string;
  logger: Logger;
  port?: number;
  host?: string;
}): Promise<RunningServer> {
  const { config, database, logger } = options;
  const { name: backend } = await initTensorflowBackend(config.TFJS_BACKEND);
  logger.info({ backend }, 'TensorFlow.js backend ready');
  const queue = await JobQueue.start(options.databaseUrl, logger, config);
  const services = createServices(database.prisma, config, { logger, queue: () => queue });
  if (config.WORKER_MODE === 'in-process') await startWorkers(queue, services, logger, config);
  const app = express();
  const httpServer = http.createServer(app);

  // Query shape limits, rate limits, request logs and metrics (src/http/; README "Operations").
  const limits = queryLimits(config);
  // Shared by every server process through PostgreSQL unless RATE_LIMIT_STORE=memory.
  const rateLimiter = createRateLimiter(config, options.databaseUrl, logger);
  const telemetry = createTelemetry({ config, logger, pool: database.pool });

  const apollo = new ApolloServer<GraphQLContext>({
    schema: buildSchema(),
    introspection: config.introspectionEnabled,
    includeStacktraceInErrorResponses: false,
    // main.ts and worker.ts own signal handling (drain, stop workers, close pools, exit).
    stopOnTerminationSignals: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    // csrfPrevention is on (Apollo's default): GET and simple POSTs need a preflight-forcing header.
    formatError: (formatted, error) => {
      const result = withLimitCode(formatError(formatted, error, { schemaHidden: !config.introspectionEnabled }));
      recordErrorCode(result.extensions?.code);
      if (result.extensions?.code === 'INTERNAL_SERVER_ERROR' || result.extensions?.code === 'DATABASE_UNAVAILABLE') {
        logger.error({ err: error, path: formatted.path }, 'unexpected error in request');
      }
      return result;
    },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No field declares cache hints (answers are `no-store`, set below); Apollo's default
      // cache-control plugin would still wrap every resolved field of every query in a hook.
      ApolloServerPluginCacheControlDisabled(),
      // One audit row per executed mutation root field (src/modules/access/audit.plugin.ts).
      auditPlugin(logger),
      ...limits.plugins,
      // The input guard first: it refuses oversized lists and bad text before anything walks them.
      inputGuardPlugin(),
      requestCostPlugin({ config, limiter: rateLimiter, sizers: LIST_SIZERS }),
      telemetry.plugin,
      {
        // Lets clients and tests see how many SQL statements a request cost.
        async requestDidStart() {
          return {
            async willSendResponse({ contextValue, response }) {
              response.http.headers.set('x-sql-statements', String(contextValue.statements?.statements ?? 0));
              // Answers hold customer data: no shared or browser cache keeps them.
              if (!response.http.headers.has('cache-control')) response.http.headers.set('cache-control', 'no-store');
            },
          };
        },
      },
      config.sandboxEnabled ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }) : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
    ],
  });
  await apollo.start();

  app.disable('x-powered-by');
  // Answers are `no-store` POST bodies: an ETag (a hash of every response body) serves no cache.
  app.set('etag', false);
  app.get('/metrics', telemetry.metricsHandler);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      const pending = await pendingMigrations(database.pool);
      if (pending.length) {
        res.status(503).json({ status: 'migrations pending', pendingMigrations: pending });
        return;
      }
      // pid and serverProcess tell operators (and the cluster test) which process answered.
      res.json({
        status: 'ready',
        database: 'reachable',
        migrations: 'applied',
        tensorflowBackend: backend,
        worker: config.WORKER_MODE,
        pid: process.pid,
        serverProcess: clusterWorkerIndex(),
      });
    } catch (error) {
      res.status(503).json({ status: 'database unreachable', error: (error as Error).message });
    }
  });

  app.use(
    '/graphql',
    telemetry.middleware,
    (_req, res, next) => {
      // Everything the request does runs inside this scope, so its SQL statements are counted.
      const counter = { statements: 0 };
      res.locals.statements = counter;
      withStatementCounter(counter, () => next());
    },
    corsMiddleware(config),
    responseSizeCap(sizeInBytes(config.MAX_RESPONSE_SIZE), (bytes) => logger.warn({ bytes }, 'response too large: refused')),
    express.json({
      limit: config.MAX_BODY_SIZE,
      // Refused before JSON.parse runs: parsing time grows with the number of values.
      verify: (_req, _res, body) => {
        const exceeded = jsonBodyExceeds(body, config.MAX_BODY_VALUES);
        if (exceeded) throw new TooManyJsonValues(exceeded, config.MAX_BODY_VALUES);
      },
    }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GraphQLContext> => {
        // Request id: the caller's x-request-id when well-formed, else a new one (src/http/telemetry.ts).
        const requestId = res.locals.requestId as string;
        // Every request needs a valid API key; otherwise HTTP 401 with code UNAUTHENTICATED.
        const viewer = await authenticateRequest(req.headers, services.apiKeys).catch(databaseUnavailableInContext);
        // One token per request from the key's bucket; empty → HTTP 429 RATE_LIMITED.
        await chargeRequest(rateLimiter, viewer);
        return {
          db: database.prisma,
          services,
          loaders: createLoaders(database.prisma),
          viewer,
          requestId,
          statements: res.locals.statements as StatementCounter,
        };
      },
    }),
  );
  // Malformed JSON bodies and other middleware errors: answer as GraphQL would, with a code.
  app.use((error: Error & { status?: number; type?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error.status && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error({ err: error }, 'http error');
    recordErrorCode(status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
    res.status(status).json({
      errors: [
        {
          message: status === 500 ? 'Internal server error.' : `Invalid request: ${error.message}`,
          extensions: { code: status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' },
        },
      ],
    });
  });

  const port = options.port ?? config.PORT;
  const host = options.host ?? config.HOST;
  await new Promise<void>((resolve) => httpServer.listen(port, host, resolve));
  const address = httpServer.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${actualPort}/graphql`,
    port: actualPort,
    httpServer,
    async stop() {
      await apollo.stop();
      logger.debug('http server drained');
      await rateLimiter.close();
      await queue.stop();
      logger.debug('job queue stopped');
    },
  };
}
