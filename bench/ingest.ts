/**
 * Ingestion benchmark: recordInteractions over real HTTP against the real server, on a fresh
 * database of the local PostgreSQL. Run: `npx tsx bench/ingest.ts` (DATABASE_URL points at the
 * server; default postgresql://postgres@127.0.0.1:5432/postgres). Options: BENCH_ROWS (10000),
 * BENCH_RUNS (3; the median is reported).
 */
import { loadConfig } from '../src/config.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { connectDatabase } from '../src/db/prisma.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/server.ts';
import { admin, serverUrl, withDatabase } from './support.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const USERS = 1_000;
const BENCH_API_KEY = `bench-admin-key-${process.pid}-0123456789`;
const PRODUCTS = 1_000;
const TYPES = ['VIEW', 'CLICK', 'ADD_TO_CART', 'PURCHASE', 'RATING'] as const;

const MUTATION = `mutation($input: [InteractionInput!]!) {
  recordInteractions(input: $input) { created updated unchanged failed }
}`;

let sequence = 0;
/** A batch of fresh events referencing users and products by externalId. */
function makeBatch(withExternalIds: boolean): Record<string, unknown>[] {
  const base = Date.UTC(2026, 0, 1);
  return Array.from({ length: ROWS }, () => {
    sequence += 1;
    const type = TYPES[sequence % TYPES.length];
    return {
      ...(withExternalIds ? { externalId: `evt-${sequence}` } : {}),
      userExternalId: `u-${sequence % USERS}`,
      productExternalId: `p-${(sequence * 7) % PRODUCTS}`,
      type,
      value: type === 'RATING' ? 1 + (sequence % 5) : type === 'PURCHASE' ? 1 + (sequence % 3) : null,
      occurredAt: new Date(base + sequence * 1000).toISOString(),
    };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const name = `bench_ingest_${process.pid}`;
  await admin(`DROP DATABASE IF EXISTS ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  const url = withDatabase(serverUrl, name);
  const database = connectDatabase(url, { poolSize: 10 });
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  try {
    await applyMigrations(url);
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ADMIN_API_KEY: BENCH_API_KEY });
    server = await startServer({ config, database, databaseUrl: url, logger: createLogger('silent'), port: 0, host: '127.0.0.1' });
    const prisma = database.prisma;
    await prisma.user.createMany({ data: Array.from({ length: USERS }, (_, i) => ({ externalId: `u-${i}` })) });
    await prisma.product.createMany({ data: Array.from({ length: PRODUCTS }, (_, i) => ({ externalId: `p-${i}`, name: `Product ${i}` })) });
    const userIds = new Map((await prisma.user.findMany({ select: { id: true, externalId: true } })).map((u) => [u.externalId, u.id]));
    const productIds = new Map((await prisma.product.findMany({ select: { id: true, externalId: true } })).map((p) => [p.externalId, p.id]));

    const post = async (input: unknown[]) => {
      const started = performance.now();
      const response = await fetch(server!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': BENCH_API_KEY },
        body: JSON.stringify({ query: MUTATION, variables: { input } }),
      });
      const body = (await response.json()) as { data?: { recordInteractions: Record<string, number> }; errors?: unknown };
      const seconds = (performance.now() - started) / 1000;
      if (!body.data) throw new Error(`request failed: ${JSON.stringify(body.errors)}`);
      return { seconds, counts: body.data.recordInteractions };
    };

    const results: { label: string; seconds: number[]; check: string }[] = [];
    const record = (label: string, seconds: number, check: string) => {
      const entry = results.find((r) => r.label === label);
      if (entry) entry.seconds.push(seconds);
      else results.push({ label, seconds: [seconds], check });
    };

    await post(makeBatch(true)); // warm-up: JIT, connection pool, plan cache
    for (let run = 0; run < RUNS; run += 1) {
      for (const withIds of [true, false]) {
        const batch = makeBatch(withIds);
        const key = withIds ? 'externalId' : 'content hash';
        const first = await post(batch);
        if (first.counts.created !== ROWS) throw new Error(`expected ${ROWS} created, got ${JSON.stringify(first.counts)}`);
        record(`GraphQL recordInteractions, new rows (${key})`, first.seconds, `created ${first.counts.created}`);
        const again = await post(batch);
        if (again.counts.unchanged !== ROWS) throw new Error(`expected ${ROWS} unchanged, got ${JSON.stringify(again.counts)}`);
        record(`GraphQL recordInteractions, re-send (${key})`, again.seconds, `unchanged ${again.counts.unchanged}`);
      }
      if (process.env.BENCH_BASELINE === '0') continue; // (for profiling the GraphQL path alone)
      // Baseline: Prisma createMany of the same kind of rows, ids already resolved, no GraphQL.
      const rows = makeBatch(true).map((row) => ({
        dedupeKey: `x:${row.externalId as string}`,
        externalId: row.externalId as string,
        userId: userIds.get(row.userExternalId as string)!,
        productId: productIds.get(row.productExternalId as string)!,
        type: row.type as (typeof TYPES)[number],
        value: row.value as number | null,
        occurredAt: new Date(row.occurredAt as string),
      }));
      // Floor: the service's own INSERT ... unnest statement through pg, ids pre-resolved, no HTTP/GraphQL/validation.
      const floorRows = makeBatch(true).map((row) => ({
        ...(row as { externalId: string; type: string; value: number | null; occurredAt: string }),
        u: userIds.get(row.userExternalId as string)!,
        p: productIds.get(row.productExternalId as string)!,
      }));
      const columns = [
        floorRows.map((r) => `x:${r.externalId as string}`),
        floorRows.map((r) => r.externalId),
        floorRows.map((r) => r.u),
        floorRows.map((r) => r.p),
        floorRows.map((r) => r.type),
        floorRows.map((r) => r.value),
        floorRows.map(() => null),
        floorRows.map((r) => r.occurredAt),
      ];
      const floorSql = `INSERT INTO interactions (dedupe_key, external_id, user_id, product_id, type, value, campaign_id, occurred_at)
        SELECT r.k, r.e, r.u, r.p, r.t::"InteractionType", r.v, r.c, r.o
        FROM unnest($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::float8[], $7::uuid[], $8::timestamptz[]) AS r(k, e, u, p, t, v, c, o)
        ON CONFLICT (dedupe_key) DO UPDATE SET user_id = EXCLUDED.user_id
        WHERE (interactions.user_id, interactions.occurred_at) IS DISTINCT FROM (EXCLUDED.user_id, EXCLUDED.occurred_at)`;
      let started = performance.now();
      const floorInsert = await database.pool.query(floorSql, columns);
      record('Floor: same SQL statement via pg, new rows (no HTTP/GraphQL)', (performance.now() - started) / 1000, `created ${floorInsert.rowCount}`);
      started = performance.now();
      await database.pool.query(floorSql, columns);
      record('Floor: same SQL statement via pg, re-send', (performance.now() - started) / 1000, 'no-op');
      started = performance.now();
      const inserted = await prisma.interaction.createMany({ data: rows, skipDuplicates: true });
      record('Baseline: prisma.createMany, new rows (ids pre-resolved)', (performance.now() - started) / 1000, `created ${inserted.count}`);
      started = performance.now();
      const skipped = await prisma.interaction.createMany({ data: rows, skipDuplicates: true });
      record('Baseline: prisma.createMany skipDuplicates, re-send', (performance.now() - started) / 1000, `created ${skipped.count}`);
    }

    const total = await prisma.interaction.count();
    const lines = results.map((r) => {
      const seconds = median(r.seconds);
      return { label: r.label, seconds, rate: ROWS / seconds, check: r.check };
    });
    const baselineNew = lines.find((l) => l.label.startsWith('Baseline') && l.label.includes('new'));
    const baselineResend = lines.find((l) => l.label.startsWith('Baseline') && l.label.includes('re-send'));
    console.log(`\nrecordInteractions ingestion benchmark: ${ROWS} rows per request, median of ${RUNS} runs, ${USERS} users, ${PRODUCTS} products`);
    console.log(`PostgreSQL: ${serverUrl.replace(/\/\/[^@]*@/, '//')} (database ${name}); ${total} interactions stored at the end\n`);
    const pad = (s: string, n: number) => s.padEnd(n);
    console.log(`| ${pad('case', 62)} | ${pad('rows', 6)} | ${pad('seconds', 7)} | ${pad('rows/s', 8)} | ${pad('vs baseline', 11)} | result`);
    console.log(`|${'-'.repeat(64)}|${'-'.repeat(8)}|${'-'.repeat(9)}|${'-'.repeat(10)}|${'-'.repeat(13)}|-------`);
    for (const line of lines) {
      const baseline = line.label.includes('re-send') ? baselineResend : baselineNew;
      const ratio = line.label.startsWith('Baseline') ? '1.00x' : baseline ? `${(line.rate / baseline.rate).toFixed(2)}x` : '-';
      console.log(
        `| ${pad(line.label, 62)} | ${pad(String(ROWS), 6)} | ${pad(line.seconds.toFixed(3), 7)} | ${pad(Math.round(line.rate).toLocaleString('en-US'), 8)} | ${pad(ratio, 11)} | ${line.check}`,
      );
    }
    const bar = 20_000;
    const worst = Math.min(...lines.filter((l) => l.label.startsWith('GraphQL')).map((l) => l.rate));
    console.log(`\nslowest GraphQL case: ${Math.round(worst).toLocaleString('en-US')} rows/s (bar: ${bar.toLocaleString('en-US')} rows/s) ${worst >= bar ? 'PASS' : 'BELOW BAR'}`);
  } finally {
    await server?.stop();
    await database.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
