/**
 * Recommender serving benchmark over real HTTP: `npx tsx bench/serving.ts` (or `npm run bench:serving`).
 *
 * 1. A fresh database `bench_serving_<pid>` on the local PostgreSQL (DATABASE_URL, default
 *    postgresql://postgres@127.0.0.1:5432/postgres), migrated, seeded with set-based SQL from the
 *    core's synthetic generator (planted taste clusters): BENCH_USERS (10k) users, BENCH_PRODUCTS
 *    (10k) products, BENCH_INTERACTIONS (100k) interactions.
 * 2. A recommender trained through the real job path (trainModel over HTTP, pg-boss, worker).
 * 3. A separate server process (so the load generator does not share its event loop) serves
 *    while autocannon drives it with BENCH_CONNECTIONS (50) connections for BENCH_SECONDS (10) per case:
 *    baselines first (serviceInfo, the POPULAR fallback with no active model), then, after the model
 *    is activated and loaded, recommendations for random users, similarProducts for random products and
 *    campaignAudience; closed loop (saturation) and open loop at BENCH_RATE (100) req/s over the same
 *    connections (latency at load). The server reports its memory after a full GC before and after the
 *    model is loaded. BENCH_KEEP=1 keeps the database; BENCH_REUSE=<database> serves it again without
 *    seeding or training; BENCH_CPU_PROF=<dir> writes a CPU profile of the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { connectDatabase } from '../src/db/prisma.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/server.ts';
import { createSyntheticWorld, iterateSyntheticInteractions, type SyntheticBehaviourOptions } from '../src/ml/synthetic/behaviour.ts';
import { admin, serverUrl, withDatabase } from './support.ts';

const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 10_000);
const INTERACTIONS = Number(process.env.BENCH_INTERACTIONS ?? 100_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const API_KEY = `bench-admin-key-${process.pid}-0123456789`;
const P95_FLOOR_MS = 20;
/** Open-loop arrival rate (req/s over all connections) for the latency-at-load cases. */
const RATE = Number(process.env.BENCH_RATE ?? 100);
/** Server processes for the cluster cases (`npm start` with WEB_CONCURRENCY); 1 skips them. */
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 2);



// ---------------------------------------------------------------------------------------------
// Child mode: just the server.
if (process.argv.includes('--serve')) {
  const url = process.env.BENCH_DB_URL!;
  const database = connectDatabase(url, { poolSize: 10 });
  // Rate limits off: the benchmark measures serving, not the limiter's 429s.
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ADMIN_API_KEY: process.env.BENCH_API_KEY!, WORKER_MODE: 'off', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_ADMIN_PER_MINUTE: '0' });
  const server = await startServer({ config, database, databaseUrl: url, logger: createLogger('silent'), port: 0, host: '127.0.0.1' });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  // The parent asks for memory after a full GC (the child runs with --expose-gc).
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    process.stdout.write(`${JSON.stringify({ memory: { rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, external: m.external } })}\n`);
  });
  process.on('SIGTERM', () => {
    void server.stop().finally(() => database.close().finally(() => process.exit(0)));
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}


async function seed(pool: pg.Pool): Promise<{ userIds: string[]; productIds: string[]; seconds: number }> {
  const started = performance.now();
  const opts: SyntheticBehaviourOptions = { users: USERS, products: PRODUCTS, interactions: INTERACTIONS, clusters: 8, seed: 17 };
  const world = createSyntheticWorld(opts);
  await pool.query(
    `INSERT INTO users (id, external_id, marketing_consent, attributes)
     SELECT gen_random_uuid(), 'u-' || g, g % 2 = 0, jsonb_build_object('segment', 'c' || (g % 8)) FROM generate_series(0, $1::int - 1) g`,
    [USERS],
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
  const userIds = new Array<string>(USERS);
  for (const row of (await pool.query<{ id: string; n: number }>(`SELECT id::text, substr(external_id, 3)::int AS n FROM users`)).rows) userIds[row.n] = row.id;
  const productIds = new Array<string>(PRODUCTS);
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
    batch.push({ u: userIds[it.user], p: productIds[it.product], t: it.type, v: it.value, o: it.occurredAt });
    n += 1;
    if (batch.length >= 20_000) await flush();
  }
  await flush();
  // One campaign targeting five products of the first taste cluster, for campaignAudience.
  const targets = world.products.filter((p) => p.cluster === 0).slice(0, 5).map((p) => productIds[p.index]);
  const campaign = await pool.query<{ id: string }>(`INSERT INTO campaigns (id, external_id, name, channel) VALUES (gen_random_uuid(), 'bench-campaign', 'Bench campaign', 'EMAIL') RETURNING id::text`);
  await pool.query(`INSERT INTO campaign_products (campaign_id, product_id) SELECT $1::uuid, unnest($2::uuid[])`, [campaign.rows[0].id, targets]);
  await pool.query('ANALYZE');
  return { userIds, productIds, seconds: (performance.now() - started) / 1000 };
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}): Promise<{ data?: any; errors?: { message: string }[] }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: any; errors?: { message: string }[] };
}

