/**
 * Analytics benchmark: campaignStats (a year by week) and feedbackInsights (a category by month)
 * over real HTTP against the real server, on the LARGE seed (100k users, 10k products, 1M
 * interactions, 100k feedback, 200 campaigns) in a dedicated database `bench_analytics_<pid>` of
 * the local PostgreSQL.
 *
 *   npx tsx bench/analytics.ts
 *
 * Environment: DATABASE_URL (the server; default postgresql://postgres@127.0.0.1:5432/postgres),
 * BENCH_RUNS (100 measured requests per query after 10 warm-ups), BENCH_DATABASE=<name> reuses an
 * already seeded database (e.g. one kept by BENCH_KEEP=1) instead of creating and seeding one.
 *
 * The data set is written through the services (seedDataset, the same path as `npm run db:seed --
 * large`). The seed stores no model predictions, so the benchmark adds them with one set-based
 * INSERT: a stand-in model version and a prediction for 80% of the feedback (the human label where
 * there is one), so the insights query joins predictions as it would in production.
 */
import { loadConfig } from '../src/config.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { connectDatabase } from '../src/db/prisma.ts';
import { createLogger } from '../src/logger.ts';
import { seedDataset } from '../src/seed/demo.ts';
import { LARGE_SIZE } from '../src/seed/generator.ts';
import { startServer } from '../src/server.ts';
import { createServices } from '../src/app/services.ts';
import { admin, serverUrl, withDatabase } from './support.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 100);
const WARMUP = 10;
const BENCH_API_KEY = `bench-admin-key-${process.pid}-0123456789`;
const reuse = process.env.BENCH_DATABASE;
const databaseName = reuse ?? `bench_analytics_${process.pid}`;
const KEYS = { DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'), DATA_HASH_KEY: Buffer.alloc(32, 9).toString('hex') };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const url = withDatabase(serverUrl, databaseName);
const dropOnFailure = (error: unknown) => {
  console.error(error);
  if (reuse || process.env.BENCH_KEEP) process.exit(1);
  admin(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).finally(() => process.exit(1));
};
process.on('uncaughtException', dropOnFailure);
process.on('unhandledRejection', dropOnFailure);
if (!reuse) {
  await admin(`DROP DATABASE IF EXISTS ${databaseName}`);
  await admin(`CREATE DATABASE ${databaseName}`);
  await applyMigrations(url);
  const seeding = connectDatabase(url, { poolSize: 4 });
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: url, MAX_BATCH_SIZE: '10000', ADMIN_API_KEY: BENCH_API_KEY, ...KEYS });
  let last = '';
  // 2,000-row batches: a 10,000-row users batch can outlast Prisma's 5 s interactive-transaction
  // timeout on a busy machine (users are encrypted row by row inside the transaction).
  const report = await seedDataset(createServices(seeding.prisma, config), LARGE_SIZE, {
    batchSize: 2_000,
    onProgress: (stage, done, total) => {
      const line = `${stage} ${Math.floor((done / total) * 10) * 10}%`;
      if (line !== last) process.stderr.write(`  seeding ${line}\n`);
      last = line;
    },
  });
  console.log(`seeded ${databaseName} through the services in ${report.seconds} s:`, report);
  await seeding.prisma.$executeRawUnsafe(`
    WITH model AS (
      INSERT INTO model_versions (id, kind, task, version, labels) VALUES (gen_random_uuid(), 'TEXT_CLASSIFIER', 'sentiment', 1, '{negative,neutral,positive}')
      RETURNING id
    )
    INSERT INTO feedback_predictions (feedback_id, task, label, confidence, scores, model_version_id)
    SELECT f.id, 'sentiment', COALESCE(l.label, 'neutral'), 0.9, '{}'::jsonb, model.id
    FROM feedback f CROSS JOIN model LEFT JOIN feedback_labels l ON l.feedback_id = f.id AND l.task = 'sentiment'
    WHERE abs(hashtext(f.id::text)) % 10 < 8`);
  await seeding.prisma.$executeRawUnsafe('ANALYZE');
  await seeding.close();
}

