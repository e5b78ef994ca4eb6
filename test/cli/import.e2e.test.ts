import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { startTestServer, TEST_ADMIN_API_KEY, type TestServer } from '../support/server.ts';

// The command-line client against a real server over HTTP: `marketing-ai import` as a CRM team runs it.
let api: TestServer;
let dir: string;
let integrationKey: string;
let analystKey: string;

const file = (name: string, content: string | Buffer) => {
  const target = path.join(dir, name);
  fs.writeFileSync(target, content);
  return target;
};
const errorLines = (target: string) => fs.readFileSync(`${target}.errors.csv`, 'utf8').trim().split('\n');
const cli = (args: string[], key: string = integrationKey) => runCli([...args, '--url', api.url], { MARKETING_AI_API_KEY: key });

beforeAll(async () => {
  // A small JSON-value budget per request body, so a wide file's default batch is too large for it.
  api = await startTestServer({ MAX_BODY_VALUES: '5000' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mai-cli-import-'));
  integrationKey = (await api.createKey('INTEGRATION', 'crm sync')).secret;
  analystKey = (await api.createKey('ANALYST')).secret;
});
afterAll(async () => {
  await api?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('import: users, products, behaviour and feedback files through the API', () => {
  it('imports a users file with good and bad rows; refused rows are in the error file and not stored', async () => {
    const target = file(
      'users.jsonl',
      ['{"user_id":"u-1","consent":"yes","city":"Shanghai"}', '{"user_id":"u-2"}', '{"user_id":"u-3","email":"not-an-email"}', '{not json', '{"user_id":"u-1"}', ''].join('\n'),
    );
    const run = await cli(['import', 'users', target, '--batch', '2']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/created: 2 {2}updated: 0 {2}unchanged: 0/);
    expect(run.stdout).toMatch(/failed: 3/);
    const lines = errorLines(target);
    expect(lines[0]).toBe('line,externalId,code,message');
    expect(lines.slice(1).map((line) => line.split(',').slice(0, 3).join(','))).toEqual(['3,u-3,BAD_USER_INPUT', '4,,BAD_USER_INPUT', '5,u-1,CONFLICT']);
    expect(lines[1]).toMatch(/email/);
    const stored = await api.database.prisma.user.findMany({ orderBy: { externalId: 'asc' } });
    expect(stored.map((u) => [u.externalId, u.marketingConsent])).toEqual([
      ['u-1', true],
      ['u-2', false],
    ]);
    // The write is the server's: audited under the key that sent it.
    const audit = await api.database.prisma.auditEntry.findMany({ where: { operation: 'upsertUsers' } });
    expect(audit.length).toBeGreaterThanOrEqual(2);
    expect(audit.every((entry) => entry.keyName === 'crm sync' && entry.role === 'INTEGRATION')).toBe(true);
  });

  it('imports a wide product-feature file: empty cells are missing values, other columns attributes, with the feature report', async () => {
    const target = file(
      'products.csv',
      [
        'item_id,name,category,price,tags,color,weight_kg,organic',
        'p-1,Green Tea,grocery,12.5,tea|gift,green,0.2,1',
        'p-2,Olive Oil,grocery,,oil,,1.5,',
        'p-3,"Lamp, large",home,40,,white,,0',
        '',
      ].join('\n'),
    );
    const run = await cli(['import', 'products', target], TEST_ADMIN_API_KEY);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/created: 3 {2}updated: 0 {2}unchanged: 0/);
    expect(run.stdout).toMatch(/color→attributes\.color/);
    expect(run.stdout).toMatch(/Product feature data quality \(3 products/);
    expect(run.stdout).toMatch(/weight_kg\s+NUMERIC\s+2\s+1\s+33\.3%\s+0\.85/);
    const stored = await api.database.prisma.product.findMany({ orderBy: { externalId: 'asc' } });
    expect(stored.map((p) => [p.externalId, p.name, p.price?.toNumber() ?? null, p.tags, p.attributes])).toEqual([
      ['p-1', 'Green Tea', 12.5, ['tea', 'gift'], { color: 'green', weight_kg: 0.2, organic: 1 }],
      ['p-2', 'Olive Oil', null, ['oil'], { weight_kg: 1.5 }],
      ['p-3', 'Lamp, large', 40, [], { color: 'white', organic: 0 }],
    ]);
    // Again with an INTEGRATION key: nothing changes; the report is one the key may not read.
    const again = await cli(['import', 'products', target]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/created: 0 {2}updated: 0 {2}unchanged: 3/);
    expect(again.stdout).toMatch(/feature report needs an ADMIN or ANALYST key/);
  });

  it('names new products of a feature file without a name column by their externalId, keeping stored names', async () => {
    const run = await cli(['import', 'products', file('features.csv', 'product_id,color\np-1,green\np-9,blue\n')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/created: 1 {2}updated: 1/);
    const [p1, p9] = await Promise.all(['p-1', 'p-9'].map((externalId) => api.database.prisma.product.findUnique({ where: { externalId } })));
    expect(p1).toMatchObject({ name: 'Green Tea', attributes: { color: 'green' } });
    expect(p9).toMatchObject({ name: 'p-9', attributes: { color: 'blue' } });
  });

  it('splits a request the server refuses for its size (PAYLOAD_TOO_LARGE) until the batches fit, writing every row', async () => {
    const columns = Array.from({ length: 30 }, (_, i) => `f${i}`);
    const lines = [`externalId,name,${columns.join(',')}`];
    for (let row = 0; row < 200; row += 1) lines.push(`w-${row},Wide ${row},${columns.map((_, i) => row * 100 + i).join(',')}`);
    const run = await cli(['import', 'products', file('wide.csv', `${lines.join('\n')}\n`)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/created: 200 {2}updated: 0 {2}unchanged: 0/);
    // One refused request of 200 rows (about 6,800 JSON values: 34 a row), then its halves.
    expect(Number(/(\d+) requests of at most 1000 rows/.exec(run.stdout)![1])).toBeGreaterThanOrEqual(4);
    const stored = await api.database.prisma.product.findUniqueOrThrow({ where: { externalId: 'w-199' } });
    expect(stored.attributes).toMatchObject({ f0: 19900, f29: 19929 });
  });

  it('imports a user-behaviour file (user, product, behaviour, time) with good and bad rows, idempotently', async () => {
    const target = file(
      'behaviour.csv',
      [
        'user,product,behaviour,time',
        'u-1,p-1,pv,1767225600',
        'u-1,p-1,fav,1767225660',
        'u-1,p-2,cart,2026-01-01 00:02:00',
        'u-2,p-2,buy,1767229200000',
        'u-1,p-1,teleport,1767225600',
        'ghost,p-1,pv,1767225600',
        'u-2,p-3,pv,yesterday',
        '',
      ].join('\n'),
    );
    const run = await cli(['import', 'interactions', target, '--batch', '2', '--concurrency', '3']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/created: 4 {2}updated: 0 {2}unchanged: 0/);
    const lines = errorLines(target).slice(1);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^6,,BAD_USER_INPUT,"?type: ""?teleport/);
    expect(lines[1]).toMatch(/^7,,NOT_FOUND,.*ghost/);
    expect(lines[2]).toMatch(/^8,,BAD_USER_INPUT,.*occurredAt/);
    const events = await api.database.prisma.interaction.findMany({ orderBy: { occurredAt: 'asc' }, include: { user: true, product: true } });
    expect(events.map((e) => [e.user.externalId, e.product.externalId, e.type, e.occurredAt.toISOString()])).toEqual([
      ['u-1', 'p-1', 'VIEW', '2026-01-01T00:00:00.000Z'],
      ['u-1', 'p-1', 'CLICK', '2026-01-01T00:01:00.000Z'],
      ['u-1', 'p-2', 'ADD_TO_CART', '2026-01-01T00:02:00.000Z'],
      ['u-2', 'p-2', 'PURCHASE', '2026-01-01T01:00:00.000Z'],
    ]);
    const again = await cli(['import', 'interactions', target]);
    expect(again.stdout).toMatch(/created: 0 {2}updated: 0 {2}unchanged: 4/);
    expect(await api.database.prisma.interaction.count()).toBe(4);
  });

  it('imports label,review feedback files idempotently without an id column, and campaign metrics', async () => {
    const target = file('waimai.csv', 'label,review\n1,很快，好吃，味道足，量大\n0,送货太慢了，等了两个小时\n');
    expect((await cli(['import', 'feedback', target])).stdout).toMatch(/created: 2 {2}updated: 0 {2}unchanged: 0/);
    expect((await cli(['import', 'feedback', target])).stdout).toMatch(/created: 0 {2}updated: 0 {2}unchanged: 2/);
    const labels = await api.database.prisma.feedbackLabel.findMany({ orderBy: { label: 'asc' } });
    expect(labels.map((l) => [l.task, l.label])).toEqual([
      ['sentiment', '0'],
      ['sentiment', '1'],
    ]);

    await api.gql(`mutation { upsertCampaigns(input: [{ externalId: "cmp-1", name: "Spring", channel: EMAIL }]) { created } }`);
    const metrics = file(
      'metrics.csv',
      [
        'campaign_id,date,impressions,clicks,conversions,spend,revenue',
        'cmp-1,2026-03-01,1000,50,5,100,400',
        'cmp-1,2026-03-02,abc,50,5,100,400',
        'cmp-1,2026-03-03,10,50,5,100,400',
        'cmp-9,2026-03-04,10,5,1,1,1',
        '',
      ].join('\n'),
    );
    const run = await cli(['import', 'campaign-metrics', metrics]);
    expect(run.code).toBe(1);
    expect(errorLines(metrics).slice(1)).toEqual([
      '3,cmp-1,BAD_USER_INPUT,"impressions: ""abc"" is not a number"',
      '4,cmp-1,BAD_USER_INPUT,clicks: must not exceed impressions',
      '5,cmp-9,NOT_FOUND,"campaignExternalId: no campaign has externalId ""cmp-9""."',
    ]);
    expect(await api.database.prisma.campaignMetric.count()).toBe(1);
  });

  it('--dry-run sends nothing and reports what the file and the rating scale refuse', async () => {
    const target = file('ratings.csv', ['userId,movieId,rating,timestamp', 'u-1,p-1,4.5,964982703', 'u-2,p-2,3.3,964983815', ''].join('\n'));
    const before = await api.database.prisma.interaction.count();
    const run = await cli(['import', 'interactions', target, '--dry-run']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Dry run \(nothing sent\)/);
    expect(run.stdout).toMatch(/valid \(would be sent\): 1/);
    expect(errorLines(target)[1]).toBe(
      `3,,BAD_USER_INPUT,"value: 3.3 is not a rating on this service's scale: 0.5 to 5 in steps of 0.5 (configured by RATING_MIN, RATING_MAX, RATING_STEP)"`,
    );
    expect(await api.database.prisma.interaction.count()).toBe(before);
  });
});

describe("import: keys and roles are the server's", () => {
  it('refuses an ANALYST key where the API refuses it (FORBIDDEN), writing nothing', async () => {
    const target = file('analyst.csv', 'externalId,name\na-1,Ann\n');
    const run = await cli(['import', 'users', target], analystKey);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/FORBIDDEN/);
    expect(await api.database.prisma.user.count({ where: { externalId: 'a-1' } })).toBe(0);
  });

  it('refuses an unknown key (UNAUTHENTICATED) and an unreachable server, exit 3', async () => {
    const target = file('nokey.csv', 'externalId\nz-1\n');
    const bad = await cli(['import', 'users', target], 'mai_not-a-real-key-at-all');
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/UNAUTHENTICATED.*--api-key/);
    const down = await runCli(['import', 'users', target, '--url', 'http://127.0.0.1:1/graphql', '--api-key', integrationKey]);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1\/graphql/);
  }, 60_000);
});

describe('import: --help and bad arguments', () => {
  it('prints help for every command, exit 0', async () => {
    for (const args of [['--help'], ['import', '--help'], ['export', '--help'], ['help', 'import']]) {
      const run = await runCli(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Usage/);
      expect(run.stdout).toMatch(/Exit codes: 0 done; 1 done, some rows refused/);
    }
    expect((await runCli(['import', '--help'])).stdout).toMatch(/--resume/);
  });

  it('explains bad arguments and files with exit 2, before anything is sent', async () => {
    const users = file('ok.csv', 'externalId\nq-1\n');
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /Unknown command "frobnicate"/],
      [['import', 'customers', users], /Unknown entity "customers"; use one of users, products/],
      [['import', 'users'], /import needs an entity and a file/],
      [['import', 'users', users, '--batch', 'ten'], /--batch must be a positive integer, got "ten"/],
      [['import', 'users', users, '--batch', '20000'], /more than the server accepts in one request \(serviceInfo\.maxBatchSize = 10000\)/],
      [['import', 'users', users, '--map', 'nonsense'], /--map expects column=field/],
      [['import', 'users', users, '--wat'], /Unknown option '--wat'/],
      [['import', 'users', path.join(dir, 'missing.csv')], /no such file/],
      [['import', 'users', file('users.txt', 'x')], /must end in \.csv or \.jsonl/],
      [['import', 'interactions', file('no-time.csv', 'user,item,behavior\nu-1,p-1,pv\n')], /Missing required column for interactions: occurredAt/],
      [['import', 'users', file('gbk.csv', Buffer.concat([Buffer.from('externalId,name\nq-2,'), Buffer.from([0xc4, 0xe3]), Buffer.from('\n')]))], /not valid UTF-8/],
      [['import', 'users', users, '--resume'], /there is no progress file/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    const noKey = await runCli(['import', 'users', users, '--url', api.url]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/An API key is needed: --api-key <key> or the MARKETING_AI_API_KEY variable/);
    expect(await api.database.prisma.user.count({ where: { externalId: { in: ['q-1', 'q-2'] } } })).toBe(0);
  }, 120_000);
});