interface Memory {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
  external: number;
}

function startChild(url: string): Promise<{ child: ChildProcess; url: string; memory: () => Promise<Memory> }> {
  const child = spawn(process.execPath, ['--expose-gc', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), ...process.execArgv, fileURLToPath(import.meta.url), '--serve'], {
    env: { ...process.env, BENCH_DB_URL: url, BENCH_API_KEY: API_KEY },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const waiting: ((m: Memory) => void)[] = [];
  const memory = () =>
    new Promise<Memory>((resolve) => {
      waiting.push(resolve);
      child.kill('SIGUSR2');
    });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
        if (!line.startsWith('{')) continue;
        const message = JSON.parse(line) as { url?: string; memory?: Memory };
        if (message.url) resolve({ child, url: message.url, memory });
        if (message.memory) waiting.shift()?.(message.memory);
      }
    });
    child.on('exit', (code) => reject(new Error(`server process exited with ${code}`)));
  });
}

interface Row {
  label: string;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
}

/** autocannon with a fresh random request body per request; checks a sample answer first. */
async function load(label: string, url: string, makeBody: () => { query: string; variables: Record<string, unknown> }, seconds = SECONDS, overallRate?: number): Promise<Row> {
  const sample = makeBody();
  const check = await gql(url, sample.query, sample.variables);
  if (check.errors || !check.data) throw new Error(`${label}: sample request failed: ${JSON.stringify(check.errors)}`);
  // Exact percentiles from every response time (autocannon's summary has p50/p97.5/p99 but no p95).
  const times: number[] = [];
  let instance!: autocannon.Instance;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: seconds,
        ...(overallRate ? { overallRate } : {}),
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
            setupRequest: (request) => ({ ...request, body: JSON.stringify(makeBody()) }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    times.push(responseTime);
  });
  const result = await done;
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] * 10) / 10;
  return {
    label,
    requests: result.requests.total,
    rps: result.requests.average,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

const pick = <T,>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];

