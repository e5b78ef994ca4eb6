/**
 * Event loop under heavy requests: `npm run bench:heavy` (`npx tsx bench/heavy-requests.ts`).
 *
 * One API server in this process (so `monitorEventLoopDelay` sees its event loop) on a fresh
 * database `bench_heavy_<pid>` of the local PostgreSQL (DATABASE_URL, default
 * postgresql://postgres@127.0.0.1:5432/postgres): BENCH_FEEDBACK (3,000) labelled reviews, a
 * classifier and a recommender trained through the real job path, BENCH_USERS (30,000) customers
 * with consent. Then each heavy request runs BENCH_REPEATS (3) times while `/healthz` is probed
 * every 5 ms by a client in the same process: the table prints the request's time, the longest
 * event-loop stall (max delay) and its p99, and the longest `/healthz` wait, beside the same
 * figures for the trivial `serviceInfo`. The ~50 ms budget of one slice is SLICE_BUDGET_MS
 * (src/modules/common/cooperative.ts). BENCH_CASES=audience,classify runs only the cases whose label
 * contains one of those words (the trivial baseline always runs); BENCH_KEEP=1 keeps the database.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../src/config.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { connectDatabase } from '../src/db/prisma.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/server.ts';
import { createRandom } from '../src/ml/shared/random.ts';
import { generateFeedbackText } from '../src/seed/feedback-text.ts';
import { generateSyntheticBehaviour } from '../src/ml/synthetic/behaviour.ts';
import { admin, serverUrl, withDatabase } from './support.ts';

const FEEDBACK = Number(process.env.BENCH_FEEDBACK ?? 3000);
const USERS = Number(process.env.BENCH_USERS ?? 30_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const API_KEY = `bench-admin-key-${process.pid}-0123456789`;
const name = `bench_heavy_${process.pid}`;

type Gql = (query: string, variables?: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * The data set, generated in this scope so that none of the generator's objects stays reachable
 * while the server is measured: a server process does not hold them, and a larger heap would
 * lengthen every garbage collection the figures include. Returns the texts `classify` is sent.
 */