const database = connectDatabase(url, { poolSize: 10 });
const config = loadConfig({
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  DATABASE_URL: url,
  ADMIN_API_KEY: BENCH_API_KEY,
  RATE_LIMIT_PER_MINUTE: '0',
  RATE_LIMIT_ADMIN_PER_MINUTE: '0',
  ...KEYS,
});
const server = await startServer({ config, database: { ...database }, databaseUrl: url, logger: createLogger('silent'), port: 0, host: '127.0.0.1' });

async function gql(query: string, variables: Record<string, unknown>): Promise<{ ms: number; body: { data?: unknown; errors?: unknown[] } }> {
  const started = performance.now();
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': BENCH_API_KEY },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
  const ms = performance.now() - started;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return { ms, body };
}

// The campaign with the most tracked events, and the category with the most feedback.
const [busiest] = await database.prisma.$queryRaw<{ external_id: string; events: number }[]>`
  SELECT c.external_id, count(*)::int AS events FROM interactions i JOIN campaigns c ON c.id = i.campaign_id
  GROUP BY c.external_id ORDER BY events DESC LIMIT 1`;
const [category] = await database.prisma.$queryRaw<{ category: string; n: number }[]>`
  SELECT p.category, count(*)::int AS n FROM feedback f JOIN products p ON p.id = f.product_id
  GROUP BY p.category ORDER BY n DESC LIMIT 1`;
const [counts] = await database.prisma.$queryRaw<{ interactions: number; feedback: number; predictions: number }[]>`
  SELECT (SELECT count(*) FROM interactions)::int AS interactions, (SELECT count(*) FROM feedback)::int AS feedback,
    (SELECT count(*) FROM feedback_predictions)::int AS predictions`;

const cases = [
  {
    name: `campaignStats: ${busiest!.external_id}, 2026-01-01..2026-12-31 by WEEK (metrics + attribution)`,
    query: `query($c: String!) { campaignStats(campaignExternalId: $c, from: "2026-01-01", to: "2026-12-31", granularity: WEEK) {
      buckets { start metrics { impressions clicks conversions spend revenue ctr conversionRate costPerAcquisition roas }
        attribution { trackedClicks purchases directPurchases units buyers } }
      total { impressions ctr roas } totalAttribution { purchases buyers } } }`,
    variables: { c: busiest!.external_id },
  },
  {
    name: `feedbackInsights: category "${category!.category}" (${category!.n} items), 2026 by MONTH, with terms (default sample: 2000 texts)`,
    query: `query($cat: String!) { feedbackInsights(category: $cat, from: "2026-01-01", to: "2026-12-31", granularity: MONTH) {
      termTextsInSlice termTextsAnalysed
      buckets { start volume averageRating predicted { label count share } human { label count share } }
      terms { label texts terms { term score count } } } }`,
    variables: { cat: category!.category },
  },
  {
    name: `feedbackInsights: category "${category!.category}", 2026 by MONTH, without terms (termSampleSize: 0)`,
    query: `query($cat: String!) { feedbackInsights(category: $cat, from: "2026-01-01", to: "2026-12-31", granularity: MONTH, termSampleSize: 0) {
      buckets { start volume averageRating predicted { label count } human { label count } } } }`,
    variables: { cat: category!.category },
  },
];

console.log(
  `\ndatabase ${databaseName}: ${counts!.interactions} interactions, ${counts!.feedback} feedback, ${counts!.predictions} predictions; ${RUNS} sequential requests per query after ${WARMUP} warm-ups\n`,
);
console.log('| Query | p50 ms | p95 ms | max ms |');
console.log('| --- | ---: | ---: | ---: |');
for (const bench of cases) {
  for (let i = 0; i < WARMUP; i += 1) await gql(bench.query, bench.variables);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) times.push((await gql(bench.query, bench.variables)).ms);
  times.sort((a, b) => a - b);
  console.log(`| ${bench.name} | ${percentile(times, 50).toFixed(1)} | ${percentile(times, 95).toFixed(1)} | ${times[times.length - 1]!.toFixed(1)} |`);
}

await server.stop();
await database.close().catch(() => undefined);
if (!reuse && !process.env.BENCH_KEEP) await admin(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
else console.log(`\nkept database ${databaseName} (reuse with BENCH_DATABASE=${databaseName})`);
