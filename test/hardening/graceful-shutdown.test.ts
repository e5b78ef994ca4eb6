import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { TEST_ADMIN_API_KEY } from '../support/server.ts';
import { spawnService, type SpawnedService } from '../support/spawn.ts';

// `npm start` as a real process: SIGTERM while a slow request is in flight → the request
// completes, new connections are refused, the in-process worker and pools stop, exit code 0.
let database: TestDatabase;
let server: SpawnedService;
let url: string;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await spawnService({
    entry: 'main',
    env: { DATABASE_URL: database.url, LOG_LEVEL: 'info', WORKER_MODE: 'in-process' },
    ready: { path: '/healthz' },
  });
  url = server.graphqlUrl;
}, 120_000);

afterAll(async () => {
  await server?.kill();
  await database?.destroy();
});

describe('graceful shutdown of the API server', () => {
  it('finishes the in-flight request, then exits 0', async () => {
    // Hold a lock so that the request below waits in PostgreSQL: a slow request, deterministically.
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE campaigns IN ACCESS EXCLUSIVE MODE');
    const inFlight = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_ADMIN_API_KEY },
      body: JSON.stringify({ query: `{ campaigns(first: 1) { totalCount } }` }),
    });
    // The request now waits on the lock (a server) or behind the locker's transaction (the
    // embedded database serialises transactions): either way it stays in flight.
    let settled = false;
    void inFlight.finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(settled, 'the request should still be waiting for the lock').toBe(false);

    const exited = server.stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(server.running(), 'still draining the in-flight request').toBe(true);
    // No new connections are accepted while draining.
    const refused = await fetch(url.replace('/graphql', '/healthz')).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);

    await locker.query('COMMIT');
    await locker.end();
    const response = await inFlight;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data?: { campaigns: { totalCount: number } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data!.campaigns.totalCount).toBe(0);
    expect(await exited).toBe(0);
    expect(server.output()).toContain('shutting down: draining requests');
    expect(server.output()).toContain('"msg":"stopped"');
  }, 60_000);
});
