// The schema-driven fuzz run against a spawned production-mode server (`src/main.ts`,
// NODE_ENV=production, real PostgreSQL): used by test/hardening/schema-fuzz.test.ts and by
// `npm run bench:fuzz` (bench/fuzz.ts). No vitest import here, so the benchmark can use it too.
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { createServices } from '../../../src/app/services.ts';
import { loadConfig } from '../../../src/config.ts';
import { connectDatabase } from '../../../src/db/prisma.ts';
import { toGlobalId } from '../../../src/graphql/global-id.ts';
import { seedDataset } from '../../../src/seed/demo.ts';
import { TEST_ADMIN_API_KEY, TEST_DATA_ENCRYPTION_KEY, TEST_DATA_HASH_KEY } from '../../support/server.ts';
import { spawnService, type SpawnedService } from '../../support/spawn.ts';
import { allowedRoles, CALLERS, FIELDS, generateRequest, type Caller, type FuzzContext, type FuzzRequest, type Phase } from './generator.ts';

export const DEFAULT_SEED = 20_261_201;
/** Production defaults except where the fuzz needs room (each one says why). */
export const SERVER_ENV: Record<string, string> = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  // The fuzz sends ~2,000 requests in about a minute from one key per role: the per-key buckets
  // would answer most with 429 and the resolvers would not be reached. Rate limits have their own tests.
  RATE_LIMIT_PER_MINUTE: '0',
  RATE_LIMIT_ADMIN_PER_MINUTE: '0',
  // Training jobs queued by valid trainModel calls stay QUEUED (no worker runs during the fuzz),
  // so no model version is written; the production default cap applies to them.
  WORKER_MODE: 'off',
  TRAINING_MAX_QUEUED_PER_KEY: '3',
  SEED_DEMO_DATA: 'false',
};
export const MAX_BODY_BYTES = 20 * 1024 * 1024; // MAX_BODY_SIZE's default, 20mb
const SEED_SIZE = { users: 60, products: 40, interactions: 1_500, feedback: 240, campaigns: 4 };

export interface FuzzServer {
  service: SpawnedService;
  databaseUrl: string;
  context: FuzzContext;
  /** Stops the server (kill) — the database is the caller's. */
  stop(): Promise<void>;
}

async function graphqlAs(url: string, key: string, query: string, variables?: Record<string, unknown>): Promise<{ data?: Record<string, any>; errors?: unknown[] }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
}

