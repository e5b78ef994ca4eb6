import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../support/database.ts';
import { startTestServer, type TestServer, type VariablesAndHeaders } from '../../support/server.ts';
import { graphql, type ResultOf, type TimeGranularity, type TypedDocumentNode, type VariablesOf } from '../../support/graphql.ts';

const STATS = graphql(`query CampaignStatsStats($c: String!, $from: Date!, $to: Date!, $g: TimeGranularity, $w: Int) {
  campaignStats(campaignExternalId: $c, from: $from, to: $to, granularity: $g, attributionWindowDays: $w) {
    campaign { externalId } from to granularity attributionWindowDays
    buckets {
      start end
      metrics { impressions clicks conversions spend revenue ctr conversionRate costPerAcquisition roas }
      attribution { trackedClicks purchases directPurchases clickThroughPurchases units buyers purchasesPerClick }
    }
    total { impressions clicks conversions spend revenue ctr conversionRate costPerAcquisition roas }
    totalAttribution { trackedClicks purchases directPurchases clickThroughPurchases units buyers purchasesPerClick }
  }
}`);

type Stats = ResultOf<typeof STATS>['campaignStats'];
type Metrics = Stats['total'];
type Attribution = Stats['totalAttribution'];

const ZERO: Metrics = { impressions: 0, clicks: 0, conversions: 0, spend: 0, revenue: 0, ctr: null, conversionRate: null, costPerAcquisition: null, roas: null };
const NO_ATTRIBUTION: Attribution = { trackedClicks: 0, purchases: 0, directPurchases: 0, clickThroughPurchases: 0, units: 0, buyers: 0, purchasesPerClick: null };

let api: TestServer;

async function ok<R, V>(document: TypedDocumentNode<R, V>, ...rest: VariablesAndHeaders<V>): Promise<R> {
  const result = await api.gql(document, ...rest);
  expect(result.errors).toBeUndefined();
  return result.data!;
}

async function stats(from: string, to: string, granularity: TimeGranularity, window?: number, campaign = 'a-1'): Promise<Stats> {
  return (await ok(STATS, { c: campaign, from, to, g: granularity, w: window })).campaignStats;
}

beforeAll(async () => {
  // The database's sessions run in a far-from-UTC time zone: buckets must still be UTC.
  const database = await createTestDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(`ALTER DATABASE "${new URL(database.url).pathname.slice(1)}" SET timezone TO 'Pacific/Kiritimati'`);
  await client.end();
  api = await startTestServer({}, { database });
  await ok(
    graphql(`mutation CampaignStatsUpsertUsersUpsertProducts($u: [UserInput!]!, $p: [ProductInput!]!) { upsertUsers(input: $u) { failed } upsertProducts(input: $p) { failed } }`),
    {
      u: ['u1', 'u2', 'u3', 'u4'].map((externalId) => ({ externalId, marketingConsent: true })),
      p: ['p1', 'p2', 'p3'].map((externalId) => ({ externalId, name: externalId.toUpperCase(), category: 'home' })),
    },
  );
  await ok(graphql(`mutation CampaignStatsUpsertCampaigns($c: [CampaignInput!]!) { upsertCampaigns(input: $c) { failed } }`), {
    c: [
      { externalId: 'a-1', name: 'Spring', channel: 'EMAIL', productExternalIds: ['p1', 'p2'] },
      { externalId: 'a-2', name: 'Search', channel: 'SEARCH', productExternalIds: ['p3'] },
      { externalId: 'a-3', name: 'Nothing yet', channel: 'SMS' },
    ],
  });
  const metrics = await ok(graphql(`mutation CampaignStatsRecordCampaignMetrics($m: [CampaignMetricInput!]!) { recordCampaignMetrics(input: $m) { failed } }`), {
    m: [
      { campaignExternalId: 'a-1', date: '2026-02-27', impressions: 1000, clicks: 50, conversions: 5, spend: 100, revenue: 400 },
      { campaignExternalId: 'a-1', date: '2026-02-28', impressions: 0, clicks: 0, conversions: 0, spend: 0, revenue: 0 },
      { campaignExternalId: 'a-1', date: '2026-03-01', impressions: 2000, clicks: 100, conversions: 10, spend: 200, revenue: 300 },
      { campaignExternalId: 'a-1', date: '2026-03-02', impressions: 500, clicks: 0, conversions: 2, spend: 50, revenue: 0 },
      { campaignExternalId: 'a-1', date: '2026-03-10', impressions: 100, clicks: 10, conversions: 0, spend: 10, revenue: 0 },
      { campaignExternalId: 'a-2', date: '2026-03-05', impressions: 1000, clicks: 100, conversions: 1, spend: 10, revenue: 100 },
    ],
  });
  expect(metrics.recordCampaignMetrics.failed).toBe(0);
  const events = await ok(graphql(`mutation CampaignStatsRecordInteractions($i: [InteractionInput!]!) { recordInteractions(input: $i) { failed errors { index message } } }`), {
    i: [
      // u4: click before the range, click-through purchase inside it, then a direct purchase
      // stamped 23:30 in New York on Feb 28 = 04:30 UTC on March 1.
      { userExternalId: 'u4', productExternalId: 'p1', type: 'CLICK', campaignExternalId: 'a-1', occurredAt: '2026-02-20T00:00:00Z' },
      { userExternalId: 'u4', productExternalId: 'p1', type: 'PURCHASE', occurredAt: '2026-02-24T00:00:00Z' },
      { userExternalId: 'u4', productExternalId: 'p2', type: 'PURCHASE', campaignExternalId: 'a-1', occurredAt: '2026-02-28T23:30:00-05:00' },
      // u1: click, purchase of another target product 4 days later (attributed), and 8 days later (only with a longer window).
      { userExternalId: 'u1', productExternalId: 'p1', type: 'CLICK', campaignExternalId: 'a-1', occurredAt: '2026-03-01T10:00:00Z' },
      { userExternalId: 'u1', productExternalId: 'p2', type: 'PURCHASE', occurredAt: '2026-03-05T10:00:00Z' },
      { userExternalId: 'u1', productExternalId: 'p1', type: 'PURCHASE', occurredAt: '2026-03-09T11:00:00Z' },
      // u2: a click and a direct purchase (3 units) of a product outside the campaign.
      { userExternalId: 'u2', productExternalId: 'p1', type: 'CLICK', campaignExternalId: 'a-1', occurredAt: '2026-03-02T11:00:00Z' },
      { userExternalId: 'u2', productExternalId: 'p3', type: 'PURCHASE', value: 3, campaignExternalId: 'a-1', occurredAt: '2026-03-02T12:00:00Z' },
      // u3: buys a target product without any click: not attributed.
      { userExternalId: 'u3', productExternalId: 'p1', type: 'PURCHASE', occurredAt: '2026-03-03T09:00:00Z' },
      // u2 buys a target product BEFORE clicking: not attributed (the click must come first).
      { userExternalId: 'u2', productExternalId: 'p2', type: 'PURCHASE', occurredAt: '2026-03-02T10:59:00Z' },
    ],
  });
  expect(events.recordInteractions.errors).toEqual([]);
});
afterAll(async () => {
  await api?.stop();
  await api?.database.destroy();
});

