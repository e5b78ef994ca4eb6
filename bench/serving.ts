/**
 * Recommender serving at load, open loop: `npm run bench:serving` (`npx tsx bench/serving.ts`).
 *
 * For each data shape (BENCH_SHAPES, default `catalogue,ml`):
 * - `catalogue`: BENCH_USERS (10k) customers × BENCH_PRODUCTS (10k) products × BENCH_INTERACTIONS
 *   (100k) funnel events from the core's synthetic generator (planted taste clusters);
 * - `ml`: MovieLens-shaped ratings (src/ml/synthetic MOVIELENS_LIKE: 610 customers with histories
 *   up to thousands of ratings, 9k products, 100k ratings).
 * 1. A fresh database `bench_serving_<shape>_<pid>` on the local PostgreSQL (DATABASE_URL, default
 *    postgresql://postgres@127.0.0.1:5432/postgres), migrated and seeded with set-based SQL.
 * 2. A recommender trained through the real job path (trainModel over HTTP, pg-boss, worker).
 * 3. One server process of its own (production mode, default log level, output discarded) serves
 *    while this process sends requests at fixed arrival rates (bench/open-loop.ts: latency counted
 *    from when each request was due). Each endpoint is stepped through BENCH_RATES
 *    (50,100,200,300,400,600,800,1000 req/s, BENCH_STEP_SECONDS = 5 s each) until its p95 passes
 *    20 ms or an answer fails; beside it in the same run the trivial `serviceInfo`. Per step: the
 *    server's CPU milliseconds per request and its event-loop delay p99. campaignAudience(limit 100)
 *    runs at 50 req/s. The server reports its memory after a full GC before and after the model loads.
 * With BENCH_PROCESSES=2 (default 1: off) the catalogue shape also steps recommendations through
 * `npm start` with WEB_CONCURRENCY server processes. BENCH_KEEP=1 keeps the databases (named
 * bench_serving_<shape>), BENCH_REUSE=1 serves kept ones again without seeding or training;
 * BENCH_CPU_PROF=<dir> writes CPU profiles of the one-process server; BENCH_NODE=<path> runs it on
 * another Node.js binary (e.g. Node 24 from `npx -y node@24`, where the machine's is older).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { connectDatabase } from '../src/db/prisma.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/server.ts';
import { createSyntheticWorld, iterateSyntheticInteractions, MOVIELENS_LIKE, type SyntheticBehaviourOptions } from '../src/ml/synthetic/behaviour.ts';
import { openLoop, type OpenLoopResult } from './open-loop.ts';
import { admin, serverUrl, withDatabase } from './support.ts';

// The server process is given the parent's key (BENCH_API_KEY).
const API_KEY = process.env.BENCH_API_KEY ?? `bench-admin-key-${process.pid}-0123456789`;
const P95_FLOOR_MS = 20;
const AUDIENCE_RATE = 50;
const AUDIENCE_FLOOR_MS = 100;
const FLOOR_RATE = 300;
const RATES = (process.env.BENCH_RATES ?? '50,100,200,300,400,600,800,1000').split(',').map(Number);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 5);
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 1);
/** Production settings a server refuses to start without; fixed keys, the data is synthetic. */
const PRODUCTION = {
  NODE_ENV: 'production',
  ADMIN_API_KEY: API_KEY,
  DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  DATA_HASH_KEY: Buffer.alloc(32, 9).toString('base64'),
  WORKER_MODE: 'off',
  SEED_DEMO_DATA: 'false',
  // Rate limits off: the benchmark measures serving, not the limiter's 429s.
  RATE_LIMIT_PER_MINUTE: '0',
  RATE_LIMIT_ADMIN_PER_MINUTE: '0',
};

interface Shape {
  name: string;
  description: string;
  opts: SyntheticBehaviourOptions;
}

const SHAPES: Shape[] = [
  {
    name: 'catalogue',
    description: 'synthetic funnel events',
    opts: {
      users: Number(process.env.BENCH_USERS ?? 10_000),
      products: Number(process.env.BENCH_PRODUCTS ?? 10_000),
      interactions: Number(process.env.BENCH_INTERACTIONS ?? 100_000),
      clusters: 8,
      seed: 17,
    },
  },
  { name: 'ml', description: 'MovieLens-shaped ratings (few customers, long histories)', opts: MOVIELENS_LIKE },
];