async function trainAndWait(url: string, kind: string, task: string, hyperparameters: Record<string, unknown>): Promise<void> {
  const queued = await graphqlAs(url, TEST_ADMIN_API_KEY, `mutation($k: ModelKind!, $t: String!, $h: JSONObject) { trainModel(kind: $k, task: $t, hyperparameters: $h) { id } }`, {
    k: kind,
    t: task,
    h: hyperparameters,
  });
  const id = queued.data?.trainModel?.id as string | undefined;
  if (!id) throw new Error(`trainModel ${kind} failed: ${JSON.stringify(queued.errors)}`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    const job = await graphqlAs(url, TEST_ADMIN_API_KEY, `query($id: ID!) { trainingJob(id: $id) { status error } }`, { id });
    const status = job.data?.trainingJob?.status;
    if (status === 'SUCCEEDED') return;
    if (status === 'FAILED' || Date.now() > deadline) throw new Error(`training ${kind} ${task}: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/**
 * Seeds the (migrated, empty) database through the services, starts `src/main.ts` in production
 * mode on it, creates a key per role and a revoked key, trains a classifier and a recommender
 * with a worker process that is stopped before the fuzz, and collects the IDs the generator aims at.
 */
export async function startFuzzServer(databaseUrl: string, options: { log?: (line: string) => void } = {}): Promise<FuzzServer> {
  const log = options.log ?? (() => undefined);
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, DATA_HASH_KEY: TEST_DATA_HASH_KEY });
  const database = connectDatabase(databaseUrl, { poolSize: 4 });
  try {
    const report = await seedDataset(createServices(database.prisma, config), SEED_SIZE, { seed: 11 });
    log(`seeded ${JSON.stringify(report)}`);
  } finally {
    await database.close();
  }
  const service = await spawnService({ entry: 'main', env: { ...SERVER_ENV, DATABASE_URL: databaseUrl }, readyTimeoutMs: 90_000 });
  try {
    const url = service.graphqlUrl;
    const keys: Record<string, string> = {};
    const keyIds: Record<string, string> = {};
    for (const role of ['ADMIN', 'ANALYST', 'INTEGRATION', 'REVOKED'] as const) {
      const created = await graphqlAs(url, TEST_ADMIN_API_KEY, `mutation($n: String!, $r: Role!) { createApiKey(name: $n, role: $r) { secret apiKey { id } } }`, {
        n: `fuzz ${role.toLowerCase()}`,
        r: role === 'REVOKED' ? 'ANALYST' : role,
      });
      if (!created.data?.createApiKey) throw new Error(`createApiKey: ${JSON.stringify(created.errors)}`);
      keys[role] = created.data.createApiKey.secret;
      keyIds[role] = created.data.createApiKey.apiKey.id;
    }
    const revoked = await graphqlAs(url, TEST_ADMIN_API_KEY, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: keyIds.REVOKED });
    if (!revoked.data?.revokeApiKey?.revokedAt) throw new Error(`revokeApiKey: ${JSON.stringify(revoked.errors)}`);

    // Active models, so classify, recommendations, similarProducts and campaignAudience run their real code paths.
    const worker = await spawnService({ entry: 'worker', env: { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', NODE_ENV: 'production' }, ready: false });
    try {
      const started = Date.now();
      await trainAndWait(url, 'TEXT_CLASSIFIER', 'sentiment', { epochs: 2, seed: 5 });
      await trainAndWait(url, 'RECOMMENDER', 'default', { tuneAls: false, als: { factors: 8, iterations: 4 }, neighbours: 20, seed: 3 });
      log(`trained 2 models in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nworker output:\n${worker.output()}`);
    } finally {
      await worker.stop('SIGTERM');
      await worker.kill();
    }

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const column = async (sql: string) => (await client.query<{ v: string }>(sql)).rows.map((row) => row.v);
    const context: FuzzContext = {
      ids: {
        User: (await column(`SELECT id::text AS v FROM users ORDER BY external_id LIMIT 8`)).map((id) => toGlobalId('User', id)),
        Product: (await column(`SELECT id::text AS v FROM products ORDER BY external_id LIMIT 8`)).map((id) => toGlobalId('Product', id)),
        Campaign: (await column(`SELECT id::text AS v FROM campaigns ORDER BY external_id`)).map((id) => toGlobalId('Campaign', id)),
        Feedback: (await column(`SELECT id::text AS v FROM feedback ORDER BY created_at, id LIMIT 8`)).map((id) => toGlobalId('Feedback', id)),
        Interaction: (await column(`SELECT id::text AS v FROM interactions ORDER BY id LIMIT 8`)).map((id) => toGlobalId('Interaction', id)),
        ModelVersion: (await column(`SELECT id::text AS v FROM model_versions ORDER BY created_at`)).map((id) => toGlobalId('ModelVersion', id)),
        TrainingJob: (await column(`SELECT id::text AS v FROM training_jobs ORDER BY created_at`)).map((id) => toGlobalId('TrainingJob', id)),
      },
      externalIds: {
        users: await column(`SELECT external_id AS v FROM users ORDER BY external_id LIMIT 8`),
        products: await column(`SELECT external_id AS v FROM products ORDER BY external_id LIMIT 8`),
        campaigns: await column(`SELECT external_id AS v FROM campaigns ORDER BY external_id`),
        feedback: await column(`SELECT external_id AS v FROM feedback WHERE external_id IS NOT NULL ORDER BY external_id LIMIT 8`),
        interactions: await column(`SELECT external_id AS v FROM interactions WHERE external_id IS NOT NULL ORDER BY external_id LIMIT 8`),
      },
      apiKeyIds: [keyIds.REVOKED!],
      keys: { ADMIN: keys.ADMIN!, ANALYST: keys.ANALYST!, INTEGRATION: keys.INTEGRATION!, NO_KEY: null, MALFORMED_KEY: 'mai_malformed', REVOKED_KEY: keys.REVOKED! },
      maxBodyBytes: MAX_BODY_BYTES,
    };
    await client.end();
    return { service, databaseUrl, context, stop: () => service.kill() };
  } catch (error) {
    await service.kill();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Row checksums

/**
 * Tables a valid generated request may add rows to (the fuzz's own `fz-` rows, audit entries,
 * API keys of createApiKey, QUEUED training jobs of trainModel). Every other table must be
 * identical before and after. In every table, every row stored before the run must still be
 * there unchanged: no generated write aims at a stored row (bulk rows carry new `fz-`
 * externalIds, eraseUser and revokeApiKey aim at unknown or already-revoked targets).
 */
export const GROWABLE_TABLES = new Set([
  'users',
  'consent_changes',
  'products',
  'campaigns',
  'campaign_products',
  'campaign_metrics',
  'interactions',
  'feedback',
  'feedback_labels',
  'feedback_predictions',
  'audit_log',
  'api_keys',
  'training_jobs',
]);
/**
 * Columns that legitimately change on stored rows: when a key was last used (every request), and
 * when a model version was last activated (a valid activateModel of an active version, ADMIN or
 * ANALYST; which version is active, its artefact and metrics must not change).
 */
const VOLATILE_COLUMNS: Record<string, string[]> = { api_keys: ['last_used_at'], model_versions: ['activated_at'] };

export type Checksums = Record<string, string[]>;

export async function rowChecksums(databaseUrl: string): Promise<Checksums> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const result: Checksums = {};
    for (const { table_name: table } of tables) {
      const drop = (VOLATILE_COLUMNS[table] ?? []).map((name) => ` - '${name}'`).join('');
      const { rows } = await client.query<{ h: string }>(`SELECT md5((to_jsonb(t)${drop})::text) AS h FROM "${table}" t ORDER BY 1`);
      result[table] = rows.map((row) => row.h);
    }
    return result;
  } finally {
    await client.end();
  }
}

/** What changed between two checksum sets that the fuzz may not change; empty when nothing. */
export function checksumViolations(before: Checksums, after: Checksums): string[] {
  const problems: string[] = [];
  for (const [table, rows] of Object.entries(before)) {
    const now = after[table] ?? [];
    const remaining = new Map<string, number>();
    for (const hash of now) remaining.set(hash, (remaining.get(hash) ?? 0) + 1);
    let missing = 0;
    for (const hash of rows) {
      const count = remaining.get(hash) ?? 0;
      if (count === 0) missing += 1;
      else remaining.set(hash, count - 1);
    }
    if (missing) problems.push(`${table}: ${missing} of ${rows.length} stored rows changed or deleted`);
    if (!GROWABLE_TABLES.has(table) && now.length !== rows.length) problems.push(`${table}: ${rows.length} rows before, ${now.length} after`);
  }
  return problems;
}

export async function tableSummary(databaseUrl: string): Promise<Record<string, number>> {
  const sums = await rowChecksums(databaseUrl);
  return Object.fromEntries(Object.entries(sums).map(([table, rows]) => [table, rows.length]));
}

// ---------------------------------------------------------------------------------------------
// Health poller: its own thread (own event loop), so the client's work cannot inflate its waits.

const POLLER = `
const { parentPort, workerData } = require('node:worker_threads');
let stopping = false;
const samples = [];
parentPort.on('message', () => { stopping = true; });
(async () => {
  while (!stopping) {
    const started = performance.now();
    let status = 0;
    let error = null;
    try {
      const response = await fetch(workerData.url, { signal: AbortSignal.timeout(workerData.timeoutMs) });
      status = response.status;
      await response.text();
    } catch (caught) {
      error = String((caught && caught.name) || caught);
    }
    const ms = performance.now() - started;
    samples.push({ at: Date.now(), ms, status, error });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, workerData.intervalMs - ms)));
  }
  parentPort.postMessage(samples);
})();
`;

export interface HealthSample {
  at: number;
  ms: number;
  status: number;
  error: string | null;
}

export function startHealthPoller(url: string, intervalMs = 100, timeoutMs = 1_000): { stop(): Promise<HealthSample[]> } {
  const worker = new Worker(POLLER, { eval: true, workerData: { url, intervalMs, timeoutMs } });
  const result = new Promise<HealthSample[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const samples = await result;
      await worker.terminate();
      return samples;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The run

export interface Outcome {
  request: Pick<FuzzRequest, 'index' | 'field' | 'caller' | 'attack' | 'shape' | 'costModel'>;
  status: number | null;
  ms: number;
  /** Wall-clock start and end (Date.now()), to find the requests in flight around a slow /healthz. */
  startedAt: number;
  endedAt: number;
  problems: string[];
}

export interface RunReport {
  phase: string;
  requests: number;
  outcomes: Outcome[];
  byStatus: Record<string, number>;
  http5xx: number;
  internalErrors: number;
  problems: string[];
  crashes: number;
  health: { samples: number; longestMs: number; failures: number; overOneSecond: number };
  /** The slowest /healthz checks, each with the requests that were in flight during it. */
  slowestChecks: { at: number; ms: number; inFlight: string[] }[];
  durationMs: number;
  coverage: { fields: number; callers: number; attacks: number; fieldCallerPairs: number };
  serverErrorLogs: string[];
}

const UNAUTHENTICATED: ReadonlySet<Caller> = new Set(['NO_KEY', 'MALFORMED_KEY', 'REVOKED_KEY']);

/** Checks one response: no 5xx, JSON with coded errors, none INTERNAL_SERVER_ERROR, no data for a caller without access. */
function judge(request: FuzzRequest, status: number, text: string): string[] {
  const problems: string[] = [];
  if (status >= 500) problems.push(`HTTP ${status}: ${text.slice(0, 300)}`);
  let body: { data?: Record<string, unknown> | null; errors?: { message?: string; extensions?: { code?: unknown } }[] } | unknown[] | null;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return [...problems, `HTTP ${status}, body is not JSON: ${text.slice(0, 200)}`];
  }
  const answers = Array.isArray(body) ? body : [body];
  for (const answer of answers as { data?: Record<string, unknown> | null; errors?: { message?: string; extensions?: { code?: unknown } }[] }[]) {
    if (!answer || typeof answer !== 'object') {
      problems.push(`HTTP ${status}: the answer is not an object: ${text.slice(0, 200)}`);
      continue;
    }
    if (status >= 400 && !answer.errors?.length) problems.push(`HTTP ${status} without errors: ${text.slice(0, 200)}`);
    for (const error of answer.errors ?? []) {
      const code = error?.extensions?.code;
      if (typeof code !== 'string') problems.push(`error without a code: ${JSON.stringify(error).slice(0, 300)}`);
      if (code === 'INTERNAL_SERVER_ERROR') problems.push(`INTERNAL_SERVER_ERROR: ${error.message}`);
    }
    const data = answer.data;
    if (data && typeof data === 'object') {
      if (UNAUTHENTICATED.has(request.caller)) problems.push(`a caller without a valid key got data: ${JSON.stringify(data).slice(0, 200)}`);
      else if (!allowedRoles(request.field).includes(request.caller as 'ADMIN')) {
        for (const key of request.responseKeys) {
          if (data[key] !== null && data[key] !== undefined) problems.push(`${request.caller} got ${request.field} (${key}) it may not call`);
        }
      }
    }
  }
  if (UNAUTHENTICATED.has(request.caller) && status === 200) problems.push(`HTTP 200 for a caller without a valid key`);
  return problems;
}

export async function runFuzz(
  server: FuzzServer,
  options: { seed: number; requests: number; concurrency: number; phase: Phase; timeoutMs?: number; onProgress?: (done: number) => void },
): Promise<RunReport> {
  const { service, context } = server;
  const base = service.url;
  let crashes = 0;
  void service.exited.then(() => {
    crashes += 1;
  });
  const outputStart = service.output().length;
  const poller = startHealthPoller(`${base}/healthz`);
  const outcomes: Outcome[] = new Array(options.requests);
  const started = performance.now();
  let next = 0;
  let done = 0;
  const loop = async () => {
    while (next < options.requests) {
      const index = next++;
      const request = generateRequest(options.seed, index, context, options.phase);
      const sent = performance.now();
      const startedAt = Date.now();
      let status: number | null = null;
      let problems: string[];
      try {
        const response = await fetch(`${base}${request.path}`, {
          method: request.method,
          headers: request.headers,
          body: request.method === 'GET' ? undefined : request.body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
        });
        status = response.status;
        problems = judge(request, status, await response.text());
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        problems = [`no answer: ${(error as Error).name} ${(error as Error).message}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}`];
      }
      const { field, caller, attack, shape, costModel } = request;
      outcomes[index] = { request: { index, field, caller, attack, shape, costModel }, status, ms: performance.now() - sent, startedAt, endedAt: Date.now(), problems };
      done += 1;
      options.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const durationMs = performance.now() - started;
  const samples = await poller.stop();

  const byStatus: Record<string, number> = {};
  for (const outcome of outcomes) byStatus[outcome.status ?? 'none'] = (byStatus[outcome.status ?? 'none'] ?? 0) + 1;
  const problems = outcomes.flatMap((outcome) =>
    outcome.problems.map((problem) => `#${outcome.request.index} ${outcome.request.caller} ${outcome.request.attack} — ${outcome.request.shape}: ${problem}`),
  );
  const health = {
    samples: samples.length,
    longestMs: Math.round(Math.max(0, ...samples.map((sample) => sample.ms))),
    failures: samples.filter((sample) => sample.error || sample.status !== 200).length,
    overOneSecond: samples.filter((sample) => sample.ms >= 1_000).length,
  };
  const slowestChecks = [...samples]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 3)
    .map((sample) => ({
      at: sample.at,
      ms: Math.round(sample.ms),
      // A check recorded at `at` (its end) ran from at - ms; requests overlapping that window.
      inFlight: outcomes
        .filter((outcome) => outcome.startedAt <= sample.at && outcome.endedAt >= sample.at - sample.ms)
        .map((outcome) => `#${outcome.request.index} ${outcome.request.caller} ${outcome.request.attack} — ${outcome.request.shape} (${Math.round(outcome.ms)} ms)`),
    }));
  const pairs = new Set(outcomes.map((outcome) => `${outcome.request.field}/${outcome.request.caller}`));
  const serverErrorLogs = service
    .output()
    .slice(outputStart)
    .split('\n')
    .filter((line) => /"level":(50|60)/.test(line) || /Uncaught|FATAL|unhandled/i.test(line))
    .map((line) => line.slice(0, 600));
  return {
    phase: options.phase,
    requests: options.requests,
    outcomes,
    byStatus,
    http5xx: outcomes.filter((outcome) => (outcome.status ?? 0) >= 500).length,
    internalErrors: outcomes.filter((outcome) => outcome.problems.some((problem) => problem.startsWith('INTERNAL_SERVER_ERROR'))).length,
    problems,
    crashes: crashes + (service.running() ? 0 : 0),
    health,
    slowestChecks,
    durationMs,
    coverage: {
      fields: new Set(outcomes.map((outcome) => outcome.request.field)).size,
      callers: new Set(outcomes.map((outcome) => outcome.request.caller)).size,
      attacks: new Set(outcomes.map((outcome) => outcome.request.attack)).size,
      fieldCallerPairs: pairs.size,
    },
    serverErrorLogs,
  };
}

