import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportError, runExport, type AudienceProvider, type ExportOptions } from '../../src/io/export.ts';
import { createServices, type Services } from '../../src/app/services.ts';
import { startTestServer, TEST_ADMIN_API_KEY, type TestServer } from '../support/server.ts';

let api: TestServer;
let services: Services;

async function exportCsv(options: ExportOptions, audience?: AudienceProvider): Promise<{ lines: string[]; personalFields: boolean }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const summary = await runExport(services, api.database.prisma, options, out, audience ? { audience } : {});
  out.end();
  return { lines: Buffer.concat(chunks).toString('utf8').trim().split('\n'), personalFields: summary.personalFields };
}

/** A stand-in ranking that returns every user, consenting or not: the export must filter. */
const everyone: AudienceProvider = async (_campaign, limit) => {
  const users = await api.database.prisma.user.findMany({ orderBy: { externalId: 'asc' }, take: limit });
  return users
    .map((user) => ({ user, score: user.externalId === 'c-1' ? 0.9 : 0.5, reason: 'bought similar products' }))
    .sort((a, b) => b.score - a.score || a.user.externalId.localeCompare(b.user.externalId));
};

beforeAll(async () => {
  api = await startTestServer();
  services = createServices(api.database.prisma, api.config);
  const users = await services.users.upsertUsers([
    { externalId: 'c-1', email: 'ann@example.com', name: 'Ann Lee', marketingConsent: true },
    { externalId: 'c-2', email: 'ben@example.com', name: 'Ben Wu', marketingConsent: false },
    { externalId: 'c-3', email: 'cai@example.com', name: 'Cai Li', marketingConsent: true },
    { externalId: 'c-4', email: 'dee@example.com', name: 'Dee Ma', marketingConsent: true },
  ]);
  expect(users.failed).toBe(0);
  await services.users.eraseUser({ externalId: 'c-3' });
  await services.products.upsertProducts([{ externalId: 'p-1', name: 'Kettle' }]);
  await services.campaigns.upsertCampaigns([{ externalId: 'cmp', name: 'Spring', channel: 'EMAIL', productExternalIds: ['p-1'] }]);
  const feedback = await services.feedback.submitFeedback([
    { externalId: 'f-1', userExternalId: 'c-1', productExternalId: 'p-1', channel: 'REVIEW', text: 'Great, fast delivery' },
    { externalId: 'f-2', userExternalId: 'c-2', productExternalId: 'p-1', campaignExternalId: 'cmp', channel: 'AD_COMMENT', text: 'Too slow, "meh", sorry' },
    { externalId: 'f-3', productExternalId: 'p-1', channel: 'SURVEY', text: 'No prediction for me' },
  ]);
  expect(feedback.failed).toBe(0);
  const db = api.database.prisma;
  const model = await db.modelVersion.create({ data: { kind: 'TEXT_CLASSIFIER', task: 'sentiment', version: 3, labels: ['negative', 'positive'] } });
  const items = await db.feedback.findMany({ where: { externalId: { in: ['f-1', 'f-2'] } } });
  await db.feedbackPrediction.createMany({
    data: items.map((item) => ({ feedbackId: item.id, task: 'sentiment', label: item.externalId === 'f-1' ? 'positive' : 'negative', confidence: 0.75, scores: {}, modelVersionId: model.id })),
  });
});
afterAll(async () => {
  await api?.stop();
});

describe('export predictions', () => {
  it('writes one CSV row per prediction with the external ids a CRM maps back', async () => {
    const { lines } = await exportCsv({ kind: 'predictions', task: 'sentiment' });
    expect(lines[0]).toBe('feedbackId,feedbackExternalId,userExternalId,productExternalId,campaignExternalId,task,label,confidence,modelVersion,predictedAt');
    const rows = lines.slice(1).map((line) => line.split(','));
    expect(rows.map((r) => [r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]]).sort()).toEqual([
      ['f-1', 'c-1', 'p-1', '', 'sentiment', 'positive', '0.75', '3'],
      ['f-2', 'c-2', 'p-1', 'cmp', 'sentiment', 'negative', '0.75', '3'],
    ]);
    expect((await exportCsv({ kind: 'predictions', limit: 1 })).lines).toHaveLength(2);
    expect((await exportCsv({ kind: 'predictions', task: 'topic' })).lines).toHaveLength(1);
  });
});

describe('export audience', () => {
  it('holds only consenting, non-erased users and no personal fields without an ADMIN key', async () => {
    const { lines, personalFields } = await exportCsv({ kind: 'audience', campaign: 'cmp' }, everyone);
    expect(personalFields).toBe(false);
    expect(lines).toEqual(['rank,userExternalId,score,reason', '1,c-1,0.9,bought similar products', '2,c-4,0.5,bought similar products']);
    expect(lines.join('\n')).not.toMatch(/@example\.com|Ann/);
  });

  it('leaves personal fields out for ANALYST and INTEGRATION keys', async () => {
    for (const role of ['ANALYST', 'INTEGRATION'] as const) {
      const key = await api.createKey(role);
      const { lines } = await exportCsv({ kind: 'audience', campaign: 'cmp', apiKey: key.secret }, everyone);
      expect(lines[0]).toBe('rank,userExternalId,score,reason');
      expect(lines.join('\n')).not.toContain('@example.com');
    }
  });

  it('adds email and name with an ADMIN key (environment or stored)', async () => {
    const fromEnv = await exportCsv({ kind: 'audience', campaign: 'cmp', apiKey: TEST_ADMIN_API_KEY }, everyone);
    expect(fromEnv.personalFields).toBe(true);
    expect(fromEnv.lines).toEqual([
      'rank,userExternalId,email,name,score,reason',
      '1,c-1,ann@example.com,Ann Lee,0.9,bought similar products',
      '2,c-4,dee@example.com,Dee Ma,0.5,bought similar products',
    ]);
    const stored = await api.createKey('ADMIN');
    expect((await exportCsv({ kind: 'audience', campaign: 'cmp', apiKey: stored.secret }, everyone)).lines[1]).toContain('ann@example.com');
  });

  it('refuses unknown keys and a missing campaign', async () => {
    await expect(exportCsv({ kind: 'audience', campaign: 'cmp', apiKey: 'mai_not-a-real-key-at-all' }, everyone)).rejects.toThrow(/API key is not valid/);
    await expect(exportCsv({ kind: 'audience' }, everyone)).rejects.toThrow(/--campaign/);
  });

  it('needs an active recommender when the real audience is asked for', async () => {
    const error = await exportCsv({ kind: 'audience', campaign: 'cmp' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as Error).message).toMatch(/recommender/i);
  });
});

describe('export recommendations', () => {
  it('needs an active recommender', async () => {
    await expect(exportCsv({ kind: 'recommendations' })).rejects.toThrow(/needs an active recommender/);
  });
});