// ---------------------------------------------------------------------------------------------
// Child mode: one server process, answering the parent's questions over IPC.
interface ServerStats {
  cpuMs: number;
  loopP99: number;
  loopMax: number;
}
interface Memory {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
}

if (process.argv.includes('--serve')) {
  const url = process.env.BENCH_DB_URL!;
  const database = connectDatabase(url, { poolSize: 10 });
  const config = loadConfig({ ...PRODUCTION, DATABASE_URL: url });
  const server = await startServer({ config, database, databaseUrl: url, logger: createLogger(config.LOG_LEVEL), port: 0, host: '127.0.0.1' });
  // 10 ms (the default): a 1 ms timer cost the server ~0.1 core of its own, idle.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  process.on('message', (message: { ask: 'stats' | 'memory' | 'stop' }) => {
    if (message.ask === 'stats') {
      const cpu = process.cpuUsage();
      const stats: ServerStats = { cpuMs: (cpu.user + cpu.system) / 1000, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 };
      loop.reset();
      process.send!({ stats });
    } else if (message.ask === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      process.send!({ memory: { rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers } satisfies Memory });
    } else {
      void server.stop().finally(() => database.close().finally(() => process.exit(0)));
    }
  });
  process.send!({ url: server.url, node: process.version });
} else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

interface Served {
  url: string;
  /** The server process's Node.js version. */
  node?: string;
  ask<T>(what: 'stats' | 'memory'): Promise<T>;
  stop(): Promise<void>;
}

function startChild(databaseUrl: string): Promise<Served> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    // BENCH_NODE: the Node.js binary of the server process (e.g. a Node 24 one; default this one's).
    execPath: process.env.BENCH_NODE || process.execPath,
    execArgv: ['--expose-gc', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), ...process.execArgv],
    env: { ...process.env, NODE_ENV: 'production', BENCH_DB_URL: databaseUrl, BENCH_API_KEY: API_KEY },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const waiting = new Map<string, ((value: never) => void)[]>();
  return new Promise((resolve, reject) => {
    child.on('message', (message: Record<string, unknown>) => {
      if (typeof message.url === 'string') {
        resolve({
          url: message.url,
          node: typeof message.node === 'string' ? message.node : undefined,
          ask: <T>(what: 'stats' | 'memory') =>
            new Promise<T>((answer) => {
              waiting.set(what, [...(waiting.get(what) ?? []), answer as (value: never) => void]);
              child.send({ ask: what });
            }),
          stop: () =>
            new Promise<void>((done) => {
              child.once('exit', () => done());
              child.send({ ask: 'stop' });
            }),
        });
      }
      for (const key of ['stats', 'memory']) if (key in message) waiting.get(key)?.shift()?.(message[key] as never);
    });
    child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
  });
}

/** CPU time (ms) of a process and its descendants, from /proc (for `npm start` with several processes). */
function treeCpuMs(root: number): number {
  const tick = 10; // USER_HZ = 100 on Linux
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(entry);
      const ppid = Number(fields[1]);
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) * tick);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    total += cpu.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

