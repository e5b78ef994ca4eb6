import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { spawnService, type SpawnedService } from '../support/spawn.ts';

// The worker's container healthcheck (docker-compose.yml): the real `npm run worker` process
// writes its liveness file, and the real check command tells a live worker from a dead one.
const ROOT = path.resolve(import.meta.dirname, '../..');
let database: TestDatabase;
let dir: string;
const workers: SpawnedService[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mai-liveness-'));
}, 120_000);

afterAll(async () => {
  for (const worker of workers) await worker.kill();
  await database?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

function check(file: string, ...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/health/check-liveness.ts', ...args],
      { cwd: ROOT, env: { ...process.env, LIVENESS_FILE: file } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
      },
    );
  });
}

async function startWorker(file: string): Promise<SpawnedService> {
  const worker = await spawnService({ entry: 'worker', env: { DATABASE_URL: database.url, LIVENESS_FILE: file }, ready: { output: 'worker process ready' } });
  workers.push(worker);
  for (let i = 0; i < 100 && !fs.existsSync(file); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  return worker;
}

describe('worker liveness healthcheck', () => {
  it('is healthy while the worker runs, and unhealthy once it stopped (the file is removed)', async () => {
    const file = path.join(dir, 'stopped.json');
    expect((await check(file)).code).toBe(1);
    const worker = await startWorker(file);
    const healthy = await check(file);
    expect(healthy.output).toMatch(/healthy/);
    expect(healthy.code).toBe(0);
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
    const after = await check(file);
    expect(after.code).toBe(1);
    expect(after.output).toMatch(/does not exist/);
  });

  it('turns unhealthy when the worker is killed and its file goes stale', async () => {
    const file = path.join(dir, 'killed.json');
    const worker = await startWorker(file);
    expect((await check(file)).code).toBe(0);
    await worker.kill();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const stale = await check(file, '--max-age-seconds', '2');
    expect(stale.code).toBe(1);
    expect(stale.output).toMatch(/last written \d+ s ago/);
  });
});
