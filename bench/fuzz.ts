/**
 * The schema-driven fuzz run as a benchmark: `npm run bench:fuzz` (or `npx tsx bench/fuzz.ts`).
 *
 * The same generator and harness as test/hardening/schema-fuzz.test.ts: a fresh database
 * `bench_fuzz_<pid>` on the local PostgreSQL (DATABASE_URL, default
 * postgresql://postgres@127.0.0.1:5432/postgres), migrated and seeded, `src/main.ts` spawned in
 * production mode on it, a classifier and a recommender trained, then FUZZ_REQUESTS (2,400)
 * hostile requests over every root field × caller × attack, FUZZ_CONCURRENCY (8) at a time, with
 * /healthz polled every 100 ms (1 s timeout) from a thread of its own; then the persisted-query,
 * cost-model and body-size (6 bodies of 10^5–10^6 JSON members, one at a time) phases. Prints
 * the figures of each phase and the row-checksum verdict. FUZZ_SEED changes the requests. Exits 1 when the hostile phase found a problem. BENCH_KEEP=1 keeps the database.
 */
import os from 'node:os';
import { applyMigrations } from '../src/db/migrate.ts';
import { FIELDS, CALLERS } from '../test/hardening/schema-fuzz/generator.ts';
import {
  checksumViolations,
  DEFAULT_SEED,
  groupedProblems,
  rowChecksums,
  runFuzz,
  slowestChecks,
  slowRequests,
  startFuzzServer,
  summaryRows,
  type RunReport,
} from '../test/hardening/schema-fuzz/harness.ts';
import { admin, serverUrl, withDatabase } from './support.ts';

const SEED = Number(process.env.FUZZ_SEED ?? DEFAULT_SEED);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2_400);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 8);

function report(run: RunReport): void {
  console.log(`\n## ${run.phase} phase`);
  console.table(summaryRows(run));
  if (run.problems.length) console.log(`problems by field and attack:\n${groupedProblems(run, 20)}`);
  const slow = slowRequests(run, 1_000, 10);
  if (slow) console.log(`slowest requests (≥ 1 s):\n${slow}`);
  console.log(`slowest /healthz checks:\n${slowestChecks(run)}`);
}

async function main(): Promise<void> {
  const name = `bench_fuzz_${process.pid}`;
  const url = withDatabase(serverUrl, name);
  const load = os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');
  console.log(
    `bench:fuzz — seed ${SEED}, ${REQUESTS} requests, concurrency ${CONCURRENCY}, ${FIELDS.length} root fields × ${CALLERS.length} callers; ${os.cpus().length} cores, load average ${load}, Node ${process.version}`,
  );
  await admin(`DROP DATABASE IF EXISTS ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  let server: Awaited<ReturnType<typeof startFuzzServer>> | null = null;
  let failed = false;
  try {
    await applyMigrations(url);
    server = await startFuzzServer(url, { log: (line) => console.log(line) });
    const before = await rowChecksums(url);
    const hostile = await runFuzz(server, { seed: SEED, requests: REQUESTS, concurrency: CONCURRENCY, phase: 'hostile' });
    report(hostile);
    const afterHostile = checksumViolations(before, await rowChecksums(url));
    console.log(`row checksums after the hostile phase: ${afterHostile.length ? afterHostile.join('; ') : 'unchanged'}`);
    failed = hostile.problems.length > 0 || hostile.crashes > 0 || hostile.health.longestMs >= 1_000 || hostile.serverErrorLogs.length > 0 || afterHostile.length > 0;
    report(await runFuzz(server, { seed: SEED, requests: FIELDS.length * CALLERS.length, concurrency: CONCURRENCY, phase: 'persisted-query' }));
    report(await runFuzz(server, { seed: SEED, requests: FIELDS.length * 6, concurrency: CONCURRENCY, phase: 'cost-model', timeoutMs: 120_000 }));
    report(await runFuzz(server, { seed: SEED, requests: 6, concurrency: 1, phase: 'body-size', timeoutMs: 120_000 }));
    const after = checksumViolations(before, await rowChecksums(url));
    console.log(`row checksums at the end: ${after.length ? after.join('; ') : 'unchanged'}`);
    console.log(
      `server process alive at the end: ${server.service.running()}; load average now ${os
        .loadavg()
        .map((value) => value.toFixed(2))
        .join(', ')}`,
    );
  } finally {
    await server?.stop();
    if (!process.env.BENCH_KEEP) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  if (failed) process.exit(1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
