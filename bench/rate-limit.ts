/**
 * What the rate limiter costs per request: `npm run bench:rate-limit` (`npx tsx bench/rate-limit.ts`).
 *
 * For each store: BENCH_CALLS (3000) sequential `consume` calls of one key after 300 warm-up calls,
 * with a limit no call reaches, and the timeout high enough that the fallback never answers (a
 * call answered by it would be measured as the store). Reports wall time per call (mean, p50, p95,
 * p99) and this process's CPU per call (user + system, all threads: for the embedded database its
 * engine runs on a thread of this process, so its work is counted too).
 * - `postgres`: a fresh database `bench_rate_limit_<pid>` on DATABASE_URL (default
 *   postgresql://postgres@127.0.0.1:5432/postgres), migrated, dropped afterwards;
 * - `embedded`: PGlite on a thread of this process, migrated;
 * - `memory`: the in-process buckets.
 */
import { loadConfig } from '../src/config.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { createLogger } from '../src/logger.ts';
import { MemoryRateLimiter, PostgresRateLimiter, type RateLimiter } from '../src/http/rate-limit.ts';
import { admin, serverUrl, withDatabase } from './support.ts';

const CALLS = Number(process.env.BENCH_CALLS ?? 3000);
const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '10000000', RATE_LIMIT_STORE_TIMEOUT_MS: '10000' });
const viewer = { keyId: 'bench', keyName: 'bench', role: 'INTEGRATION' as const };
const logger = createLogger('warn');

async function measure(store: string, limiter: RateLimiter): Promise<void> {
  for (let i = 0; i < 300; i++) await limiter.consume(viewer);
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) {
    const start = performance.now();
    if (!(await limiter.consume(viewer)).allowed) throw new Error('refused: the limit is meant to be out of reach');
    times.push(performance.now() - start);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(times.length * q))]!.toFixed(3);
  console.log(
    `${store.padEnd(9)} ${CALLS} calls: mean ${(wall / CALLS).toFixed(3)} ms, p50 ${at(0.5)}, p95 ${at(0.95)}, p99 ${at(0.99)} ms; CPU ${((cpu.user + cpu.system) / CALLS).toFixed(0)} µs/call`,
  );
  await limiter.close();
}

const stores = (process.env.BENCH_STORES ?? 'postgres,embedded,memory').split(',');
if (stores.includes('postgres')) {
  const name = `bench_rate_limit_${process.pid}`;
  await admin(`CREATE DATABASE ${name}`);
  try {
    const url = withDatabase(serverUrl, name);
    await applyMigrations(url);
    await measure('postgres', new PostgresRateLimiter(config, url, logger));
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
if (stores.includes('embedded')) {
  const embedded = await startEmbeddedPostgres({ port: 0 });
  await applyMigrations(embedded.url);
  await measure('embedded', new PostgresRateLimiter(config, embedded.url, logger));
  await embedded.stop();
}
if (stores.includes('memory')) await measure('memory', new MemoryRateLimiter(config));
