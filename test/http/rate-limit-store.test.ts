import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { PostgresRateLimiter, type RateLimitDecision } from '../../src/http/rate-limit.ts';
import type { Viewer } from '../../src/modules/access/viewer.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/spawn.ts';

// The PostgreSQL store of the rate limits on a real database: several limiters (as several server
// processes would hold) share one bucket per key, and the guards around the store hold.
let database: TestDatabase;
const limiters: PostgresRateLimiter[] = [];

// A generous timeout unless a test is about it: on a busy machine (and on the embedded database,
// which answers one statement at a time) a round trip past 50 ms would switch to the fallback.
const config = (perMinute: number, extra: Record<string, string> = {}) =>
  loadConfig({ NODE_ENV: 'test', RATE_LIMIT_PER_MINUTE: String(perMinute), RATE_LIMIT_STORE: 'postgres', RATE_LIMIT_STORE_TIMEOUT_MS: '5000', ...extra });
// Row locks held by another connection: the embedded database serves its connections from one
// session, so a lock cannot stand for a slow server there.
const onServer = Boolean(process.env.DATABASE_URL);
const limiter = (perMinute: number, url = database.url, extra: Record<string, string> = {}) => {
  const made = new PostgresRateLimiter(config(perMinute, extra), url);
  limiters.push(made);
  return made;
};
let keys = 0;
const viewer = (): Viewer => ({ keyId: `key-${(keys += 1)}`, keyName: 'k', role: 'INTEGRATION' });
const refused = (decision: RateLimitDecision) => (decision.allowed ? null : decision);

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const made of limiters) await made.close();
  await database?.destroy();
});

describe('rate limits in PostgreSQL', () => {
  it('one key has one bucket across limiters: 10 a minute in all, then Retry-After from the shared bucket', async () => {
    const [a, b] = [limiter(10), limiter(10)];
    const key = viewer();
    const started = Date.now();
    const decisions: RateLimitDecision[] = [];
    for (let i = 0; i < 30; i += 1) decisions.push(await (i % 2 === 0 ? a : b).consume(key));
    // A token every 6 s refills while the 30 are sent (on a slow machine, one or two).
    const refilled = Math.floor((Date.now() - started) / 6000);
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10 + refilled);
    expect(decisions.slice(0, 10).every((decision) => decision.allowed)).toBe(true);
    // The first refusal waits for the next token, as the in-memory bucket would say.
    expect(refused(decisions[10 + refilled]!)).toMatchObject({ limit: 10 });
    expect(refused(decisions[10 + refilled]!)!.retryAfterSeconds).toBeLessThanOrEqual(6);
    // Another key is untouched.
    expect((await b.consume(viewer())).allowed).toBe(true);
  });

  it('refills evenly: a token comes back after 60 s / limit', async () => {
    const a = limiter(600); // a token every 100 ms
    const key = viewer();
    const started = Date.now();
    let allowed = 0;
    while ((await a.consume(key)).allowed && allowed < 5000) allowed += 1;
    // The bucket's 600, plus the tokens refilled while they were sent.
    expect(allowed).toBeGreaterThanOrEqual(600);
    expect(allowed).toBeLessThanOrEqual(600 + Math.ceil((Date.now() - started) / 100));
    expect((await a.consume(key)).allowed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await limiter(600).consume(key)).allowed).toBe(true);
  });

  it('lets a request dearer than the whole bucket pass when the bucket is full, and only then', async () => {
    const [a, b] = [limiter(20), limiter(20)];
    const key = viewer();
    expect((await a.consume(key, 1)).allowed).toBe(true);
    expect((await a.consume(key, 500, 1)).allowed).toBe(true);
    expect(refused(await b.consume(key, 1))).toMatchObject({ retryAfterSeconds: 3 }); // one token every 3 s
  });

  it.runIf(onServer)('answers a refused key from memory, without waiting on the database', async () => {
    const a = limiter(5, database.url, { RATE_LIMIT_STORE_TIMEOUT_MS: '2000' });
    const key = viewer();
    for (let i = 0; i < 5; i += 1) await a.consume(key);
    expect((await a.consume(key)).allowed).toBe(false);
    // The key's row is locked: a request that went to the database would wait (then fall back to a fresh in-memory bucket and pass).
    const locker = await database.pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT * FROM rate_limit_buckets WHERE key = $1 FOR UPDATE', [key.keyId]);
      const started = performance.now();
      const decision = await a.consume(key);
      expect(performance.now() - started).toBeLessThan(100);
      expect(refused(decision)?.retryAfterSeconds).toBeGreaterThanOrEqual(11); // 5 a minute: 12 s a token
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
  });

  it.runIf(onServer)('decides alone, within RATE_LIMIT_STORE_TIMEOUT_MS, while the database is slow', async () => {
    const a = limiter(3, database.url, { RATE_LIMIT_STORE_TIMEOUT_MS: '50' });
    const key = viewer();
    expect((await a.consume(key)).allowed).toBe(true);
    const locker = await database.pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT * FROM rate_limit_buckets WHERE key = $1 FOR UPDATE', [key.keyId]);
      const started = performance.now();
      const decisions = [];
      for (let i = 0; i < 4; i += 1) decisions.push(await a.consume(key));
      // The first waits out the timeout; the rest are decided in memory at once (the store is asked again after 5 s).
      expect(performance.now() - started).toBeLessThan(400);
      // The in-memory bucket of this process: its own 3 a minute.
      expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false]);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
  });

  it('decides alone when the database cannot be reached', async () => {
    const nowhere = `postgresql://postgres@127.0.0.1:${await freePort()}/none`;
    const a = limiter(2, nowhere, { RATE_LIMIT_STORE_TIMEOUT_MS: '1000' });
    const key = viewer();
    const decisions = [await a.consume(key), await a.consume(key), await a.consume(key)];
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, false]);
    expect(refused(decisions[2]!)).toMatchObject({ retryAfterSeconds: 30, limit: 2 });
  });
});
