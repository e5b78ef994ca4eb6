import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { attacksFor, CALLERS, FIELDS, fullCoverageCount } from './schema-fuzz/generator.ts';
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
  type Checksums,
  type FuzzServer,
  type RunReport,
} from './schema-fuzz/harness.ts';

// Schema-driven fuzzing of a production-mode server process (`src/main.ts`, NODE_ENV=production,
// this file's own database): requests generated from schema.graphql for every Query and Mutation
// root field, as ADMIN, ANALYST, INTEGRATION, without a key, with a malformed key and with a revoked
// key, each with one attack (wrong types, nulls, huge/negative/NaN-ish numbers, huge strings, NUL and
// lone surrogates, 10,000-deep JSON, wide objects, 10^5-element lists, foreign and malformed global
// IDs, SQL/LIKE metacharacters, dates out of range, unknown enum values, nesting over the depth limit,
// aliases over the limit, fragment cycles, duplicate and wrong variables, bad directives, mangled
// documents, batched arrays, wrong content types, GET, bodies over the limit, malformed JSON,
// odd auth headers) or valid; persisted-query extensions with wrong hashes and versions run in a
// phase of their own (below). Deterministic from FUZZ_SEED; FUZZ_REQUESTS
// sets the count (default 2,400: every field × caller × attack at least once). While it runs a
// thread of its own polls /healthz every 100 ms with a 1 s timeout.
//
// Asserted: no HTTP 5xx; every answer JSON, every error with an extensions.code, none
// INTERNAL_SERVER_ERROR; no data for a caller without a valid key or for a role the field's @allow
// does not name; the server never exits, logs no error, answers a valid query at the end; no
// /healthz wait reaches 1 s; no stored row changes (harness.ts: GROWABLE_TABLES says which tables
// the valid writes may add `fz-` rows to; every row stored before must be unchanged).
const SEED = Number(process.env.FUZZ_SEED ?? DEFAULT_SEED);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2_400);
const COST_MODEL_REQUESTS = Number(process.env.FUZZ_COST_MODEL_REQUESTS ?? FIELDS.length * 3 * 2);
const PERSISTED_QUERY_REQUESTS = FIELDS.length * CALLERS.length;
const CONCURRENCY = 8;

let database: TestDatabase;
let server: FuzzServer;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startFuzzServer(database.url, { log: (line) => console.log(`[schema-fuzz] ${line}`) });
}, 300_000);
afterAll(async () => {
  await server?.stop();
  await database?.destroy();
});

function print(report: RunReport): void {
  console.log(`[schema-fuzz] seed ${SEED}, ${report.phase} phase`);
  console.table(summaryRows(report));
  if (report.problems.length) console.log(`[schema-fuzz] problems by field and attack:\n${groupedProblems(report)}`);
  const slow = slowRequests(report);
  if (slow) console.log(`[schema-fuzz] requests that took ≥ 1 s:\n${slow}`);
  console.log(`[schema-fuzz] slowest /healthz checks:\n${slowestChecks(report)}`);
  if (report.serverErrorLogs.length) console.log(`[schema-fuzz] server error logs:\n${report.serverErrorLogs.slice(0, 10).join('\n')}`);
}

async function stillServing(): Promise<void> {
  expect(server.service.running(), 'the server process is alive').toBe(true);
  const health = await fetch(`${server.service.url}/healthz`, { signal: AbortSignal.timeout(1_000) });
  expect(health.status).toBe(200);
  const response = await fetch(server.service.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': server.context.keys.ANALYST! },
    body: JSON.stringify({ query: '{ users(first: 1) { totalCount } serviceInfo { version } }' }),
  });
  const body = (await response.json()) as { data?: { users: { totalCount: number } }; errors?: unknown };
  expect(body.errors).toBeUndefined();
  expect(body.data!.users.totalCount).toBeGreaterThan(0);
}

