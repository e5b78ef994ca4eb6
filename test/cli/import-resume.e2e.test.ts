import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// A server whose INTEGRATION keys may spend 120 tokens a minute (2 a second), a bulk row costing
// one: a request of one row costs 2 tokens, so once a key's bucket is empty every request waits
// about a second, as the server's Retry-After says.
let api: TestServer;
let dir: string;

const file = (name: string, content: string) => {
  const target = path.join(dir, name);
  fs.writeFileSync(target, content);
  return target;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh INTEGRATION key whose bucket one large request has emptied. */
async function drainedKey(name: string): Promise<string> {
  const key = (await api.createKey('INTEGRATION', name)).secret;
  const input = Array.from({ length: 130 }, (_, i) => ({ externalId: `drain-${name}-${i}` }));
  const drain = await api.gqlAs(key, `mutation Drain($input: [UserInput!]!) { upsertUsers(input: $input) { created } }`, { input });
  expect(drain.errors).toBeUndefined();
  return key;
}

beforeAll(async () => {
  api = await startTestServer({ RATE_LIMIT_PER_MINUTE: '120', RATE_LIMIT_ROWS_PER_TOKEN: '1' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mai-cli-resume-'));
});
afterAll(async () => {
  await api?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('import under a rate limit', () => {
  it('waits as RATE_LIMITED + Retry-After say and completes', async () => {
    const key = await drainedKey('limited');
    // 12 one-row requests need 24 tokens: more than the bucket refills while the client starts.
    const ids = Array.from({ length: 12 }, (_, i) => `r-${i + 1}`);
    const target = file('limited.csv', `externalId\n${ids.join('\n')}\n`);
    const started = Date.now();
    const run = await runCli(['import', 'users', target, '--batch', '1', '--concurrency', '1', '--url', api.url], { MARKETING_AI_API_KEY: key });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/rate limited by the server \(RATE_LIMITED\); waiting \d+ s as its Retry-After says/);
    expect(run.stdout).toMatch(/created: 12 {2}updated: 0 {2}unchanged: 0/);
    expect(Date.now() - started).toBeGreaterThan(1000);
    expect(await api.database.prisma.user.count({ where: { externalId: { in: ids } } })).toBe(12);
  }, 120_000);
});

describe('an interrupted import', () => {
  it('is resumed from the progress file without sending done batches again or duplicating error rows', async () => {
    const key = await drainedKey('resume');
    const rows = ['externalId,email'];
    for (let i = 1; i <= 10; i += 1) rows.push(`k-${i},k${i}@example.com`);
    rows.splice(2, 0, 'k-bad-1,not-an-email'); // line 3: refused by the server
    rows.push('k-3,k3@example.com'); // line 13: a duplicate of line 5, refused by the file
    const target = file('resume.csv', `${rows.join('\n')}\n`);
    const progress = `${target}.progress.json`;
    const args = ['import', 'users', target, '--batch', '1', '--concurrency', '1', '--url', api.url];
    const env = { MARKETING_AI_API_KEY: key };

    // Killed without warning once four batches are recorded.
    const first = startCli(args, env);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const done = fs.existsSync(progress) ? (JSON.parse(fs.readFileSync(progress, 'utf8')) as { batchesDone: number }).batchesDone : 0;
      if (done >= 4) break;
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(20);
    }
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const recorded = JSON.parse(fs.readFileSync(progress, 'utf8')) as { batchesDone: number; counts: { rows: number; created: number } };
    expect(recorded.batchesDone).toBeGreaterThanOrEqual(4);
    expect(recorded.counts.rows).toBe(recorded.batchesDone);
    const storedBefore = await api.database.prisma.user.count({ where: { externalId: { startsWith: 'k-' } } });
    expect(storedBefore).toBeLessThan(10);

    const sent = async () => api.database.prisma.auditEntry.count({ where: { operation: 'upsertUsers', keyName: 'resume' } });
    const requestsBefore = await sent();
    const resumed = await runCli([...args, '--resume'], env);
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(resumed.stdout).toMatch(new RegExp(`resumed: ${recorded.counts.rows} rows done by the earlier run, not sent again`));
    expect(resumed.stdout).toMatch(/rows: 12/);
    // Every good row stored once; the run's totals add up to the file. The one batch that may have
    // been in flight when the run was killed is sent again and counts as unchanged.
    const [, created, unchanged] = /created: (\d+) {2}updated: 0 {2}unchanged: (\d+)/.exec(resumed.stdout)!.map(Number);
    expect(created! + unchanged!).toBe(10);
    expect(unchanged).toBeLessThanOrEqual(1);
    expect(resumed.stdout).toMatch(/failed: 2/);
    expect(await api.database.prisma.user.count({ where: { externalId: { startsWith: 'k-' } } })).toBe(10);
    // Only the rows after the recorded batches were sent: lines 2-12 go to the server one a request
    // (line 13 is refused by the file), the first `batchesDone` of them by the killed run.
    expect((await sent()) - requestsBefore).toBe(11 - recorded.batchesDone);
    const errors = fs.readFileSync(`${target}.errors.csv`, 'utf8').trim().split('\n');
    expect(errors.map((line) => line.split(',').slice(0, 3).join(','))).toEqual(['line,externalId,code', '3,k-bad-1,BAD_USER_INPUT', '13,k-3,CONFLICT']);
    expect(fs.existsSync(progress)).toBe(false);
  }, 180_000);

  it('refuses to resume with another file or other options', async () => {
    const target = file('other.csv', 'externalId\nx-1\nx-2\n');
    fs.writeFileSync(
      `${target}.progress.json`,
      JSON.stringify({
        version: 1,
        entity: 'users',
        sha256: '0'.repeat(64),
        batchSize: 1000,
        map: {},
        task: 'sentiment',
        errorsBytes: 0,
        batchesDone: 1,
        counts: { rows: 1, created: 1, updated: 0, unchanged: 0, failed: 0 },
      }),
    );
    const run = await runCli(['import', 'users', target, '--resume', '--url', api.url], { MARKETING_AI_API_KEY: (await api.createKey('INTEGRATION')).secret });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/belongs to another run \(the file content differs\)/);
  }, 60_000);
});