async function seed(gql: Gql, database: ReturnType<typeof connectDatabase>): Promise<string[]> {
  console.log(`seeding ${FEEDBACK} labelled reviews and ${USERS} customers …`);
  const random = createRandom(11);
  const feedback = Array.from({ length: FEEDBACK }, (_, i) => {
    const row = generateFeedbackText(random, { productName: ['lamp', 'kettle', 'headphones'][i % 3]! });
    return { externalId: `fb-${i}`, channel: 'REVIEW', text: row.text, labels: [{ task: 'sentiment', label: row.sentiment }] };
  });
  for (let i = 0; i < feedback.length; i += 1000) {
    await gql(`mutation ($input: [FeedbackInput!]!) { submitFeedback(input: $input) { failed } }`, { input: feedback.slice(i, i + 1000) });
  }
  const world = generateSyntheticBehaviour({ users: USERS, products: 2000, interactions: USERS * 5, seed: 21 });
  await database.pool.query(`INSERT INTO users (id, external_id, marketing_consent) SELECT gen_random_uuid(), 'su-' || g, true FROM generate_series(0, $1::int - 1) g`, [USERS]);
  await database.pool.query(
    `INSERT INTO products (id, external_id, name, category, price) SELECT gen_random_uuid(), 'sp-' || i, 'Product ' || i, c, p
     FROM unnest($1::int[], $2::text[], $3::numeric[]) AS x(i, c, p)`,
    [world.products.map((p) => p.index), world.products.map((p) => p.category), world.products.map((p) => p.price)],
  );
  await database.pool.query(
    `INSERT INTO interactions (dedupe_key, user_id, product_id, type, value, occurred_at)
     SELECT 'si-' || x.n, u.id, p.id, x.type::"InteractionType", x.value, x.at
     FROM unnest($1::int[], $2::int[], $3::text[], $4::float8[], $5::timestamptz[]) WITH ORDINALITY AS x(ui, pi, type, value, at, n)
     JOIN users u ON u.external_id = 'su-' || x.ui JOIN products p ON p.external_id = 'sp-' || x.pi`,
    [
      world.interactions.map((it) => it.user),
      world.interactions.map((it) => it.product),
      world.interactions.map((it) => it.type),
      world.interactions.map((it) => it.value),
      world.interactions.map((it) => it.occurredAt.toISOString()),
    ],
  );
  return Array.from({ length: 1000 }, (_, i) => `${feedback[i % feedback.length]!.text} ${'and more words about the order '.repeat(150)}`.slice(0, 5000));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  await admin(`CREATE DATABASE ${name}`);
  const url = withDatabase(serverUrl, name);
  await applyMigrations(url);
  const database = connectDatabase(url, { poolSize: 8 });
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    ADMIN_API_KEY: API_KEY,
    DATABASE_URL: url,
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    DATA_HASH_KEY: Buffer.alloc(32, 9).toString('base64'),
    RATE_LIMIT_ADMIN_PER_MINUTE: '0',
  });
  const server = await startServer({ config, database, databaseUrl: url, logger: createLogger('error'), port: 0, host: '127.0.0.1' });
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(`${query.slice(0, 60)}: ${body.errors[0]!.message}`);
    return body.data!;
  };
  try {
    const texts = await seed(gql, database);
    await gql(`mutation { upsertCampaigns(input: [{ externalId: "c1", name: "Bench", channel: EMAIL, productExternalIds: ["sp-1", "sp-2", "sp-3"] }]) { failed } }`);
    console.log('training a classifier and a recommender …');
    for (const kind of ['TEXT_CLASSIFIER', 'RECOMMENDER']) {
      const task = kind === 'RECOMMENDER' ? 'default' : 'sentiment';
      const queued = await gql(`mutation { trainModel(kind: ${kind}, task: "${task}", activation: ALWAYS) { id } }`);
      const id = (queued.trainModel as { id: string }).id;
      for (;;) {
        const job = (await gql(`query ($id: ID!) { trainingJob(id: $id) { status error } }`, { id })).trainingJob as { status: string; error: string | null };
        if (job.status === 'SUCCEEDED') break;
        if (job.status === 'FAILED' || job.status === 'CANCELLED') throw new Error(`${kind}: ${job.error}`);
        await sleep(500);
      }
    }

    const allCases: [string, () => Promise<unknown>][] = [
      ['serviceInfo (trivial)', () => gql(`{ serviceInfo { version } }`)],
      ['classify 1,000 texts × 5,000 chars', () => gql(`query ($texts: [String!]!) { classify(task: "sentiment", texts: $texts) { results { label } } }`, { texts })],
      [
        'feedbackInsights, 5,000 sampled texts',
        () => gql(`{ feedbackInsights(from: "2020-01-01", to: "2030-12-31", granularity: MONTH, termSampleSize: 5000) { termTextsAnalysed terms { label terms { term } } } }`),
      ],
      ['campaignAudience limit 1,000', () => gql(`{ campaignAudience(campaignExternalId: "c1", limit: 1000) { score } }`)],
      ['campaignAudience limit 10,000', () => gql(`{ campaignAudience(campaignExternalId: "c1", limit: 10000) { score } }`)],
    ];
    const wanted = (process.env.BENCH_CASES ?? '')
      .split(',')
      .map((word) => word.trim().toLowerCase())
      .filter(Boolean);
    const cases = allCases.filter(([label], i) => i === 0 || wanted.length === 0 || wanted.some((word) => label.toLowerCase().includes(word)));
    const healthz = server.url.replace('/graphql', '/healthz');
    const rows: string[][] = [];
    for (const [label, run] of cases) {
      await run(); // warm (model load, JIT)
      for (let r = 0; r < REPEATS; r++) {
        const histogram = monitorEventLoopDelay({ resolution: 1 });
        let running = true;
        let longestHealth = 0;
        const probes = (async () => {
          while (running) {
            const started = performance.now();
            await fetch(healthz);
            longestHealth = Math.max(longestHealth, performance.now() - started);
            await sleep(5);
          }
        })();
        histogram.enable();
        const started = performance.now();
        await run();
        const took = performance.now() - started;
        histogram.disable();
        running = false;
        await probes;
        rows.push([label, took.toFixed(0), (histogram.max / 1e6).toFixed(1), (histogram.percentile(99) / 1e6).toFixed(1), longestHealth.toFixed(1)]);
      }
    }
    const header = ['request', 'took ms', 'max stall ms', 'p99 stall ms', 'longest /healthz ms'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
    console.log(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const row of rows) console.log(line(row));
  } finally {
    await server.stop();
    await database.close();
    if (!process.env.BENCH_KEEP) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
