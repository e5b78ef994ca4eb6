import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryableSqlState } from '../../../src/db/row-locks.ts';
import { BULK_WRITE_ATTEMPTS, retryBulkWrite } from '../../../src/modules/common/bulk.ts';
import { startTestServer, type GraphQLResponse, type TestServer } from '../../support/server.ts';
import {
  graphql,
  type CampaignInput,
  type CampaignMetricInput,
  type FeedbackInput,
  type FeedbackLabelAssignment,
  type InteractionInput,
  type ProductInput,
  type UserInput,
} from '../../support/graphql.ts';

/**
 * The same batch sent by several clients at once (a retrying CRM, two sync workers): every
 * caller gets an answer, each row is created or updated by exactly one of them and reported
 * unchanged by the others, and exactly one stored row per key holds the final values.
 */

const CLIENTS = 6;
const ROUNDS = 3;

const USERS = graphql(`mutation ConcurrentUpsertUsers($input: [UserInput!]!) {
  upsertUsers(input: $input) { created updated unchanged failed errors { index code message } }
}`);
const PRODUCTS = graphql(`mutation ConcurrentUpsertProducts($input: [ProductInput!]!) {
  upsertProducts(input: $input) { created updated unchanged failed errors { index code message } }
}`);
const CAMPAIGNS = graphql(`mutation ConcurrentUpsertCampaigns($input: [CampaignInput!]!) {
  upsertCampaigns(input: $input) { created updated unchanged failed errors { index code message } }
}`);
const METRICS = graphql(`mutation ConcurrentRecordMetrics($input: [CampaignMetricInput!]!) {
  recordCampaignMetrics(input: $input) { created updated unchanged failed errors { index code message } }
}`);
const INTERACTIONS = graphql(`mutation ConcurrentRecordInteractions($input: [InteractionInput!]!) {
  recordInteractions(input: $input) { created updated unchanged failed errors { index code message } }
}`);
const FEEDBACK = graphql(`mutation ConcurrentSubmitFeedback($input: [FeedbackInput!]!) {
  submitFeedback(input: $input) { created updated unchanged failed errors { index code message } }
}`);
const LABELS = graphql(`mutation ConcurrentLabelFeedback($input: [FeedbackLabelAssignment!]!) {
  labelFeedback(input: $input) { created updated unchanged failed errors { index code message } }
}`);

interface Counts {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  errors: unknown[];
}

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer();
});
afterAll(async () => {
  await api?.stop();
});

/** Sends the same batch from CLIENTS clients at once; every answer is a success. */
async function race(send: () => Promise<GraphQLResponse<Record<string, unknown>>>, field: string): Promise<Counts[]> {
  const responses = await Promise.all(Array.from({ length: CLIENTS }, () => send()));
  return responses.map((response) => {
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    const counts = response.data![field] as Counts;
    expect(counts.errors).toEqual([]);
    expect(counts.failed).toBe(0);
    return counts;
  });
}

/** Each row created/updated by exactly one caller, unchanged for the others; each caller's counts cover its batch. */
function expectOutcomes(results: Counts[], batchSize: number, expected: { created: number; updated: number }): void {
  for (const counts of results) expect(counts.created + counts.updated + counts.unchanged).toBe(batchSize);
  const sum = (key: 'created' | 'updated' | 'unchanged') => results.reduce((total, counts) => total + counts[key], 0);
  expect({ created: sum('created'), updated: sum('updated'), unchanged: sum('unchanged') }).toEqual({
    created: expected.created,
    updated: expected.updated,
    unchanged: CLIENTS * batchSize - expected.created - expected.updated,
  });
}

/**
 * Round r's batch: rows [0, 20 + 10r): rows below 10r existed before; of those, the even ones
 * change in this round, the odd ones are sent as they are; rows from 10r on are new.
 */
function roundRows(round: number): { index: number; isNew: boolean; changed: boolean; version: number }[] {
  const rows = [];
  for (let index = 0; index < 20 + 10 * round; index += 1) {
    const existed = index < 10 * round + (round > 0 ? 10 : 0);
    const changed = existed && index % 2 === 0;
    rows.push({ index, isNew: !existed, changed, version: 0 });
  }
  // The version a row is written with: bumped in every round that changes it.
  return rows.map((row) => ({ ...row, version: versionOf(row.index, round) }));
}
function versionOf(index: number, round: number): number {
  let version = 0;
  for (let r = 1; r <= round; r += 1) if (index < 10 * r + 10 && index % 2 === 0) version += 1;
  return version;
}
const expectedOf = (rows: ReturnType<typeof roundRows>) => ({
  created: rows.filter((row) => row.isNew).length,
  updated: rows.filter((row) => row.changed).length,
});