describe('schema-driven fuzzing of a production server', () => {
  let before: Checksums;

  it(`survives ${REQUESTS} generated hostile requests over every root field and caller`, async () => {
    expect(REQUESTS).toBeGreaterThanOrEqual(2_000);
    before = await rowChecksums(database.url);
    expect(before.users!.length).toBeGreaterThan(0);
    expect(before.model_versions!.length).toBe(2);
    const report = await runFuzz(server, { seed: SEED, requests: REQUESTS, concurrency: CONCURRENCY, phase: 'hostile' });
    print(report);

    expect(report.coverage.fields).toBe(FIELDS.length);
    expect(report.coverage.callers).toBe(CALLERS.length);
    expect(report.coverage.fieldCallerPairs).toBe(FIELDS.length * CALLERS.length);
    if (REQUESTS >= fullCoverageCount()) expect(report.coverage.attacks).toBe(new Set(FIELDS.flatMap(attacksFor)).size);
    expect(report.problems, groupedProblems(report)).toEqual([]);
    expect(report.http5xx).toBe(0);
    expect(report.crashes).toBe(0);
    expect(report.serverErrorLogs).toEqual([]);
    expect(report.health.failures, 'failed /healthz checks').toBe(0);
    expect(report.health.longestMs, `longest /healthz wait; slow requests:\n${slowestChecks(report)}`).toBeLessThan(1_000);
    await stillServing();
    expect(checksumViolations(before, await rowChecksums(database.url))).toEqual([]);
  }, 600_000);

  // Apollo's own refusals of an automatic persisted query — "Unsupported persisted query version"
  // (version not 1) and "provided sha does not match query" — carry no extensions.code of their
  // own; formatError gives them BAD_REQUEST and PERSISTED_QUERY_HASH_MISMATCH (HTTP 400).
  it(`answers ${PERSISTED_QUERY_REQUESTS} persisted-query requests with wrong hashes or versions with coded errors`, async () => {
    const report = await runFuzz(server, { seed: SEED, requests: PERSISTED_QUERY_REQUESTS, concurrency: CONCURRENCY, phase: 'persisted-query' });
    print(report);
    expect(report.coverage.fieldCallerPairs).toBe(FIELDS.length * CALLERS.length);
    expect(report.crashes).toBe(0);
    expect(report.health.longestMs).toBeLessThan(1_000);
    await stillServing();
    expect(checksumViolations(before, await rowChecksums(database.url))).toEqual([]);
    expect(report.problems, groupedProblems(report)).toEqual([]);
    expect(report.serverErrorLogs).toEqual([]);
  }, 600_000);

  // Bodies within MAX_BODY_SIZE of 10^5–10^6 small JSON members: JSON.parse time grows with the
  // members (1.2–1.7 s for 10^6 unused variables), so they are refused before parsing
  // (MAX_BODY_VALUES, MAX_JSON_OBJECT_MEMBERS; src/http/json-values.ts) and /healthz keeps answering.
  it('keeps /healthz under 1 s while bodies of 10^5–10^6 JSON members arrive', async () => {
    const report = await runFuzz(server, { seed: SEED, requests: 6, concurrency: 1, phase: 'body-size', timeoutMs: 120_000 });
    print(report);
    expect(report.problems, groupedProblems(report)).toEqual([]);
    expect(report.crashes).toBe(0);
    expect(report.health.longestMs, `longest /healthz wait; slow requests:\n${slowestChecks(report)}`).toBeLessThan(1_000);
    await stillServing();
  }, 600_000);

  // Valid requests at the largest sizes every current limit accepts: many aliases of expensive
  // fields, every size argument at its maximum, nested lists at first: 100 within the depth limit.
  // Bounding them is the query cost model's work (list sizes × field weights), with statement
  // timeouts and a response-size cap; run apart so a stall is attributed to these shapes.
  it(`answers ${COST_MODEL_REQUESTS} valid requests at maximal sizes without stalling /healthz (cost-model area)`, async () => {
    const report = await runFuzz(server, { seed: SEED, requests: COST_MODEL_REQUESTS, concurrency: CONCURRENCY, phase: 'cost-model', timeoutMs: 120_000 });
    print(report);
    expect(report.coverage.fields).toBe(FIELDS.length);
    expect(report.problems, groupedProblems(report)).toEqual([]);
    expect(report.crashes).toBe(0);
    expect(report.serverErrorLogs).toEqual([]);
    expect(report.health.failures, 'failed /healthz checks').toBe(0);
    expect(report.health.longestMs, `longest /healthz wait; slow requests:\n${slowestChecks(report)}`).toBeLessThan(1_000);
    await stillServing();
    expect(checksumViolations(before, await rowChecksums(database.url))).toEqual([]);
  }, 600_000);
});