async function seed(pool: pg.Pool, opts: SyntheticBehaviourOptions): Promise<{ userIds: string[]; productIds: string[]; seconds: number }> {
  const started = performance.now();
  const world = createSyntheticWorld(opts);
  await pool.query(
    `INSERT INTO users (id, external_id, marketing_consent, attributes)
     SELECT gen_random_uuid(), 'u-' || g, g % 2 = 0, jsonb_build_object('segment', 'c' || (g % 8)) FROM generate_series(0, $1::int - 1) g`,
    [opts.users],
  );
  const products = world.products.map((p) => ({
    external_id: `p-${p.index}`,
    name: `Product ${p.index} ${p.category}`,
    category: p.category,
    tags: p.tags,
    price: p.price,
    attributes: p.attributes,
  }));
  for (let start = 0; start < products.length; start += 5_000) {
    await pool.query(
      `INSERT INTO products (id, external_id, name, category, tags, price, attributes)
       SELECT gen_random_uuid(), r.external_id, r.name, r.category, ARRAY(SELECT jsonb_array_elements_text(r.tags)), r.price, r.attributes
       FROM jsonb_to_recordset($1::jsonb) AS r(external_id text, name text, category text, tags jsonb, price numeric, attributes jsonb)`,
      [JSON.stringify(products.slice(start, start + 5_000))],
    );
  }
  const userIds = new Array<string>(opts.users);
  for (const row of (await pool.query<{ id: string; n: number }>(`SELECT id::text, substr(external_id, 3)::int AS n FROM users`)).rows) userIds[row.n] = row.id;
  const productIds = new Array<string>(opts.products);
  for (const row of (await pool.query<{ id: string; n: number }>(`SELECT id::text, substr(external_id, 3)::int AS n FROM products`)).rows) productIds[row.n] = row.id;
  let batch: { u: string; p: string; t: string; v: number | null; o: Date }[] = [];
  let n = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await pool.query(
      `INSERT INTO interactions (dedupe_key, user_id, product_id, type, value, occurred_at)
       SELECT 'bench:' || (r.k), r.u, r.p, r.t::"InteractionType", r.v, r.o
       FROM unnest($1::int[], $2::uuid[], $3::uuid[], $4::text[], $5::float8[], $6::timestamptz[]) AS r(k, u, p, t, v, o)`,
      [batch.map((_, i) => n - batch.length + i), batch.map((b) => b.u), batch.map((b) => b.p), batch.map((b) => b.t), batch.map((b) => b.v), batch.map((b) => b.o)],
    );
    batch = [];
  };
  for (const it of iterateSyntheticInteractions(world, opts)) {
    batch.push({ u: userIds[it.user]!, p: productIds[it.product]!, t: it.type, v: it.value, o: it.occurredAt });
    n += 1;
    if (batch.length >= 20_000) await flush();
  }
  await flush();
  // One campaign targeting five products of the first taste cluster, for campaignAudience.
  const targets = world.products
    .filter((p) => p.cluster === 0)
    .slice(0, 5)
    .map((p) => productIds[p.index]);
  const campaign = await pool.query<{ id: string }>(
    `INSERT INTO campaigns (id, external_id, name, channel) VALUES (gen_random_uuid(), 'bench-campaign', 'Bench campaign', 'EMAIL') RETURNING id::text`,
  );
  await pool.query(`INSERT INTO campaign_products (campaign_id, product_id) SELECT $1::uuid, unnest($2::uuid[])`, [campaign.rows[0]!.id, targets]);
  await pool.query('ANALYZE');
  return { userIds, productIds, seconds: (performance.now() - started) / 1000 };
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}): Promise<{ data?: any; errors?: { message: string }[] }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: any; errors?: { message: string }[] };
}

async function trainThroughApi(
  database: ReturnType<typeof connectDatabase>,
  url: string,
): Promise<{ id: string; version: number; artifactBytes: number; trainingSeconds: number; metrics: any }> {
  const trainingServer = await startServer({
    config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ADMIN_API_KEY: API_KEY, DATABASE_URL: url }),
    database,
    databaseUrl: url,
    logger: createLogger('silent'),
    port: 0,
    host: '127.0.0.1',
  });
  const queued = await gql(trainingServer.url, `mutation { trainModel(kind: RECOMMENDER, task: "default", activation: ALWAYS) { id } }`);
  const jobId = queued.data!.trainModel.id as string;
  let job: any;
  for (;;) {
    // The in-process worker's training may stall this server's event loop: a failed poll is retried.
    const polled = await gql(trainingServer.url, `query($id: ID!) { trainingJob(id: $id) { status error modelVersion { id version artifactBytes trainingSeconds metrics } } }`, {
      id: jobId,
    }).catch(() => null);
    job = polled?.data?.trainingJob;
    if (job && (job.status === 'SUCCEEDED' || job.status === 'FAILED')) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await trainingServer.stop();
  if (job.status !== 'SUCCEEDED') throw new Error(`training failed: ${job.error}`);
  return job.modelVersion;
}