describe('identical batches sent concurrently', () => {
  it('upsertUsers: one creation or update per user, consent changes recorded once', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const rows = roundRows(round);
      const input: UserInput[] = rows.map((row) => ({
        externalId: `cu-${row.index}`,
        email: `cu-${row.index}@example.com`,
        name: `User ${row.index} v${row.version}`,
        marketingConsent: row.version % 2 === 1,
        attributes: { version: row.version },
      }));
      expectOutcomes(await race(() => api.gql(USERS, { input }), 'upsertUsers'), input.length, expectedOf(rows));
    }
    const stored = await api.database.prisma.user.findMany({ where: { externalId: { startsWith: 'cu-' } } });
    const finalRows = roundRows(ROUNDS - 1);
    expect(stored).toHaveLength(finalRows.length);
    for (const row of finalRows) {
      const user = stored.find((candidate) => candidate.externalId === `cu-${row.index}`)!;
      expect(user.attributes).toEqual({ version: row.version });
      expect(user.marketingConsent).toBe(row.version % 2 === 1);
      expect(user.emailHash).not.toBeNull();
    }
    // A consent change per version switch (0 → 1 grants, 1 → 2 withdraws), never one per caller.
    const changes = await api.database.prisma.consentChange.count({ where: { user: { externalId: { startsWith: 'cu-' } } } });
    expect(changes).toBe(finalRows.reduce((total, row) => total + row.version, 0));
  });

  it('upsertProducts: one row per externalId with the final values', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const rows = roundRows(round);
      const input: ProductInput[] = rows.map((row) => ({ externalId: `cp-${row.index}`, name: `Product ${row.index}`, price: 10 + row.version }));
      expectOutcomes(await race(() => api.gql(PRODUCTS, { input }), 'upsertProducts'), input.length, expectedOf(rows));
    }
    const stored = await api.database.prisma.product.findMany({ where: { externalId: { startsWith: 'cp-' } } });
    const finalRows = roundRows(ROUNDS - 1);
    expect(stored).toHaveLength(finalRows.length);
    for (const row of finalRows) {
      expect(stored.find((product) => product.externalId === `cp-${row.index}`)!.price?.toNumber()).toBe(10 + row.version);
    }
  });

  it('upsertCampaigns: one row per externalId with the final values and target products', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const rows = roundRows(round);
      const input: CampaignInput[] = rows.map((row) => ({
        externalId: `cc-${row.index}`,
        name: `Campaign ${row.index}`,
        channel: 'EMAIL',
        budget: 100 + row.version,
        productExternalIds: [`cp-${row.version % 3}`],
      }));
      expectOutcomes(await race(() => api.gql(CAMPAIGNS, { input }), 'upsertCampaigns'), input.length, expectedOf(rows));
    }
    const stored = await api.database.prisma.campaign.findMany({
      where: { externalId: { startsWith: 'cc-' } },
      include: { products: { include: { product: true } } },
    });
    const finalRows = roundRows(ROUNDS - 1);
    expect(stored).toHaveLength(finalRows.length);
    for (const row of finalRows) {
      const campaign = stored.find((candidate) => candidate.externalId === `cc-${row.index}`)!;
      expect(campaign.budget?.toNumber()).toBe(100 + row.version);
      expect(campaign.products.map((link) => link.product.externalId)).toEqual([`cp-${row.version % 3}`]);
    }
  });

  it('recordCampaignMetrics: one row per (campaign, day) with the final figures', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const rows = roundRows(round);
      const input: CampaignMetricInput[] = rows.map((row) => ({
        campaignExternalId: `cc-${row.index % 5}`,
        date: `2026-03-${String(1 + Math.floor(row.index / 5)).padStart(2, '0')}`,
        impressions: 1000 + row.version,
        clicks: 10,
        conversions: 1,
        spend: 5,
      }));
      expectOutcomes(await race(() => api.gql(METRICS, { input }), 'recordCampaignMetrics'), input.length, expectedOf(rows));
    }
    const stored = await api.database.prisma.campaignMetric.findMany({ where: { campaign: { externalId: { startsWith: 'cc-' } } } });
    const finalRows = roundRows(ROUNDS - 1);
    expect(stored).toHaveLength(finalRows.length);
    expect(stored.map((metric) => metric.impressions).sort()).toEqual(finalRows.map((row) => 1000 + row.version).sort());
  });

  it('recordInteractions: events with and without externalId stored once', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const rows = roundRows(round);
      const input: InteractionInput[] = rows.map((row) => ({
        // Every third row has no externalId: its content is its key, so it never changes.
        externalId: row.index % 3 === 0 ? null : `ci-${row.index}`,
        userExternalId: `cu-${row.index % 7}`,
        productExternalId: `cp-${row.index % 5}`,
        type: 'VIEW',
        value: row.index % 3 === 0 ? row.index : row.version,
        occurredAt: new Date(Date.UTC(2026, 2, 1, 0, row.index)).toISOString(),
      }));
      const changed = rows.filter((row) => row.changed && row.index % 3 !== 0).length;
      expectOutcomes(await race(() => api.gql(INTERACTIONS, { input }), 'recordInteractions'), input.length, {
        created: rows.filter((row) => row.isNew).length,
        updated: changed,
      });
    }
    const finalRows = roundRows(ROUNDS - 1);
    const stored = await api.database.prisma.interaction.findMany({ where: { user: { externalId: { startsWith: 'cu-' } } } });
    expect(stored).toHaveLength(finalRows.length);
    for (const row of finalRows.filter((candidate) => candidate.index % 3 !== 0)) {
      expect(stored.filter((event) => event.externalId === `ci-${row.index}`).map((event) => event.value)).toEqual([row.version]);
    }
  });

  it('submitFeedback and labelFeedback: each feedback and each label created once', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const rows = roundRows(round);
      const input: FeedbackInput[] = rows.map((row) => ({
        externalId: `cf-${row.index}`,
        productExternalId: `cp-${row.index % 5}`,
        channel: 'REVIEW',
        text: `Feedback ${row.index}, version ${row.version}`,
        rating: 1 + (row.version % 5),
        labels: row.index % 4 === 0 ? [{ task: 'sentiment', label: `s${row.version}` }] : undefined,
      }));
      expectOutcomes(await race(() => api.gql(FEEDBACK, { input }), 'submitFeedback'), input.length, expectedOf(rows));

      // Labels for task "topic": rows with a label from an earlier round keep or change it, the rest are new.
      const labels: FeedbackLabelAssignment[] = rows.map((row) => ({ feedbackExternalId: `cf-${row.index}`, task: 'topic', label: `t${row.version}` }));
      expectOutcomes(await race(() => api.gql(LABELS, { input: labels }), 'labelFeedback'), labels.length, expectedOf(rows));
    }
    const finalRows = roundRows(ROUNDS - 1);
    const stored = await api.database.prisma.feedback.findMany({ where: { externalId: { startsWith: 'cf-' } }, include: { labels: true } });
    expect(stored).toHaveLength(finalRows.length);
    for (const row of finalRows) {
      const feedback = stored.find((candidate) => candidate.externalId === `cf-${row.index}`)!;
      expect(feedback.text).toBe(`Feedback ${row.index}, version ${row.version}`);
      const labels = Object.fromEntries(feedback.labels.map((label) => [label.task, label.label]));
      expect(labels).toEqual({ topic: `t${row.version}`, ...(row.index % 4 === 0 ? { sentiment: `s${row.version}` } : {}) });
    }
  });
});