/** The figures table of a run, for the console. */
export function summaryRows(report: RunReport): Record<string, string | number>[] {
  return [
    { figure: 'phase', value: report.phase },
    { figure: 'requests tried', value: report.requests },
    {
      figure: 'by status',
      value: Object.entries(report.byStatus)
        .sort()
        .map(([status, count]) => `${status}: ${count}`)
        .join(', '),
    },
    { figure: 'HTTP 5xx', value: report.http5xx },
    { figure: 'INTERNAL_SERVER_ERROR answers', value: report.internalErrors },
    { figure: 'other problems', value: report.problems.length },
    { figure: 'crashes (server exits)', value: report.crashes },
    { figure: 'server error log lines', value: report.serverErrorLogs.length },
    { figure: '/healthz checks', value: report.health.samples },
    { figure: 'longest /healthz wait (ms)', value: report.health.longestMs },
    { figure: '/healthz failed or ≥ 1 s', value: `${report.health.failures} / ${report.health.overOneSecond}` },
    { figure: 'duration (s)', value: (report.durationMs / 1000).toFixed(1) },
    {
      figure: 'coverage',
      value: `${report.coverage.fields}/${FIELDS.length} root fields, ${report.coverage.callers}/${CALLERS.length} callers, ${report.coverage.fieldCallerPairs} field×caller pairs, ${report.coverage.attacks} attack kinds`,
    },
  ];
}