interface Step extends OpenLoopResult {
  endpoint: string;
  cpuMsPerRequest: number;
  loopP99: number;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');

async function measure(served: Served, endpoint: string, rate: number, body: () => string, cpuOf?: () => number): Promise<Step> {
  const before = cpuOf ? cpuOf() : (await served.ask<ServerStats>('stats')).cpuMs;
  const result = await openLoop({ url: served.url, headers: { 'x-api-key': API_KEY }, rate, seconds: STEP_SECONDS, body });
  const stats = cpuOf ? { cpuMs: cpuOf(), loopP99: Number.NaN } : await served.ask<ServerStats>('stats');
  return { ...result, endpoint, cpuMsPerRequest: (stats.cpuMs - before) / result.sent, loopP99: stats.loopP99 };
}

/** Steps the rate up until p95 passes the floor or an answer fails; returns every step measured. */
async function stepRates(served: Served, endpoint: string, body: () => string, cpuOf?: () => number): Promise<Step[]> {
  const steps: Step[] = [];
  for (const rate of RATES) {
    const step = await measure(served, endpoint, rate, body, cpuOf);
    steps.push(step);
    console.error(
      `  ${endpoint} @ ${rate}/s: p50 ${step.p50} p95 ${step.p95} p99 ${step.p99} ms, errors ${step.errors}${step.firstError ? ` (first: ${step.firstError.slice(0, 120)})` : ''}, ${step.cpuMsPerRequest.toFixed(2)} CPU ms/req`,
    );
    if (step.p95 > P95_FLOOR_MS || step.errors > 0) break;
  }
  return steps;
}

function highestWithinFloor(steps: readonly Step[]): number {
  let best = 0;
  for (const step of steps) if (step.p95 <= P95_FLOOR_MS && step.errors === 0) best = Math.max(best, step.rate);
  return best;
}

async function runShape(shape: Shape): Promise<string[]> {
  const reuse = process.env.BENCH_REUSE === '1';
  const keep = reuse || process.env.BENCH_KEEP === '1';
  const name = keep ? `bench_serving_${shape.name}` : `bench_serving_${shape.name}_${process.pid}`;
  const exists = reuse && (await databaseExists(name));
  if (!exists) await admin(`CREATE DATABASE ${name}`);
  const url = withDatabase(serverUrl, name);
  const database = connectDatabase(url, { poolSize: 4 });
  const lines: string[] = [];
  let served: Served | null = null;
  let servedNode = process.version;
  try {
    let seeded: { userIds: string[]; productIds: string[] };
    let version: Awaited<ReturnType<typeof trainThroughApi>>;
    if (exists) {
      seeded = await existing(database.pool);
      version = await latestVersion(database.pool);
      console.error(`${shape.name}: serving database ${name} again (BENCH_REUSE=1)`);
    } else {
      await applyMigrations(url);
      const fresh = await seed(database.pool, shape.opts);
      seeded = fresh;
      console.error(
        `${shape.name}: seeded ${shape.opts.users} customers, ${shape.opts.products} products, ${shape.opts.interactions} events in ${fresh.seconds.toFixed(1)} s; training …`,
      );
      version = await trainThroughApi(database, url);
    }
    console.error(`${shape.name}: trained version ${version.version} in ${version.trainingSeconds.toFixed(1)} s; hold-out NDCG@10 ${version.metrics.ndcgAt10.toFixed(4)}`);
    await database.pool.query(`UPDATE model_versions SET active = false WHERE kind = 'RECOMMENDER'`);

    served = await startChild(url);
    servedNode = served.node ?? servedNode;
    const users = seeded.userIds;
    const products = seeded.productIds;
    const TRIVIAL = JSON.stringify({ query: '{ serviceInfo { version } }' });
    const RECOMMEND = `query($id: ID!) { recommendations(userId: $id, limit: 10) { fallback items { score product { id name price } reason { kind text } } } }`;
    const SIMILAR = `query($id: ID!) { similarProducts(productId: $id, limit: 10) { score product { id name } } }`;
    const AUDIENCE = JSON.stringify({ query: `{ campaignAudience(campaignExternalId: "bench-campaign", limit: 100) { score reason user { id externalId } } }` });
    const recommendBody = () => JSON.stringify({ query: RECOMMEND, variables: { id: gid('User', pick(users)) } });
    const similarBody = () => JSON.stringify({ query: SIMILAR, variables: { id: gid('Product', pick(products)) } });

    await gql(served.url, '{ serviceInfo { version } }');
    const memoryBefore = await served.ask<Memory>('memory');
    await database.pool.query(`UPDATE model_versions SET active = true, activated_at = now() WHERE id = $1::uuid`, [Buffer.from(version.id, 'base64url').toString().split(':')[1]]);
    const loadStarted = performance.now();
    for (let attempt = 0; ; attempt++) {
      const answer = await gql(served.url, RECOMMEND, { id: gid('User', users[1]!) });
      if (answer.data?.recommendations.fallback === false) break;
      if (attempt > 1500) throw new Error(`the activated model was not served within 30 s: ${JSON.stringify(answer).slice(0, 300)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const loadMs = performance.now() - loadStarted;
    // Warm-up (JIT, caches) outside the figures.
    await openLoop({ url: served.url, headers: { 'x-api-key': API_KEY }, rate: 100, seconds: 2, body: recommendBody });
    await openLoop({ url: served.url, headers: { 'x-api-key': API_KEY }, rate: 100, seconds: 2, body: similarBody });
    const memoryAfter = await served.ask<Memory>('memory');

    const steps: Step[] = [];
    for (const [endpoint, body] of [
      ['serviceInfo (trivial)', () => TRIVIAL],
      ['recommendations HYBRID limit 10', recommendBody],
      ['similarProducts limit 10', similarBody],
    ] as const) {
      steps.push(...(await stepRates(served, endpoint, body)));
    }
    const audience = await measure(served, 'campaignAudience limit 100', AUDIENCE_RATE, () => AUDIENCE);
    steps.push(audience);
    await served.stop();
    served = null;

    let cluster: Step[] = [];
    if (PROCESSES > 1 && shape.name === 'catalogue') {
      const main = await startMain(url, PROCESSES);
      try {
        // Parallel requests open several connections, which the primary hands to different
        // processes: every process loads its model here, not inside a measured step.
        for (let round = 0; round < 10; round++) {
          await Promise.all(Array.from({ length: 4 * PROCESSES }, () => gql(main.url, RECOMMEND, { id: gid('User', pick(users)) })));
        }
        await openLoop({ url: main.url, headers: { 'x-api-key': API_KEY }, rate: 100, seconds: 2, body: recommendBody });
        const served2: Served = { url: main.url, ask: () => Promise.reject(new Error('no IPC')), stop: main.stop };
        cluster = await stepRates(served2, `${PROCESSES} processes: recommendations`, recommendBody, () => treeCpuMs(main.pid));
        steps.push(...cluster);
      } finally {
        await main.stop();
      }
    }

    const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    lines.push(`### ${shape.name}: ${shape.opts.users} customers × ${shape.opts.products} products × ${shape.opts.interactions} events (${shape.description})`);
    lines.push(`one server process (Node.js ${servedNode}), production mode; open loop, ${STEP_SECONDS} s per step; load average after the run ${load}`);
    lines.push('');
    lines.push('| endpoint | rate req/s | answered req/s | p50 ms | p95 ms | p99 ms | errors | server CPU ms/req | event-loop p99 ms |');
    lines.push('|---|---|---|---|---|---|---|---|---|');
    for (const s of steps) {
      lines.push(
        `| ${s.endpoint} | ${s.rate} | ${s.achieved.toFixed(0)} | ${s.p50} | ${s.p95} | ${s.p99} | ${s.errors} | ${s.cpuMsPerRequest.toFixed(2)} | ${Number.isNaN(s.loopP99) ? '–' : s.loopP99.toFixed(1)} |`,
      );
    }
    lines.push('');
    const byEndpoint = new Map<string, Step[]>();
    for (const s of steps) byEndpoint.set(s.endpoint, [...(byEndpoint.get(s.endpoint) ?? []), s]);
    const trivial = highestWithinFloor(byEndpoint.get('serviceInfo (trivial)') ?? []);
    for (const [endpoint, list] of byEndpoint) {
      if (endpoint.startsWith('campaignAudience')) continue;
      const best = highestWithinFloor(list);
      lines.push(
        `- ${endpoint}: highest stepped rate with p95 ≤ ${P95_FLOOR_MS} ms and no error: **${best} req/s**${endpoint.startsWith('serviceInfo') ? '' : ` (serviceInfo: ${trivial} req/s in the same run)`}`,
      );
    }
    for (const endpoint of ['recommendations HYBRID limit 10', 'similarProducts limit 10']) {
      const at = byEndpoint.get(endpoint)?.find((s) => s.rate === FLOOR_RATE);
      lines.push(
        `- floor ${endpoint} @ ${FLOOR_RATE} req/s p95 ≤ ${P95_FLOOR_MS} ms, no error: ${at ? `p95 ${at.p95} ms, ${at.errors} errors → ${at.p95 <= P95_FLOOR_MS && at.errors === 0 ? 'PASS' : 'ABOVE FLOOR'}` : 'not reached (stepping stopped below it) → ABOVE FLOOR'}`,
      );
    }
    lines.push(
      `- floor campaignAudience(limit 100) @ ${AUDIENCE_RATE} req/s p95 ≤ ${AUDIENCE_FLOOR_MS} ms: p95 ${audience.p95} ms, ${audience.errors} errors → ${audience.p95 <= AUDIENCE_FLOOR_MS && audience.errors === 0 ? 'PASS' : 'ABOVE FLOOR'}`,
    );
    const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    lines.push(
      `- model: artefact ${mb(version.artifactBytes)} MB; first request after activation ${loadMs.toFixed(0)} ms (load + catalogue); server after a full GC: RSS ${mb(memoryBefore.rss)} → ${mb(memoryAfter.rss)} MB, heap + ArrayBuffers ${mb(memoryBefore.heapUsed + memoryBefore.arrayBuffers)} → ${mb(memoryAfter.heapUsed + memoryAfter.arrayBuffers)} MB with the model loaded`,
    );
    lines.push('');
    return lines;
  } finally {
    await served?.stop();
    await database.close();
    if (!keep) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    else console.log(`kept database ${name} (BENCH_REUSE=1 serves it again without seeding or training)`);
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

async function existing(pool: pg.Pool): Promise<{ userIds: string[]; productIds: string[] }> {
  const users = await pool.query<{ id: string }>(`SELECT id::text FROM users ORDER BY substr(external_id, 3)::int`);
  const products = await pool.query<{ id: string }>(`SELECT id::text FROM products ORDER BY substr(external_id, 3)::int`);
  return { userIds: users.rows.map((r) => r.id), productIds: products.rows.map((r) => r.id) };
}

async function latestVersion(pool: pg.Pool): Promise<Awaited<ReturnType<typeof trainThroughApi>>> {
  const { rows } = await pool.query(
    `SELECT id::text, version, length(artifact) AS "artifactBytes", training_seconds AS "trainingSeconds", metrics FROM model_versions WHERE kind = 'RECOMMENDER' ORDER BY version DESC LIMIT 1`,
  );
  return { ...rows[0], id: Buffer.from(`ModelVersion:${rows[0].id}`).toString('base64url') };
}

/** `npm start` (src/main.ts) on the benchmark database with `processes` server processes. */
async function startMain(databaseUrl: string, processes: number): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child: ChildProcess = spawn(process.env.BENCH_NODE || process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../src/main.ts', import.meta.url))], {
    env: { ...process.env, ...PRODUCTION, DATABASE_URL: databaseUrl, WEB_CONCURRENCY: String(processes), PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || i > 600) throw new Error(`npm start with WEB_CONCURRENCY=${processes} did not start`);
    const ready = await fetch(url.replace('/graphql', '/readyz'))
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function main(): Promise<void> {
  const wanted = (process.env.BENCH_SHAPES ?? 'catalogue,ml').split(',');
  const report: string[] = [];
  for (const shape of SHAPES.filter((s) => wanted.includes(s.name))) report.push(...(await runShape(shape)));
  console.log(`\nRecommender serving, open loop (npm run bench:serving; rates ${RATES.join(', ')})\n`);
  console.log(report.join('\n'));
}
