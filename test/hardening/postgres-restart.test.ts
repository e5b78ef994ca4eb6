import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { applyMigrations } from '../../src/db/migrate.ts';
import { connectDatabase, type Database } from '../../src/db/prisma.ts';
import { createLogger } from '../../src/logger.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { TEST_ADMIN_API_KEY, TEST_DATA_ENCRYPTION_KEY, TEST_DATA_HASH_KEY } from '../support/server.ts';
import { createPgCluster, pgClusterUnavailable, type PgCluster } from './pg-cluster.ts';

// Fault test: the PostgreSQL server restarts under a running API server. Requests during the
// outage fail with DATABASE_UNAVAILABLE (never a 500 or a stack trace); afterwards they succeed
// again without restarting the API server. Uses its own cluster (initdb, own port), never the shared one.
const unavailable = pgClusterUnavailable();
if (unavailable) console.warn(`skipping the PostgreSQL restart test: ${unavailable}`);

let cluster: PgCluster;
let database: Database;
let server: RunningServer;
let analystKey: string;

const QUERY = `{ campaigns(first: 1) { totalCount } }`;

async function ask(
  key = TEST_ADMIN_API_KEY,
): Promise<{ status: number; body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }; text: string }> {
  const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query: QUERY }) });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as never, text };
}

describe.skipIf(unavailable)('PostgreSQL restarted while requests flow', () => {
  beforeAll(async () => {
    cluster = await createPgCluster();
    await applyMigrations(cluster.url);
    database = connectDatabase(cluster.url, { poolSize: 4 });
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ADMIN_API_KEY: TEST_ADMIN_API_KEY,
      DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY,
      DATA_HASH_KEY: TEST_DATA_HASH_KEY,
      API_KEY_CACHE_SECONDS: '0',
      JOB_MAINTENANCE_INTERVAL_SECONDS: '1',
    });
    server = await startServer({ config, database, databaseUrl: cluster.url, logger: createLogger('silent'), port: 0, host: '127.0.0.1' });
    const created = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_ADMIN_API_KEY },
      body: JSON.stringify({ query: `mutation { createApiKey(name: "restart analyst", role: ANALYST) { secret } }` }),
    });
    analystKey = ((await created.json()) as { data: { createApiKey: { secret: string } } }).data.createApiKey.secret;
  }, 180_000);

  afterAll(async () => {
    await server?.stop().catch(() => undefined);
    await database?.close().catch(() => undefined);
    cluster?.destroy();
  });

  it('fails with DATABASE_UNAVAILABLE during the outage and recovers without a server restart', async () => {
    // Requests flow: a steady background load across the whole restart.
    let flowing = true;
    const seen: { status: number; codes: unknown[] }[] = [];
    const load = (async () => {
      while (flowing) {
        const result = await ask().catch((error: Error) => ({ status: -1, body: { errors: [{ message: error.message }] }, text: '' }));
        seen.push({ status: result.status, codes: (result.body.errors ?? []).map((error) => (error as { extensions?: { code?: unknown } }).extensions?.code) });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    const healthy = await ask();
    expect(healthy.status).toBe(200);
    expect(healthy.body.errors).toBeUndefined();

    cluster.stop('fast');
    for (const key of [TEST_ADMIN_API_KEY, analystKey]) {
      const down = await ask(key);
      expect(down.status, down.text).not.toBe(500);
      expect(down.body.errors?.length).toBeGreaterThan(0);
      for (const error of down.body.errors!) {
        expect(error.extensions?.code).toBe('DATABASE_UNAVAILABLE');
        expect(error.message).toMatch(/database is unavailable/i);
      }
      expect(down.text).not.toMatch(/at .*\.(ts|js):\d+|stacktrace|ECONNREFUSED/);
    }
    // The process and its health endpoint stay up; readiness reports the outage.
    expect((await fetch(server.url.replace('/graphql', '/healthz'))).status).toBe(200);
    expect((await fetch(server.url.replace('/graphql', '/readyz'))).status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // let pg-boss's pollers hit the outage too

    cluster.start();
    let recovered = false;
    for (let i = 0; i < 100 && !recovered; i += 1) {
      const result = await ask();
      recovered = result.status === 200 && !result.body.errors;
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(recovered).toBe(true);
    const analyst = await ask(analystKey);
    expect(analyst.body.errors).toBeUndefined();
    expect((await fetch(server.url.replace('/graphql', '/readyz'))).status).toBe(200);

    // Idle pool connections that died with the server are found one request at a time: wait
    // until the flowing requests are clean again (five in a row) before stopping them.
    for (let i = 0; i < 100 && !(seen.length >= 5 && seen.slice(-5).every((entry) => entry.codes.length === 0)); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    flowing = false;
    await load;
    // Under load: only successes and clear outage errors, never a 500.
    expect(seen.length).toBeGreaterThan(10);
    for (const entry of seen) {
      expect(entry.status).not.toBe(500);
      expect(entry.status).not.toBe(-1);
      for (const code of entry.codes) expect(code).toBe('DATABASE_UNAVAILABLE');
    }
    expect(seen.some((entry) => entry.codes.length > 0)).toBe(true);
    expect(seen.at(-1)!.codes).toEqual([]);
  }, 120_000);
});