describe('retrying a bulk write that collided', () => {
  it('recognises a unique violation as Prisma and pg report it', async () => {
    const db = api.database.prisma;
    await db.product.create({ data: { externalId: 'retry-dup', name: 'Duplicate' } });
    const viaPrisma = await db.$executeRaw`INSERT INTO products (id, external_id, name, created_at, updated_at)
      VALUES (gen_random_uuid(), 'retry-dup', 'Again', now(), now())`.catch((error: unknown) => error);
    expect(retryableSqlState(viaPrisma)).toBe('23505');
    expect(retryableSqlState(await db.product.create({ data: { externalId: 'retry-dup', name: 'Again' } }).catch((error: unknown) => error))).toBe('23505');
    expect(retryableSqlState(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe('40P01');
    expect(retryableSqlState(new Error('something else'))).toBeUndefined();
  });

  it('re-runs the write after a deadlock, and answers WRITE_CONFLICT when every attempt collides', async () => {
    let attempts = 0;
    const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });
    expect(await retryBulkWrite(async () => ((attempts += 1) < 3 ? Promise.reject(deadlock()) : 'written'))).toBe('written');
    expect(attempts).toBe(3);
    const failure = await retryBulkWrite(() => Promise.reject(deadlock())).catch((error: unknown) => error);
    expect(failure).toMatchObject({ extensions: { code: 'WRITE_CONFLICT', retryable: true, attempts: BULK_WRITE_ATTEMPTS } });
    const other = new Error('not a collision');
    await expect(retryBulkWrite(() => Promise.reject(other))).rejects.toBe(other);
  });
});
