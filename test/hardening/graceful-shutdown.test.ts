import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { TEST_ADMIN_API_KEY, TEST_DATA_ENCRYPTION_KEY, TEST_DATA_HASH_KEY } from '../support/server.ts';
import { freePort } from './pg-cluster.ts';

// `npm start` as a real process: SIGTERM while a slow request is in flight → the request
// completes, new connections are refused, the in-process worker and pools stop, exit code 0.
let database: TestDatabase;
let server: ChildProcess;
let output = '';
let url: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const port = await freePort();
  url = `http://127.0.0.1:${port}/graphql`;
  server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      SEED_DEMO_DATA: 'false',
      WORKER_MODE: 'in-process',
      ADMIN_API_KEY: TEST_ADMIN_API_KEY,
      DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY,
      DATA_HASH_KEY: TEST_DATA_HASH_KEY,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let i = 0; i < 300; i += 1) {
    const up = await fetch(url.replace('/graphql', '/healthz')).then((response) => response.ok).catch(() => false);
    if (up) return;
    if (server.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`server did not start:\n${output}`);
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGKILL');
    await new Promise((resolve) => server.once('exit', resolve));
  }
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

    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(server.exitCode, 'still draining the in-flight request').toBeNull();
    // No new connections are accepted while draining.
    const refused = await fetch(url.replace('/graphql', '/healthz')).then(() => false, () => true);
    expect(refused).toBe(true);

    await locker.query('COMMIT');
    await locker.end();
    const response = await inFlight;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data?: { campaigns: { totalCount: number } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data!.campaigns.totalCount).toBe(0);
    expect(await exited).toBe(0);
    expect(output).toContain('shutting down: draining requests');
    expect(output).toContain('"msg":"stopped"');
  }, 60_000);
});
