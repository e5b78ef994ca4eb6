import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { graphql, type CampaignInput, type CampaignMetricInput } from '../../support/graphql.ts';

const RECORD = graphql(`mutation CampaignMetricsRecord($input: [CampaignMetricInput!]!) {
  recordCampaignMetrics(input: $input) { created updated unchanged failed errors { index externalId code message field } }
}`);
const UPSERT = graphql(`mutation CampaignMetricsUpsert($input: [CampaignInput!]!) { upsertCampaigns(input: $input) { created updated unchanged failed } }`);
const UPSERT_PRODUCTS = graphql(`mutation CampaignMetricsUpsertProducts($input: [ProductInput!]!) { upsertProducts(input: $input) { created failed } }`);
const STATS = graphql(`query CampaignMetricsStats($externalId: String, $from: Date, $to: Date) {
  campaign(externalId: $externalId) {
    dailyMetrics(from: $from, to: $to) { date impressions clicks conversions spend revenue }
    totals(from: $from, to: $to) { impressions clicks conversions spend revenue ctr conversionRate costPerAcquisition roas }
  }
}`);

let api: TestServer;
let campaignId: string;

beforeAll(async () => {
  api = await startTestServer();
  const created = await api.gql(UPSERT, {
    input: [
      { externalId: 'm-1', name: 'Metrics', channel: 'SEARCH' },
      { externalId: 'm-empty', name: 'No metrics', channel: 'EMAIL' },
      { externalId: 'm-zero', name: 'Zero figures', channel: 'SMS' },
    ],
  });
  expect(created.data?.upsertCampaigns.created).toBe(3);
  const found = await api.gql(graphql(`query CampaignMetricsCampaignByExternalId { campaign(externalId: "m-1") { id } }`));
  campaignId = found.data!.campaign!.id;
});
afterAll(async () => {
  await api?.stop();
});

async function record(input: CampaignMetricInput[]) {
  const result = await api.gql(RECORD, { input });
  expect(result.errors).toBeUndefined();
  return result.data!.recordCampaignMetrics;
}

async function stats(externalId: string, from?: string, to?: string) {
  const result = await api.gql(STATS, { externalId, from, to });
  expect(result.errors).toBeUndefined();
  return result.data!.campaign!;
}