describe('campaignStats', () => {
  it('sums ISO weeks (Monday start) with hand-computed ratios, nulls for zero denominators', async () => {
    const result = await stats('2026-02-23', '2026-03-15', 'WEEK');
    expect(result.buckets.map((b) => [b.start, b.end])).toEqual([
      ['2026-02-23', '2026-03-01'],
      ['2026-03-02', '2026-03-08'],
      ['2026-03-09', '2026-03-15'],
    ]);
    expect(result.buckets[0]!.metrics).toEqual({
      impressions: 3000,
      clicks: 150,
      conversions: 15,
      spend: 300,
      revenue: 700,
      ctr: 0.05,
      conversionRate: 0.1,
      costPerAcquisition: 20,
      roas: 700 / 300,
    });
    expect(result.buckets[1]!.metrics).toEqual({
      impressions: 500,
      clicks: 0,
      conversions: 2,
      spend: 50,
      revenue: 0,
      ctr: 0,
      conversionRate: null,
      costPerAcquisition: 25,
      roas: 0,
    });
    expect(result.buckets[2]!.metrics).toEqual({
      impressions: 100,
      clicks: 10,
      conversions: 0,
      spend: 10,
      revenue: 0,
      ctr: 0.1,
      conversionRate: 0,
      costPerAcquisition: null,
      roas: 0,
    });
    expect(result.total).toEqual({
      impressions: 3600,
      clicks: 160,
      conversions: 17,
      spend: 360,
      revenue: 700,
      ctr: 160 / 3600,
      conversionRate: 17 / 160,
      costPerAcquisition: 360 / 17,
      roas: 700 / 360,
    });
  });

  it('keeps empty buckets, with zeros and null ratios', async () => {
    const result = await stats('2026-03-16', '2026-03-29', 'WEEK');
    expect(result.buckets).toEqual([
      { start: '2026-03-16', end: '2026-03-22', metrics: ZERO, attribution: NO_ATTRIBUTION },
      { start: '2026-03-23', end: '2026-03-29', metrics: ZERO, attribution: NO_ATTRIBUTION },
    ]);
    expect(result.total).toEqual(ZERO);
    const days = await stats('2026-02-27', '2026-03-02', 'DAY');
    expect(days.buckets.map((b) => b.start)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(days.buckets[1]!.metrics).toEqual(ZERO); // a recorded day of zeros: ratios null, not errors
  });

  it('puts 2026-03-01 in the March bucket (UTC months), counting only days inside from..to', async () => {
    const result = await stats('2026-02-01', '2026-03-31', 'MONTH');
    expect(result.buckets.map((b) => [b.start, b.end, b.metrics.impressions])).toEqual([
      ['2026-02-01', '2026-02-28', 1000],
      ['2026-03-01', '2026-03-31', 2600],
    ]);
    // A range starting mid-bucket: the bucket still starts on the 1st but counts only from `from`.
    const partial = await stats('2026-03-02', '2026-03-31', 'MONTH');
    expect(partial.buckets).toHaveLength(1);
    expect(partial.buckets[0]!.start).toBe('2026-03-01');
    expect(partial.buckets[0]!.metrics.impressions).toBe(600);
    // The purchase stamped 2026-02-28T23:30-05:00 is 2026-03-01 in UTC: March.
    expect(result.buckets.map((b) => b.attribution.directPurchases)).toEqual([0, 2]);
    expect(result.buckets[0]!.attribution).toMatchObject({ trackedClicks: 1, purchases: 1, clickThroughPurchases: 1 });
  });

  it('attributes purchases within the window after a click, or naming the campaign', async () => {
    const result = await stats('2026-02-23', '2026-03-15', 'WEEK');
    expect(result.buckets.map((b) => b.attribution)).toEqual([
      { trackedClicks: 1, purchases: 2, directPurchases: 1, clickThroughPurchases: 1, units: 2, buyers: 1, purchasesPerClick: 2 },
      { trackedClicks: 1, purchases: 2, directPurchases: 1, clickThroughPurchases: 1, units: 4, buyers: 2, purchasesPerClick: 2 },
      NO_ATTRIBUTION,
    ]);
    expect(result.totalAttribution).toEqual({ trackedClicks: 2, purchases: 4, directPurchases: 2, clickThroughPurchases: 2, units: 6, buyers: 3, purchasesPerClick: 2 });
    const longer = await stats('2026-02-23', '2026-03-15', 'WEEK', 10);
    expect(longer.buckets[2]!.attribution).toMatchObject({ purchases: 1, clickThroughPurchases: 1, buyers: 1, trackedClicks: 0, purchasesPerClick: null });
    expect(longer.totalAttribution).toMatchObject({ purchases: 5, buyers: 3 });
    const none = await stats('2026-02-23', '2026-03-15', 'WEEK', 0);
    expect(none.totalAttribution).toMatchObject({ purchases: 2, directPurchases: 2, clickThroughPurchases: 0 });
  });

  it('refuses bad arguments with clear errors', async () => {
    const reversed = await api.gql(STATS, { c: 'a-1', from: '2026-03-02', to: '2026-03-01' });
    expect(reversed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const tooMany = await api.gql(STATS, { c: 'a-1', from: '2020-01-01', to: '2026-03-01', g: 'DAY' });
    expect(tooMany.errors?.[0]?.message).toMatch(/at most 1000/);
    const unknown = await api.gql(STATS, { c: 'nope', from: '2026-03-01', to: '2026-03-02' });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const window = await api.gql(STATS, { c: 'a-1', from: '2026-03-01', to: '2026-03-02', w: 365 });
    expect(window.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('campaignLeaderboard', () => {
  const BOARD = graphql(`query CampaignStatsBoard($m: CampaignMetricName!, $asc: Boolean, $f: CampaignFilter, $limit: Int, $from: Date, $to: Date) {
    campaignLeaderboard(metric: $m, ascending: $asc, filter: $f, limit: $limit, from: $from, to: $to) {
      rank value campaign { externalId } totals { impressions ctr }
    }
  }`);
  const board = async (variables: VariablesOf<typeof BOARD>) => (await ok(BOARD, variables)).campaignLeaderboard;

  it('ranks by a ratio with nulls last, either direction', async () => {
    expect((await board({ m: 'CTR' })).map((e) => [e.rank, e.campaign.externalId, e.value])).toEqual([
      [1, 'a-2', 0.1],
      [2, 'a-1', 160 / 3600],
      [3, 'a-3', null],
    ]);
    expect((await board({ m: 'COST_PER_ACQUISITION', asc: true })).map((e) => [e.campaign.externalId, e.value])).toEqual([
      ['a-2', 10],
      ['a-1', 360 / 17],
      ['a-3', null],
    ]);
  });

  it('applies the date range, filter and limit; equal values share a rank', async () => {
    const march5 = await board({ m: 'IMPRESSIONS', from: '2026-03-05', to: '2026-03-05' });
    expect(march5.map((e) => [e.rank, e.campaign.externalId, e.value])).toEqual([
      [1, 'a-2', 1000],
      [2, 'a-1', 0],
      [2, 'a-3', 0],
    ]);
    expect((await board({ m: 'IMPRESSIONS', limit: 1 })).map((e) => e.campaign.externalId)).toEqual(['a-1']);
    expect((await board({ m: 'SPEND', f: { channels: ['SEARCH', 'SMS'] } })).map((e) => e.campaign.externalId)).toEqual(['a-2', 'a-3']);
    const bad = await api.gql(BOARD, { m: 'CTR', limit: 0 });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
