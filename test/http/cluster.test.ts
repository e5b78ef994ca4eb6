import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { configForServerProcess } from '../../src/http/cluster.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { TEST_ADMIN_API_KEY } from '../support/server.ts';
import { spawnService, type SpawnedService } from '../support/spawn.ts';

describe('configuration of each server process', () => {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgresql://db.example/x', WEB_CONCURRENCY: '3', RATE_LIMIT_PER_MINUTE: '600', RATE_LIMIT_ADMIN_PER_MINUTE: '0' });

  it('keeps the whole per-key limit in every process when the buckets are shared in PostgreSQL', () => {
    expect(config.rateLimitStore).toBe('postgres'); // auto, with DATABASE_URL
    expect(configForServerProcess(config, 1, 3).RATE_LIMIT_PER_MINUTE).toBe(600);
  });

  it('splits per-key rate limits between the processes with in-memory buckets, and keeps "off" off', () => {
    const memory = loadConfig({ NODE_ENV: 'test', WEB_CONCURRENCY: '3', RATE_LIMIT_PER_MINUTE: '600', RATE_LIMIT_ADMIN_PER_MINUTE: '0', RATE_LIMIT_STORE: 'memory' });
    const first = configForServerProcess(memory, 0, 3);
    expect(first.RATE_LIMIT_PER_MINUTE).toBe(200);
    expect(first.RATE_LIMIT_ADMIN_PER_MINUTE).toBe(0);
    expect(configForServerProcess(loadConfig({ NODE_ENV: 'test', RATE_LIMIT_PER_MINUTE: '2', RATE_LIMIT_STORE: 'memory' }), 1, 3).RATE_LIMIT_PER_MINUTE).toBe(1);
  });

  it('runs background jobs in the first process only', () => {
    expect(configForServerProcess(config, 0, 3).WORKER_MODE).toBe('in-process');
    expect(configForServerProcess(config, 1, 3).WORKER_MODE).toBe('off');
    expect(configForServerProcess(config, 2, 3).WORKER_MODE).toBe('off');
  });

  it('refuses a process count that is not a positive integer', () => {
    expect(() => loadConfig({ WEB_CONCURRENCY: '0' })).toThrow(/WEB_CONCURRENCY/);
    expect(() => loadConfig({ WEB_CONCURRENCY: 'two' })).toThrow(/WEB_CONCURRENCY/);
  });
});

// `npm start` with WEB_CONCURRENCY=2 as real processes: both serve the same port, a killed one is
// replaced, SIGTERM to the primary stops them all.
describe('WEB_CONCURRENCY=2', () => {
  let database: TestDatabase;
  let primary: SpawnedService;
  let base: string;

  // A new connection per request (no keep-alive), so the primary can hand each to another process.
  const readyPid = () =>
    new Promise<number | null>((resolve) => {
      http
        .get(`${base}/readyz`, { agent: false }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve(response.statusCode === 200 ? (JSON.parse(body) as { pid: number }).pid : null));
        })
        .on('error', () => resolve(null));
    });
  const readyPids = async (requests: number): Promise<Set<number>> => {
    const pids = new Set<number>();
    for (let i = 0; i < requests; i++) {
      const pid = await readyPid();
      if (pid !== null) pids.add(pid);
    }
    return pids;
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    primary = await spawnService({
      entry: 'main',
      env: { DATABASE_URL: database.url, LOG_LEVEL: process.env.CLUSTER_TEST_LOG_LEVEL ?? 'warn', WEB_CONCURRENCY: '2' },
      ready: { output: '2 server processes' },
    });
    base = primary.url;
  }, 120_000);

  afterAll(async () => {
    await primary?.kill();
    await database?.destroy();
  });

  it('serves GraphQL from two processes on one port', async () => {
    const pids = await readyPids(40);
    expect(pids.size).toBe(2);
    expect(pids.has(primary.pid!)).toBe(false);
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_ADMIN_API_KEY },
      body: JSON.stringify({ query: '{ campaigns(first: 1) { totalCount } }' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { campaigns: { totalCount: 0 } } });
  });

  it('replaces a server process that dies', async () => {
    const before = await readyPids(40);
    const victim = [...before][0]!;
    process.kill(victim, 'SIGKILL');
    let after = new Set<number>();
    for (let i = 0; i < 150 && after.size < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await readyPids(10);
      after.delete(victim);
    }
    expect(after.size, primary.output()).toBe(2);
    expect(primary.output()).toContain('starting a replacement');
  }, 60_000);

  it('stops every process on SIGTERM and exits 0', async () => {
    const pids = await readyPids(40);
    expect(pids.size).toBe(2);
    expect(await primary.stop('SIGTERM')).toBe(0);
    for (const pid of pids) expect(alive(pid), `server process ${pid} still running`).toBe(false);
  }, 60_000);
});

// The default `npm start` and `npm run worker` (SUPERVISOR=true): the process you start
// supervises the one that serves (or runs jobs), so a crash of that one is not an outage.
describe('the supervisor (one process, the default)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.destroy();
  });

  const readyz = async (base: string): Promise<number | null> => {
    const response = await fetch(`${base}/readyz`).catch(() => null);
    return response?.ok ? ((await response.json()) as { pid: number }).pid : null;
  };

  it('replaces the server process when it dies, and stops it on SIGTERM', async () => {
    const primary = await spawnService({ entry: 'main', env: { DATABASE_URL: database.url, LOG_LEVEL: 'info' } });
    try {
      const first = await readyz(primary.url);
      expect(first).not.toBeNull();
      expect(first).not.toBe(primary.pid);
      process.kill(first!, 'SIGKILL');
      let next: number | null = null;
      for (let i = 0; i < 300 && (next === null || next === first); i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        next = await readyz(primary.url);
      }
      expect(next, primary.output()).not.toBeNull();
      expect(next).not.toBe(first);
      expect(primary.output()).toContain('server process exited; starting a replacement');
      expect(await primary.stop('SIGTERM')).toBe(0);
    } finally {
      await primary.kill();
    }
  }, 120_000);

  it('replaces a job worker process that dies', async () => {
    const worker = await spawnService({ entry: 'worker', env: { DATABASE_URL: database.url, LOG_LEVEL: 'info' } });
    try {
      await worker.waitForOutput('worker process ready', 60_000);
      const pid = Number(/"childPid":(\d+)[^\n]*worker process ready/.exec(worker.output())![1]);
      expect(pid).not.toBe(worker.pid);
      process.kill(pid, 'SIGKILL');
      await worker.waitForOutput('worker process exited; starting a replacement', 30_000);
      await worker.waitForOutput(/worker process ready[\s\S]*worker process ready/, 60_000);
      expect(worker.running()).toBe(true);
      expect(await worker.stop('SIGTERM')).toBe(0);
    } finally {
      await worker.kill();
    }
  }, 150_000);
});