describe('recordCampaignMetrics', () => {
  it('inserts new days, reports a re-sent batch as unchanged and updates changed days', async () => {
    const input = [
      { campaignExternalId: 'm-1', date: '2026-04-01', impressions: 1000, clicks: 50, conversions: 5, spend: 100, revenue: 400 },
      { campaignId, date: '2026-04-02', impressions: 2000, clicks: 100, conversions: 20, spend: 150.5, revenue: 300 },
      { campaignExternalId: 'm-1', date: '2026-04-03', impressions: 0, clicks: 0, conversions: 3, spend: 0 },
    ];
    expect(await record(input)).toEqual({ created: 3, updated: 0, unchanged: 0, failed: 0, errors: [] });
    expect(await record(input)).toEqual({ created: 0, updated: 0, unchanged: 3, failed: 0, errors: [] });
    const changed = [{ ...input[1], clicks: 120 }, input[0], { ...input[2], date: '2026-04-04' }];
    expect(await record(changed)).toEqual({ created: 1, updated: 1, unchanged: 1, failed: 0, errors: [] });
    // Omitted revenue keeps the stored value; sending the same figures without it is unchanged.
    const { revenue: _revenue, ...withoutRevenue } = input[0]!;
    expect(await record([withoutRevenue])).toMatchObject({ unchanged: 1 });

    const { dailyMetrics } = await stats('m-1');
    expect(dailyMetrics).toEqual([
      { date: '2026-04-01', impressions: 1000, clicks: 50, conversions: 5, spend: 100, revenue: 400 },
      { date: '2026-04-02', impressions: 2000, clicks: 120, conversions: 20, spend: 150.5, revenue: 300 },
      { date: '2026-04-03', impressions: 0, clicks: 0, conversions: 3, spend: 0, revenue: 0 },
      { date: '2026-04-04', impressions: 0, clicks: 0, conversions: 3, spend: 0, revenue: 0 },
    ]);
  });

  it('computes totals and ratios in SQL over a date range', async () => {
    const all = await stats('m-1');
    expect(all.totals).toEqual({
      impressions: 3000,
      clicks: 170,
      conversions: 31,
      spend: 250.5,
      revenue: 700,
      ctr: 170 / 3000,
      conversionRate: 31 / 170,
      costPerAcquisition: 250.5 / 31,
      roas: 700 / 250.5,
    });
    const range = await stats('m-1', '2026-04-02', '2026-04-03');
    expect(range.dailyMetrics!.map((m) => m.date)).toEqual(['2026-04-02', '2026-04-03']);
    expect(range.totals).toMatchObject({ impressions: 2000, clicks: 120, conversions: 23, spend: 150.5, revenue: 300 });
    const from = await stats('m-1', '2026-04-03');
    expect(from.dailyMetrics!.map((m) => m.date)).toEqual(['2026-04-03', '2026-04-04']);
  });

  it('answers null ratios, never Infinity or NaN, when a denominator is 0', async () => {
    await record([{ campaignExternalId: 'm-zero', date: '2026-04-01', impressions: 0, clicks: 0, conversions: 0, spend: 0, revenue: 0 }]);
    const zero = await stats('m-zero');
    expect(zero.totals).toEqual({
      impressions: 0,
      clicks: 0,
      conversions: 0,
      spend: 0,
      revenue: 0,
      ctr: null,
      conversionRate: null,
      costPerAcquisition: null,
      roas: null,
    });
    const empty = await stats('m-empty');
    expect(empty.dailyMetrics).toEqual([]);
    expect(empty.totals).toEqual(zero.totals);
    // Days 3 and 4 of m-1: conversions without clicks or spend (view-through).
    const viewThrough = await stats('m-1', '2026-04-03', '2026-04-04');
    expect(viewThrough.totals).toMatchObject({ conversions: 6, ctr: null, conversionRate: null, costPerAcquisition: 0, roas: null });
  });

  it('refuses bad rows by index and code and still writes the good ones', async () => {
    const unknownCampaign = Buffer.from('Campaign:00000000-0000-0000-0000-000000000000').toString('base64url');
    const day = { impressions: 10, clicks: 1, conversions: 0, spend: 1 };
    const result = await record([
      { campaignExternalId: 'm-1', date: '2026-05-01', ...day, clicks: 11 },
      { campaignExternalId: 'm-1', date: '2026-05-02', ...day, impressions: -1 },
      { campaignExternalId: 'm-1', date: '2026-05-03', ...day, spend: -0.01 },
      { campaignExternalId: 'ghost', date: '2026-05-04', ...day },
      { campaignId: unknownCampaign, date: '2026-05-05', ...day },
      { campaignId: 'garbage', date: '2026-05-06', ...day },
      { date: '2026-05-07', ...day },
      { campaignId, campaignExternalId: 'm-1', date: '2026-05-08', ...day },
      { campaignExternalId: 'm-1', date: '2026-05-09', ...day },
      { campaignId, date: '2026-05-09', ...day, impressions: 99 },
      { campaignExternalId: 'm-1', date: '2026-05-10', ...day, conversions: 5 },
      { campaignExternalId: 'm-1', date: '1900-01-01', ...day },
    ]);
    expect(result.errors.map((e) => [e.index, e.code, e.field])).toEqual([
      [0, 'BAD_USER_INPUT', 'clicks'],
      [1, 'BAD_USER_INPUT', 'impressions'],
      [2, 'BAD_USER_INPUT', 'spend'],
      [3, 'NOT_FOUND', 'campaignExternalId'],
      [4, 'NOT_FOUND', 'campaignId'],
      [5, 'BAD_USER_INPUT', 'campaignId'],
      [6, 'BAD_USER_INPUT', 'campaignId'],
      [7, 'BAD_USER_INPUT', 'campaignId'],
      [9, 'CONFLICT', 'campaign and date'],
      [11, 'BAD_USER_INPUT', 'date'],
    ]);
    expect(result).toMatchObject({ created: 2, updated: 0, unchanged: 0, failed: 10 });
    expect(result.errors[3]).toMatchObject({ externalId: 'ghost', message: expect.stringContaining('ghost') });
    const may = await stats('m-1', '2026-05-01', '2026-05-31');
    expect(may.dailyMetrics!.map((m) => [m.date, m.impressions, m.conversions])).toEqual([
      ['2026-05-09', 10, 0],
      ['2026-05-10', 10, 5],
    ]);
  });

  it('rejects a malformed date at the GraphQL layer and a reversed range on the field', async () => {
    const malformed = await api.gql(RECORD, {
      input: [{ campaignExternalId: 'm-1', date: '2026-02-30', impressions: 1, clicks: 0, conversions: 0, spend: 0 }],
    });
    expect(malformed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const reversed = await api.gql(STATS, { externalId: 'm-1', from: '2026-04-05', to: '2026-04-01' });
    expect(reversed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('DataLoader bound', () => {
  const PAGE = graphql(`query CampaignMetricsPage($first: Int, $from: Date, $to: Date) {
    campaigns(first: $first, filter: { search: "bulk-" }) {
      edges { node { externalId products { id } dailyMetrics(from: $from, to: $to) { date } totals(from: $from, to: $to) { ctr } } }
    }
  }`);

  beforeAll(async () => {
    const products = Array.from({ length: 150 }, (_, i) => ({ externalId: `bp-${i}`, name: `Bulk product ${i}` }));
    const createdProducts = await api.gql(UPSERT_PRODUCTS, { input: products });
    expect(createdProducts.data?.upsertProducts.created).toBe(150);
    const campaigns = Array.from(
      { length: 50 },
      (_, i): CampaignInput => ({
        externalId: `bulk-${i}`,
        name: `Bulk ${i}`,
        channel: 'DISPLAY',
        productExternalIds: [`bp-${3 * i}`, `bp-${3 * i + 1}`, `bp-${3 * i + 2}`],
      }),
    );
    const createdCampaigns = await api.gql(UPSERT, { input: campaigns });
    expect(createdCampaigns.data?.upsertCampaigns.created).toBe(50);
    const metrics = campaigns.flatMap((campaign, i) =>
      ['2026-06-01', '2026-06-02'].map((date) => ({
        campaignExternalId: campaign.externalId,
        date,
        impressions: 100 + i,
        clicks: i,
        conversions: 1,
        spend: 10,
      })),
    );
    expect((await record(metrics)).created).toBe(100);
  });

  it('costs the same number of SQL statements for 5 and for 50 campaigns', async () => {
    const small = await api.gql(PAGE, { first: 5 });
    const large = await api.gql(PAGE, { first: 50 });
    expect(small.errors).toBeUndefined();
    expect(large.errors).toBeUndefined();
    expect(large.data?.campaigns.edges).toHaveLength(50);
    for (const { node } of large.data!.campaigns.edges) {
      expect(node.products).toHaveLength(3);
      expect(node.dailyMetrics).toHaveLength(2);
      expect(node.totals!.ctr).toBeGreaterThanOrEqual(0);
    }
    expect(small.sqlStatements).toBeGreaterThan(0);
    expect(large.sqlStatements).toBe(small.sqlStatements);
    // One statement for the page, one per loader.
    expect(large.sqlStatements).toBeLessThanOrEqual(4);
    // A date range shared by the whole page batches the same way.
    const ranged = await api.gql(PAGE, { first: 50, from: '2026-06-02', to: '2026-06-02' });
    expect(ranged.sqlStatements).toBe(small.sqlStatements);
    expect(ranged.data!.campaigns.edges[0]!.node.dailyMetrics).toHaveLength(1);
  });

  it('batches Product.campaigns across a page of products', async () => {
    const query = graphql(
      `query CampaignMetricsProductCampaigns($first: Int) { products(first: $first, filter: { search: "bp-" }) { edges { node { campaigns { externalId } } } } }`,
    );
    const small = await api.gql(query, { first: 5 });
    const large = await api.gql(query, { first: 100 });
    expect(large.data?.products.edges.every((edge) => edge.node.campaigns!.length === 1)).toBe(true);
    expect(large.sqlStatements).toBe(small.sqlStatements);
  });
});