/** Problems grouped by (field, attack), most frequent first, for a readable failure message. */
export function groupedProblems(report: RunReport, limit = 40): string {
  const groups = new Map<string, { count: number; example: string }>();
  for (const outcome of report.outcomes) {
    for (const problem of outcome.problems) {
      const key = `${outcome.request.field} ${outcome.request.attack}: ${problem.replace(/[0-9a-f-]{36}|\d+/g, '#').slice(0, 120)}`;
      const group = groups.get(key) ?? { count: 0, example: `#${outcome.request.index} ${outcome.request.caller} — ${outcome.request.shape}: ${problem.slice(0, 300)}` };
      group.count += 1;
      groups.set(key, group);
    }
  }
  return [...groups.entries()]
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, limit)
    .map(([key, group]) => `${group.count}× ${key}\n    e.g. ${group.example}`)
    .join('\n');
}

/** The slowest /healthz checks with the requests in flight during each (which shapes stall the server). */
export function slowestChecks(report: RunReport): string {
  return report.slowestChecks
    .map((check) => `/healthz ${check.ms} ms at ${new Date(check.at).toISOString()}, in flight:\n${check.inFlight.map((line) => `    ${line}`).join('\n')}`)
    .join('\n');
}

/** Requests that took at least `minMs`, slowest first. */
export function slowRequests(report: RunReport, minMs = 1_000, limit = 20): string {
  return report.outcomes
    .filter((outcome) => outcome.ms >= minMs)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, limit)
    .map((outcome) => `${Math.round(outcome.ms)} ms #${outcome.request.index} ${outcome.request.caller} ${outcome.request.attack} — ${outcome.request.shape} → ${outcome.status}`)
    .join('\n');
}
