import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { startTestServer, TEST_ADMIN_API_KEY, type TestServer } from '../support/server.ts';
import { seedPlanted, train } from '../modules/recommendations/planted.ts';

// `marketing-ai export` against a real server: what each column holds is what the API shows the key.
let api: TestServer;
let dir: string;
const keys = { ADMIN: TEST_ADMIN_API_KEY, ANALYST: '', INTEGRATION: '' };
type Role = keyof typeof keys;

const cli = (role: Role, args: string[]) => runCli(['export', ...args, '--url', api.url], { MARKETING_AI_API_KEY: keys[role] });
const rowsOf = (csv: string) => parse(csv, { columns: true }) as Record<string, string>[];

beforeAll(async () => {
  api = await startTestServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mai-cli-export-'));
  keys.ANALYST = (await api.createKey('ANALYST')).secret;
  keys.INTEGRATION = (await api.createKey('INTEGRATION')).secret;
  await seedPlanted(api);
  const job = await train(api);
  expect(job.status).toBe('SUCCEEDED');
  // Two predictions of a sentiment model, as the classifier would have stored them.
  const feedback = await api.gql(`mutation { submitFeedback(input: [
    { externalId: "f-1", userExternalId: "u-a-0", productExternalId: "p-a-0", channel: REVIEW, text: "Great, fast delivery" },
    { externalId: "f-2", productExternalId: "p-a-1", campaignExternalId: "c-aurora", channel: AD_COMMENT, text: "Too slow, \\"meh\\"" }
  ]) { failed } }`);
  expect(feedback.errors).toBeUndefined();
  const db = api.database.prisma;
  const model = await db.modelVersion.create({ data: { kind: 'TEXT_CLASSIFIER', task: 'sentiment', version: 3, labels: ['negative', 'positive'] } });
  const items = await db.feedback.findMany({ where: { externalId: { in: ['f-1', 'f-2'] } } });
  await db.feedbackPrediction.createMany({
    data: items.map((item) => ({
      feedbackId: item.id,
      task: 'sentiment',
      label: item.externalId === 'f-1' ? 'positive' : 'negative',
      confidence: 0.75,
      scores: {},
      modelVersionId: model.id,
    })),
  });
}, 240_000);
afterAll(async () => {
  await api?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('export audience', () => {
  it('is complete for ADMIN, masked for ANALYST and without personal fields for INTEGRATION; consenting customers only', async () => {
    const runs = {} as Record<Role, Record<string, string>[]>;
    for (const role of ['ADMIN', 'ANALYST', 'INTEGRATION'] as const) {
      const out = path.join(dir, `audience-${role}.csv`);
      const run = await cli(role, ['audience', '--campaign', 'c-aurora', '--limit', '15', '--out', out]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/Exported \d+ audience rows to/);
      runs[role] = rowsOf(fs.readFileSync(out, 'utf8'));
    }
    const admin = runs.ADMIN;
    expect(admin.length).toBeGreaterThan(3);
    expect(Object.keys(admin[0]!)).toEqual(['rank', 'userExternalId', 'email', 'name', 'score', 'reason']);
    for (const row of admin) {
      expect(row.email).toBe(`${row.userExternalId}@example.com`);
      expect(row.name).toBe(`Customer ${row.userExternalId}`);
    }
    const consenting = new Set((await api.database.prisma.user.findMany({ where: { marketingConsent: true } })).map((u) => u.externalId));
    expect(admin.every((row) => consenting.has(row.userExternalId!))).toBe(true);
    // The same customers in the same order for every role; only the personal columns differ.
    for (const role of ['ANALYST', 'INTEGRATION'] as const) {
      expect(runs[role].map((row) => row.userExternalId)).toEqual(admin.map((row) => row.userExternalId));
    }
    for (const row of runs.ANALYST) {
      expect(row.email).toMatch(/^u\*\*\*@example\.com$/);
      expect(row.name).not.toContain(row.userExternalId);
    }
    expect(runs.INTEGRATION.every((row) => row.email === '' && row.name === '')).toBe(true);
  });

  it('says what the server refused: an unknown campaign (NOT_FOUND), leaving no file', async () => {
    const out = path.join(dir, 'none.csv');
    const run = await cli('INTEGRATION', ['audience', '--campaign', 'c-nope', '--out', out]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/NOT_FOUND/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(`${out}.partial`)).toBe(false);
  });
});

describe('export recommendations', () => {
  it('pages through consenting customers: complete for ADMIN, masked for ANALYST, refused for INTEGRATION', async () => {
    const admin = await cli('ADMIN', ['recommendations', '--users', '3', '--limit', '2']);
    expect(admin.code, admin.stderr).toBe(0);
    const rows = rowsOf(admin.stdout);
    expect(rows).toHaveLength(6);
    expect(Object.keys(rows[0]!)).toEqual(['userExternalId', 'email', 'name', 'rank', 'productExternalId', 'productName', 'score', 'reason']);
    expect(rows.map((row) => row.rank)).toEqual(['1', '2', '1', '2', '1', '2']);
    expect(rows.every((row) => row.email === `${row.userExternalId}@example.com`)).toBe(true);

    const analyst = rowsOf((await cli('ANALYST', ['recommendations', '--users', '3', '--limit', '2'])).stdout);
    expect(analyst.map((row) => [row.userExternalId, row.productExternalId])).toEqual(rows.map((row) => [row.userExternalId, row.productExternalId]));
    expect(analyst.every((row) => /^u\*\*\*@example\.com$/.test(row.email!))).toBe(true);

    const out = path.join(dir, 'recs.csv');
    const integration = await cli('INTEGRATION', ['recommendations', '--out', out]);
    expect(integration.code).toBe(3);
    expect(integration.stderr).toMatch(/FORBIDDEN.*ADMIN or ANALYST/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('export predictions', () => {
  it('writes one row per prediction with the external ids a CRM maps back; refused for INTEGRATION', async () => {
    const run = await cli('ANALYST', ['predictions', '--task', 'sentiment']);
    expect(run.code, run.stderr).toBe(0);
    const rows = rowsOf(run.stdout);
    expect(rows.map((r) => [r.feedbackExternalId, r.userExternalId, r.productExternalId, r.campaignExternalId, r.label, r.confidence, r.modelVersion]).sort()).toEqual([
      ['f-1', 'u-a-0', 'p-a-0', '', 'positive', '0.75', '3'],
      ['f-2', '', 'p-a-1', 'c-aurora', 'negative', '0.75', '3'],
    ]);
    expect(rowsOf((await cli('ADMIN', ['predictions', '--limit', '1'])).stdout)).toHaveLength(1);
    expect(rowsOf((await cli('ADMIN', ['predictions', '--task', 'topic'])).stdout)).toHaveLength(0);
    const refused = await cli('INTEGRATION', ['predictions']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/FORBIDDEN/);
  });

  it('explains bad arguments with exit 2', async () => {
    for (const [args, message] of [
      [['audience'], /audience needs --campaign/],
      [['predictions', '--limit', '0'], /--limit must be a positive integer/],
      [['everything'], /Unknown export "everything"/],
      [['audience', '--campaign', 'c-aurora', '--url', 'not a url'], /is not a URL/],
    ] as const) {
      const run = await runCli(['export', ...args], { MARKETING_AI_API_KEY: keys.ADMIN });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  }, 60_000);
});
