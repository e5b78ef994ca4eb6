import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type express from 'express';
import type pg from 'pg';
import client from 'prom-client';
import type { Config } from '../config.ts';
import type { StatementCounter } from '../db/prisma.ts';
import type { GraphQLContext } from '../app/context.ts';
import type { Logger } from '../logger.ts';

/** What one /graphql request did, for its log line and metrics. Never variables or personal data. */
interface RequestRecord {
  requestId: string;
  operationName: string | null;
  operationType: string | null;
  rootFields: string[];
  errorCodes: Set<string>;
}
const requestScope = new AsyncLocalStorage<RequestRecord>();

/** Records an error code of the current request (called where errors are formatted). */
export function recordErrorCode(code: unknown): void {
  if (typeof code === 'string') requestScope.getStore()?.errorCodes.add(code);
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** At most this many distinct operation names become metric labels; later ones count as "other". */
const MAX_OPERATION_LABELS = 200;

export interface Telemetry {
  registry: client.Registry;
  /** Express middleware for /graphql: request id in and out, one JSON log line, metrics. */
  middleware: express.RequestHandler;
  /** Apollo plugin noting the operation name, type and root fields of the request. */
  plugin: ApolloServerPlugin<GraphQLContext>;
  /** GET /metrics (Prometheus text format), behind METRICS_TOKEN when set. */
  metricsHandler: express.RequestHandler;
}

export function createTelemetry(options: { config: Pick<Config, 'METRICS_TOKEN' | 'NODE_ENV'>; logger: Logger; pool: pg.Pool }): Telemetry {
  const { logger, pool } = options;
  // A registry per server (tests run several servers in one process).
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const duration = new client.Histogram({
    name: 'graphql_request_duration_seconds',
    help: 'Latency of /graphql requests by operation name',
    labelNames: ['operation', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const errors = new client.Counter({
    name: 'graphql_errors_total',
    help: 'Errors returned by /graphql, by extensions.code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const statements = new client.Histogram({
    name: 'graphql_sql_statements_per_request',
    help: 'SQL statements one /graphql request ran',
    buckets: [0, 1, 2, 5, 10, 20, 50, 100, 250, 1000],
    registers: [registry],
  });
  new client.Gauge({
    name: 'training_jobs',
    help: 'Training jobs by status (read from the database on scrape)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const status of ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']) this.set({ status }, 0);
      try {
        const { rows } = await pool.query<{ status: string; count: string }>(`SELECT status::text AS status, count(*) AS count FROM training_jobs GROUP BY status`);
        for (const row of rows) this.set({ status: row.status }, Number(row.count));
      } catch (error) {
        logger.warn({ err: error }, 'metrics: could not read training jobs');
      }
    },
  });
  new client.Gauge({
    name: 'model_versions_active',
    help: 'Active model versions per kind and task (read from the database on scrape)',
    labelNames: ['kind', 'task'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const { rows } = await pool.query<{ kind: string; task: string; count: string }>(
          `SELECT kind::text AS kind, task, count(*) AS count FROM model_versions WHERE active GROUP BY kind, task`,
        );
        for (const row of rows) this.set({ kind: row.kind, task: row.task }, Number(row.count));
      } catch (error) {
        logger.warn({ err: error }, 'metrics: could not read active model versions');
      }
    },
  });

  const operationLabels = new Set<string>();
  const operationLabel = (record: RequestRecord): string => {
    const name = record.operationName;
    if (!name) return record.operationType ? `(anonymous ${record.operationType})` : '(none)';
    if (!OPERATION_NAME.test(name)) return '(invalid)';
    if (operationLabels.has(name)) return name;
    if (operationLabels.size >= MAX_OPERATION_LABELS) return '(other)';
    operationLabels.add(name);
    return name;
  };

  const middleware: express.RequestHandler = (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    const record: RequestRecord = { requestId, operationName: null, operationType: null, rootFields: [], errorCodes: new Set() };
    const started = process.hrtime.bigint();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const sql = (res.locals.statements as StatementCounter | undefined)?.statements ?? 0;
      const codes = [...record.errorCodes];
      duration.observe({ operation: operationLabel(record), status: String(res.statusCode) }, seconds);
      statements.observe(sql);
      for (const code of codes) errors.inc({ code });
      const entry = {
        requestId,
        method: req.method,
        operation: record.operationName,
        operationType: record.operationType,
        rootFields: record.rootFields,
        status: res.statusCode,
        durationMs: Math.round(seconds * 1000),
        sqlStatements: sql,
        errorCodes: codes,
        aborted: !res.writableFinished,
      };
      if (res.statusCode >= 500) logger.error(entry, 'graphql request');
      else logger.info(entry, 'graphql request');
    };
    res.on('finish', finish);
    res.on('close', finish);
    requestScope.run(record, () => next());
  };

  const plugin: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, operationName }) {
          const record = requestScope.getStore();
          if (!record) return;
          record.operationName = operationName?.slice(0, 100) ?? null;
          record.operationType = operation?.operation ?? null;
          record.rootFields = (operation?.selectionSet.selections ?? []).flatMap((selection) => (selection.kind === 'Field' ? [selection.name.value] : [])).slice(0, 20);
        },
      };
    },
  };

  const expected = options.config.METRICS_TOKEN ? Buffer.from(`Bearer ${options.config.METRICS_TOKEN}`) : null;
  // Metrics name operations, error codes and model tasks: in production they are served only
  // behind a token, never open by default.
  const closed = !expected && options.config.NODE_ENV === 'production';
  const metricsHandler: express.RequestHandler = async (req, res) => {
    if (closed) {
      res.status(404).json({ error: 'Metrics are off in production until METRICS_TOKEN is set; then send Authorization: Bearer <token>.' });
      return;
    }
    if (expected) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res.status(401).setHeader('www-authenticate', 'Bearer realm="metrics"').json({ error: 'METRICS_TOKEN required as Authorization: Bearer <token>' });
        return;
      }
    }
    res.setHeader('content-type', registry.contentType);
    res.send(await registry.metrics());
  };

  return { registry, middleware, plugin, metricsHandler };
}