async function main(): Promise<void> {
  // BENCH_REUSE=<database> serves an existing benchmark database (kept by BENCH_KEEP=1) without seeding or training.
  const reuse = process.env.BENCH_REUSE;
  const name = reuse ?? `bench_serving_${process.pid}`;
  if (!reuse) {
    await admin(`DROP DATABASE IF EXISTS ${name}`);
    await admin(`CREATE DATABASE ${name}`);
  }
  const url = withDatabase(serverUrl, name);
  const database = connectDatabase(url, { poolSize: 4 });
  let child: ChildProcess | null = null;
  try {
    const seeded = reuse ? await existing(database.pool) : (await applyMigrations(url), await seed(database.pool));
    if (!reuse) console.log(`seeded ${USERS} users, ${PRODUCTS} products, ${INTERACTIONS} interactions in ${seeded.seconds.toFixed(1)} s`);

    // Train through the real job path: trainModel over HTTP, the pg-boss queue and an in-process worker.
    const version = reuse ? await latestVersion(database.pool) : await trainThroughApi(database, url);

    // Serve from a separate process; start with no active model for the fallback baseline.
    await database.pool.query(`UPDATE model_versions SET active = false WHERE kind = 'RECOMMENDER'`);
    const started = await startChild(url);
    child = started.child;
    const server = started.url;
    const pid = child.pid!;
    const userIds = seeded.userIds.filter((_, i) => i % 3 !== 2); // mostly known users, some without history
    const productIds = seeded.productIds;
    const RECOMMEND = `query($id: ID!) { recommendations(userId: $id, limit: 10) { fallback modelVersion { version } items { score product { id name price } reason { kind text } } } }`;
    const SIMILAR = `query($id: ID!) { similarProducts(productId: $id, limit: 10) { score product { id name } } }`;
    const AUDIENCE = `query { campaignAudience(campaignExternalId: "bench-campaign", limit: 100) { score reason user { id externalId } } }`;
    const userGid = (id: string) => Buffer.from(`User:${id}`).toString('base64url');
    const productGid = (id: string) => Buffer.from(`Product:${id}`).toString('base64url');

    await gql(server, `{ serviceInfo { version } }`);
    const rows: Row[] = [];
    rows.push(await load('baseline: serviceInfo', server, () => ({ query: `{ serviceInfo { version } }`, variables: {} })));
    const fallbackCheck = await gql(server, RECOMMEND, { id: userGid(userIds[0]) });
    if (fallbackCheck.data?.recommendations.fallback !== true) throw new Error('expected the fallback with no active model');
    rows.push(await load('baseline: recommendations, POPULAR fallback (no model)', server, () => ({ query: RECOMMEND, variables: { id: userGid(pick(userIds)) } })));

    const memBefore = await started.memory();
    await database.pool.query(`UPDATE model_versions SET active = true, activated_at = now() WHERE id = $1::uuid`, [Buffer.from(version.id, 'base64url').toString().split(':')[1]]);
    const loadStarted = performance.now();
    for (;;) {
      const answer = await gql(server, RECOMMEND, { id: userGid(userIds[1]) });
      if (answer.data?.recommendations.fallback === false) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const loadMs = performance.now() - loadStarted;
    const memAfter = await started.memory();

    const recommendBody = () => ({ query: RECOMMEND, variables: { id: userGid(pick(userIds)) } });
    const similarBody = () => ({ query: SIMILAR, variables: { id: productGid(pick(productIds)) } });
    rows.push(await load('recommendations HYBRID, limit 10, random users', server, recommendBody));
    rows.push(await load('similarProducts COSINE, limit 10, random products', server, similarBody));
    rows.push(await load('campaignAudience, limit 100 (5 target products)', server, () => ({ query: AUDIENCE, variables: {} }), Math.max(3, Math.round(SECONDS / 2))));
    // Open loop: the same 50 connections, requests arriving at a fixed total rate (latency at load, not at saturation).
    rows.push(await load(`baseline: serviceInfo @ ${RATE} req/s`, server, () => ({ query: `{ serviceInfo { version } }`, variables: {} }), SECONDS, RATE));
    rows.push(await load(`recommendations HYBRID @ ${RATE} req/s`, server, recommendBody, SECONDS, RATE));
    rows.push(await load(`similarProducts COSINE @ ${RATE} req/s`, server, similarBody, SECONDS, RATE));
    const memEnd = await started.memory();
    child.kill('SIGTERM');
    await new Promise((resolve) => child!.once('exit', resolve));

    // The production entry point with WEB_CONCURRENCY server processes sharing the port.
    if (PROCESSES > 1) {
      const main = await startMain(url, PROCESSES);
      try {
        // Each process loads the active model on its first recommendation request: warm them all up.
        for (let i = 0; i < 20 * PROCESSES; i++) await postOnNewConnection(main.url, JSON.stringify(recommendBody()));
        const label = (what: string) => `${PROCESSES} processes: ${what}`;
        rows.push(await load(label('baseline: serviceInfo'), main.url, () => ({ query: `{ serviceInfo { version } }`, variables: {} })));
        rows.push(await load(label('recommendations HYBRID'), main.url, recommendBody));
        rows.push(await load(label('similarProducts COSINE'), main.url, similarBody));
        rows.push(await load(label(`recommendations HYBRID @ ${RATE * PROCESSES} req/s`), main.url, recommendBody, SECONDS, RATE * PROCESSES));
      } finally {
        await main.stop();
      }
    }
    const rssBefore = memBefore.rss / 2 ** 20;
    const rssAfter = memAfter.rss / 2 ** 20;
    const rssEnd = memEnd.rss / 2 ** 20;
    const heapBuffers = (m: Memory) => (m.heapUsed + m.arrayBuffers) / 2 ** 20;
    console.log(`\nRecommender serving over HTTP: ${CONNECTIONS} connections, ${SECONDS} s per case, ${PRODUCTS} products, ${USERS} users, ${INTERACTIONS} interactions`);
    console.log(`PostgreSQL: ${serverUrl.replace(/\/\/[^@]*@/, '//')} (database ${name}); server in its own process (pid ${pid}); load avg ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
    const pad = (s: string, n: number) => s.padEnd(n);
    console.log(`| ${pad('case', 52)} | ${pad('req/s', 7)} | ${pad('p50 ms', 6)} | ${pad('p95 ms', 6)} | ${pad('p99 ms', 6)} | ${pad('requests', 8)} | errors`);
    console.log(`|${'-'.repeat(54)}|${'-'.repeat(9)}|${'-'.repeat(8)}|${'-'.repeat(8)}|${'-'.repeat(8)}|${'-'.repeat(10)}|-------`);
    for (const r of rows) {
      console.log(`| ${pad(r.label, 52)} | ${pad(r.rps.toFixed(0), 7)} | ${pad(String(r.p50), 6)} | ${pad(String(r.p95), 6)} | ${pad(String(r.p99), 6)} | ${pad(String(r.requests), 8)} | ${r.errors}`);
    }
        console.log(`\nratios to the serviceInfo baseline of the same mode (p95 / req/s):`);
    for (const r of rows.slice(1)) {
      const base = r.label.includes('processes:')
        ? rows.find((x) => x.label.includes('processes: baseline'))!
        : r.label.includes('@')
          ? rows.find((x) => x.label.startsWith('baseline: serviceInfo @'))!
          : rows[0];
      if (r === base) continue;
      console.log(`  ${pad(r.label, 52)} p95 ${(r.p95 / Math.max(1, base.p95)).toFixed(2)}x, throughput ${(r.rps / base.rps).toFixed(2)}x`);
    }
    console.log(`\nmodel artefact: ${(version.artifactBytes / 1e6).toFixed(1)} MB; first load on request (deserialise + catalogue query): ${loadMs.toFixed(0)} ms`);
    console.log(`server RSS after GC: ${rssBefore.toFixed(0)} MB before model load, ${rssAfter.toFixed(0)} MB after (${(rssAfter - rssBefore).toFixed(0)} MB), ${rssEnd.toFixed(0)} MB at the end`);
    console.log(`server heap used + ArrayBuffers after GC: ${heapBuffers(memBefore).toFixed(1)} MB before, ${heapBuffers(memAfter).toFixed(1)} MB after model load (+${(heapBuffers(memAfter) - heapBuffers(memBefore)).toFixed(1)} MB)`);
    for (const r of rows.filter((row) => row.label.includes('@') && !row.label.startsWith('baseline'))) {
      console.log(`${r.label}: p95 ${r.p95} ms (floor ${P95_FLOOR_MS} ms) ${r.p95 <= P95_FLOOR_MS ? 'PASS' : 'ABOVE FLOOR'}`);
    }
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    await database.close();
    if (!reuse && process.env.BENCH_KEEP !== '1') await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    else console.log(`kept database ${name} (BENCH_REUSE=${name} serves it again)`);
  }
}

/** One request on its own connection (no keep-alive), so the cluster primary may pick any process. */
function postOnNewConnection(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-api-key': API_KEY } }, (response) => {
      response.resume();
      response.on('end', () => resolve());
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** `npm start` (src/main.ts) on the benchmark database with `processes` server processes. */
async function startMain(databaseUrl: string, processes: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../src/main.ts', import.meta.url))], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      WEB_CONCURRENCY: String(processes),
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      SEED_DEMO_DATA: 'false',
      WORKER_MODE: 'off',
      ADMIN_API_KEY: API_KEY,
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_ADMIN_PER_MINUTE: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}/graphql`;
  for (let i = 0; !output.includes('server processes'); i++) {
    if (child.exitCode !== null || i > 600) throw new Error(`npm start with WEB_CONCURRENCY=${processes} did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function trainThroughApi(database: ReturnType<typeof connectDatabase>, url: string): Promise<any> {
  const trainingServer = await startServer({
    config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ADMIN_API_KEY: API_KEY }),
    database,
    databaseUrl: url,
    logger: createLogger('silent'),
    port: 0,
    host: '127.0.0.1',
  });
  const trainStarted = performance.now();
  const queued = await gql(trainingServer.url, `mutation { trainModel(kind: RECOMMENDER, task: "default", activation: ALWAYS) { id } }`);
  const jobId = queued.data!.trainModel.id as string;
  let job: any;
  for (;;) {
    // The in-process worker's CPU-bound training stalls this server's event loop; a kept-alive
    // socket may be reset when it wakes up, so a failed poll is simply retried.
    const polled = await gql(trainingServer.url, `query($id: ID!) { trainingJob(id: $id) { status error modelVersion { id version artifactBytes trainingSeconds backend metrics } } }`, { id: jobId }).catch(() => null);
    if (!polled) continue;
    job = polled.data.trainingJob;
    if (job.status === 'SUCCEEDED' || job.status === 'FAILED') break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await trainingServer.stop();
  if (job.status !== 'SUCCEEDED') throw new Error(`training failed: ${job.error}`);
  const version = job.modelVersion;
  const jobSeconds = (performance.now() - trainStarted) / 1000;
  console.log(`trained version ${version.version} in ${version.trainingSeconds.toFixed(1)} s (job ${jobSeconds.toFixed(1)} s, backend ${version.backend}); artefact ${(version.artifactBytes / 1e6).toFixed(1)} MB`);
  console.log(`hold-out NDCG@10: model ${version.metrics.ndcgAt10.toFixed(4)}, popularity ${version.metrics.popularity.ndcgAt10.toFixed(4)}, item-kNN ${version.metrics.itemKnn.ndcgAt10.toFixed(4)}`);
  return version;
}

async function latestVersion(pool: pg.Pool): Promise<any> {
  const { rows } = await pool.query(`SELECT id::text, version, length(artifact) AS "artifactBytes", training_seconds AS "trainingSeconds", backend, metrics FROM model_versions WHERE kind = 'RECOMMENDER' ORDER BY version DESC LIMIT 1`);
  return { ...rows[0], id: Buffer.from(`ModelVersion:${rows[0].id}`).toString('base64url') };
}

async function existing(pool: pg.Pool): Promise<{ userIds: string[]; productIds: string[]; seconds: number }> {
  const users = await pool.query<{ id: string }>(`SELECT id::text FROM users ORDER BY external_id`);
  const products = await pool.query<{ id: string }>(`SELECT id::text FROM products ORDER BY external_id`);
  return { userIds: users.rows.map((r) => r.id), productIds: products.rows.map((r) => r.id), seconds: 0 };
}
