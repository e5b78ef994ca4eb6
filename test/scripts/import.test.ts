import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportFileError, runImport, type ImportOptions } from '../../src/io/import.ts';
import { createServices, type Services } from '../../src/app/services.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let api: TestServer;
let services: Services;
let dir: string;

const file = (name: string, content: string | Buffer) => {
  const target = path.join(dir, name);
  fs.writeFileSync(target, content);
  return target;
};
const importFile = (options: Omit<ImportOptions, 'batchSize'> & { batchSize?: number }) => runImport(services, api.database.prisma, { batchSize: 2, ...options });
const report = (target: string) =>
  fs
    .readFileSync(`${target}.errors.csv`, 'utf8')
    .trim()
    .split('\n')
    .slice(1);

beforeAll(async () => {
  api = await startTestServer();
  services = createServices(api.database.prisma, api.config);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mai-import-'));
});
afterAll(async () => {
  await api?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('import: wide product-feature files', () => {
  const products = [
    'item_id,name,category,price,tags,color,weight_kg,organic',
    'p-1,Green Tea,grocery,12.5,tea|gift,green,0.2,1',
    'p-2,Olive Oil,grocery,,oil,,1.5,',
    'p-3,"Lamp, large",home,40,,white,,0',
    '',
  ].join('\n');

  it('maps known columns to fields and the rest to attributes (empty cells missing, numbers parsed), with the feature report', async () => {
    const target = file('products.csv', products);
    const summary = await importFile({ entity: 'products', file: target });
    expect(summary).toMatchObject({ rows: 3, created: 3, updated: 0, unchanged: 0, failed: 0 });
    expect(summary.columns).toMatchObject({ item_id: 'externalId', name: 'name', price: 'price', color: 'attributes.color', weight_kg: 'attributes.weight_kg' });
    const stored = await api.database.prisma.product.findMany({ orderBy: { externalId: 'asc' } });
    expect(stored.map((p) => [p.externalId, p.name, p.price?.toNumber() ?? null, p.tags, p.attributes])).toEqual([
      ['p-1', 'Green Tea', 12.5, ['tea', 'gift'], { color: 'green', weight_kg: 0.2, organic: 1 }],
      ['p-2', 'Olive Oil', null, ['oil'], { weight_kg: 1.5 }],
      ['p-3', 'Lamp, large', 40, [], { color: 'white', organic: 0 }],
    ]);
    const weight = summary.featureReport!.features.find((f) => f.name === 'weight_kg')!;
    expect(weight.median).toBeCloseTo(0.85);
    expect(weight).toMatchObject({ kind: 'NUMERIC', present: 2, missing: 1, imputation: 'z-score; missing → median fill + missing indicator' });
    expect(summary.featureReport!.features.find((f) => f.name === 'color')).toMatchObject({ kind: 'CATEGORICAL', missing: 1 });
    expect(report(target)).toEqual([]);
  });

  it('re-importing the same file changes nothing', async () => {
    const summary = await importFile({ entity: 'products', file: file('products.csv', products) });
    expect(summary).toMatchObject({ rows: 3, created: 0, updated: 0, unchanged: 3, failed: 0 });
  });

  it('names new products by externalId when a feature file has no name column, keeping stored names', async () => {
    const summary = await importFile({ entity: 'products', file: file('features.csv', 'product_id,color\np-1,green\np-9,blue\n') });
    expect(summary).toMatchObject({ created: 1, updated: 1, failed: 0 });
    const [p1, p9] = await Promise.all(['p-1', 'p-9'].map((externalId) => api.database.prisma.product.findUnique({ where: { externalId } })));
    expect(p1!.name).toBe('Green Tea');
    expect(p1!.attributes).toEqual({ color: 'green' }); // a feature file replaces the attributes it describes
    expect(p9!.name).toBe('p-9');
  });
});

describe('import: behaviour files', () => {
  it('imports user,item,behaviour,timestamp files with unix seconds and pv/buy/cart/fav codes, idempotently', async () => {
    await importFile({ entity: 'users', file: file('users.jsonl', ['{"user_id":"u-1","consent":"yes","city":"Shanghai"}', '{"user_id":"u-2"}', ''].join('\n')) });
    const behaviour = [
      'user_id,item_id,category_id,behavior,timestamp',
      'u-1,p-1,7,pv,1767225600',
      'u-1,p-1,7,fav,1767225660',
      'u-1,p-2,7,cart,1767225720',
      'u-2,p-2,7,buy,1767229200000',
      'u-2,p-3,7,pv,2026-01-01 02:00:00',
      'u-2,p-3,7,pv,2026-01-01 02:00:00',
      '',
    ].join('\n');
    const target = file('behaviour.csv', behaviour);
    const summary = await importFile({ entity: 'interactions', file: target, batchSize: 3 });
    // The repeated last row is the same event (no id): counted once as created, once unchanged.
    expect(summary).toMatchObject({ rows: 6, created: 5, unchanged: 1, failed: 0, ignoredColumns: ['category_id'] });
    const events = await api.database.prisma.interaction.findMany({ orderBy: { occurredAt: 'asc' }, include: { user: true, product: true } });
    expect(events.map((e) => [e.user.externalId, e.product.externalId, e.type, e.occurredAt.toISOString()])).toEqual([
      ['u-1', 'p-1', 'VIEW', '2026-01-01T00:00:00.000Z'],
      ['u-1', 'p-1', 'CLICK', '2026-01-01T00:01:00.000Z'],
      ['u-1', 'p-2', 'ADD_TO_CART', '2026-01-01T00:02:00.000Z'],
      ['u-2', 'p-2', 'PURCHASE', '2026-01-01T01:00:00.000Z'],
      ['u-2', 'p-3', 'VIEW', '2026-01-01T02:00:00.000Z'],
    ]);
    const again = await importFile({ entity: 'interactions', file: target });
    expect(again).toMatchObject({ rows: 6, created: 0, updated: 0, unchanged: 6, failed: 0 });
    const consent = await api.database.prisma.user.findUnique({ where: { externalId: 'u-1' } });
    expect(consent).toMatchObject({ marketingConsent: true, attributes: { city: 'Shanghai' } });
  });

  it('reports unknown behaviours, bad timestamps and unknown users per row', async () => {
    const target = file('bad-behaviour.csv', 'user_id,item_id,behavior,timestamp\nu-1,p-1,teleport,1767225600\nu-1,p-1,pv,yesterday\nghost,p-1,pv,1767225600\nu-1,p-3,buy,1767225600\n');
    const summary = await importFile({ entity: 'interactions', file: target });
    expect(summary).toMatchObject({ rows: 4, created: 1, failed: 3 });
    const lines = report(target);
    expect(lines[0]).toMatch(/^2,,BAD_USER_INPUT,"?type: ""?teleport/);
    expect(lines[1]).toMatch(/^3,,BAD_USER_INPUT,.*occurredAt/);
    expect(lines[2]).toMatch(/^4,,NOT_FOUND,.*ghost/);
  });
});

describe('import: ratings files', () => {
  it('imports a MovieLens ratings file as it is: half stars on the configured scale, off-scale ratings refused per row', async () => {
    await services.users.upsertUsers([{ externalId: 'ml-1' }, { externalId: 'ml-2' }]);
    await services.products.upsertProducts([{ externalId: 'movie-1', name: 'Movie 1' }, { externalId: 'movie-2', name: 'Movie 2' }]);
    const ratings = [
      'userId,movieId,rating,timestamp',
      'ml-1,movie-1,0.5,964982703',
      'ml-1,movie-2,4.5,964981247',
      'ml-2,movie-1,5.0,964982224',
      'ml-2,movie-2,3.3,964983815',
      'ml-2,movie-2,0.25,964982931',
      '',
    ].join('\n');
    const target = file('ratings.csv', ratings);

    // A dry run refuses what the service would, by the same rule.
    const dry = await importFile({ entity: 'interactions', file: target, dryRun: true });
    expect(dry).toMatchObject({ rows: 5, valid: 3, failed: 2, created: 0 });
    expect(dry.columns).toEqual({ userId: 'userExternalId', movieId: 'productExternalId', rating: 'value', timestamp: 'occurredAt' });

    const summary = await importFile({ entity: 'interactions', file: target });
    expect(summary).toMatchObject({ rows: 5, created: 3, failed: 2 });
    expect(report(target)).toEqual([
      `5,,BAD_USER_INPUT,"value: 3.3 is not a rating on this service's scale: 0.5 to 5 in steps of 0.5 (configured by RATING_MIN, RATING_MAX, RATING_STEP)"`,
      `6,,BAD_USER_INPUT,"value: 0.25 is not a rating on this service's scale: 0.5 to 5 in steps of 0.5 (configured by RATING_MIN, RATING_MAX, RATING_STEP)"`,
    ]);
    const stored = await api.database.prisma.interaction.findMany({ where: { user: { externalId: { in: ['ml-1', 'ml-2'] } } }, include: { user: true, product: true }, orderBy: { occurredAt: 'asc' } });
    expect(stored.map((e) => [e.user.externalId, e.product.externalId, e.type, e.value])).toEqual([
      ['ml-1', 'movie-2', 'RATING', 4.5],
      ['ml-2', 'movie-1', 'RATING', 5],
      ['ml-1', 'movie-1', 'RATING', 0.5],
    ]);
    expect(await importFile({ entity: 'interactions', file: target })).toMatchObject({ created: 0, unchanged: 3, failed: 2 });
  });

  it('reads a rating column of a file with a type column as the value, for RATING rows', async () => {
    const target = file('typed-ratings.csv', 'user_id,item_id,behavior,rating,timestamp\nml-1,movie-1,rating,2.5,964990000\nml-1,movie-2,pv,,964990001\n');
    expect(await importFile({ entity: 'interactions', file: target })).toMatchObject({ rows: 2, created: 2, failed: 0 });
  });
});

describe('import: malformed files', () => {
  it('refuses invalid UTF-8 before writing anything', async () => {
    const before = await api.database.prisma.user.count();
    const target = file('gbk.csv', Buffer.concat([Buffer.from('externalId,name\nu-gbk-1,ok\nu-gbk-2,'), Buffer.from([0xc4, 0xe3, 0xba, 0xc3]), Buffer.from('\n')]));
    await expect(importFile({ entity: 'users', file: target })).rejects.toThrow(/not valid UTF-8/);
    expect(await api.database.prisma.user.count()).toBe(before);
  });

  it('refuses a file missing required columns before writing anything, naming them', async () => {
    const before = await api.database.prisma.interaction.count();
    const target = file('no-time.csv', 'user_id,item_id,behavior\nu-1,p-1,pv\n');
    const error = await importFile({ entity: 'interactions', file: target }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportFileError);
    expect((error as Error).message).toMatch(/Missing required column for interactions: occurredAt \(column occurredAt \/ timestamp/);
    expect(await api.database.prisma.interaction.count()).toBe(before);
  });

  it('reports wrong types, rule violations, unknown references and duplicate rows per row; writes only the good rows', async () => {
    await services.campaigns.upsertCampaigns([{ externalId: 'cmp-1', name: 'Spring', channel: 'EMAIL' }]);
    const target = file(
      'metrics.csv',
      [
        'campaign_id,date,impressions,clicks,conversions,spend,revenue',
        'cmp-1,2026-03-01,1000,50,5,100,400',
        'cmp-1,2026-03-02,abc,50,5,100,400',
        'cmp-1,2026-03-03,10,50,5,100,400',
        'cmp-9,2026-03-04,10,5,1,1,1',
        'cmp-1,2026-03-01,1000,50,5,100,400',
        'cmp-1,2026-03-05,10,1,0,2.5,',
        'cmp-1,2026-03-06,10,1',
        '',
      ].join('\n'),
    );
    const summary = await importFile({ entity: 'campaign-metrics', file: target });
    expect(summary).toMatchObject({ rows: 7, created: 2, failed: 5 });
    expect(report(target)).toEqual([
      '3,cmp-1,BAD_USER_INPUT,"impressions: ""abc"" is not a number"',
      '4,cmp-1,BAD_USER_INPUT,clicks: must not exceed impressions',
      '5,cmp-9,NOT_FOUND,"campaignExternalId: no campaign has externalId ""cmp-9""."',
      '6,cmp-1,CONFLICT,"duplicate row: campaign and date ""cmp-1|2026-03-01"" already appeared on line 2"',
      '8,,BAD_USER_INPUT,row has 4 values but the header has 7 columns',
    ]);
    const stored = await api.database.prisma.campaignMetric.findMany({ orderBy: { date: 'asc' } });
    expect(stored.map((m) => [m.date.toISOString().slice(0, 10), m.impressions])).toEqual([
      ['2026-03-01', 1000],
      ['2026-03-05', 10],
    ]);
  });

  it('reports bad JSON lines and invalid values of JSONL files; --dry-run writes nothing', async () => {
    const target = file('users-bad.jsonl', ['{"externalId":"j-1","email":"j1@example.com"}', '{not json', '{"externalId":"j-2","email":"not-an-email"}', '{"externalId":"j-1"}', ''].join('\n'));
    const dry = await importFile({ entity: 'users', file: target, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, rows: 4, valid: 2, failed: 2, created: 0 });
    expect(await api.database.prisma.user.count({ where: { externalId: { in: ['j-1', 'j-2'] } } })).toBe(0);
    const summary = await importFile({ entity: 'users', file: target, errorsPath: path.join(dir, 'users-report.csv') });
    expect(summary).toMatchObject({ created: 1, failed: 3 });
    const lines = fs.readFileSync(path.join(dir, 'users-report.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('line,externalId,code,message');
    expect(lines.slice(1).map((line) => line.split(',').slice(0, 3).join(','))).toEqual(['2,,BAD_USER_INPUT', '3,j-2,BAD_USER_INPUT', '4,j-1,CONFLICT']);
  });
});

describe('import: feedback files', () => {
  it('imports label,review files (task from --task) idempotently without an id column', async () => {
    const target = file('waimai.csv', 'label,review\n1,很快，好吃，味道足，量大\n0,送货太慢了，等了两个小时\n');
    const first = await importFile({ entity: 'feedback', file: target });
    expect(first).toMatchObject({ rows: 2, created: 2, failed: 0 });
    const again = await importFile({ entity: 'feedback', file: target });
    expect(again).toMatchObject({ created: 0, unchanged: 2 });
    const labels = await api.database.prisma.feedbackLabel.findMany({ orderBy: { label: 'asc' } });
    expect(labels.map((l) => [l.task, l.label])).toEqual([
      ['sentiment', '0'],
      ['sentiment', '1'],
    ]);
  });
});

describe('npm run import (CLI)', () => {
  it('exits 2 with a clear message for missing columns and 0 with a summary otherwise', async () => {
    const run = promisify(execFile);
    const env = { ...process.env, DATABASE_URL: api.database.url, LOG_LEVEL: 'silent', DATA_ENCRYPTION_KEY: api.config.DATA_ENCRYPTION_KEY ?? '', DATA_HASH_KEY: api.config.DATA_HASH_KEY ?? '' };
    const bad = await run('npx', ['tsx', 'scripts/import.ts', 'interactions', file('cli-bad.csv', 'user,item\nu-1,p-1\n')], { env }).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toMatch(/Missing required columns for interactions: type .*occurredAt/);
    const good = await run('npx', ['tsx', 'scripts/import.ts', 'products', file('cli.csv', 'sku_code,name\nx-1,Thing\n'), '--map', 'sku_code=externalId'], { env });
    expect(good.stdout).toMatch(/created: 1 {2}updated: 0 {2}unchanged: 0/);
    expect(good.stdout).toMatch(/Product feature data quality/);
  }, 60_000);
});
