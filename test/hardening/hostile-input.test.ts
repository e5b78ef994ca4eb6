import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { ATTRIBUTE_LIMITS, describeJsonLimits } from '../../src/modules/common/json-input.ts';
import { campaignWhere, MAX_CAMPAIGN_MONEY, MAX_DAILY_COUNT } from '../../src/modules/campaigns/campaigns.service.ts';
import { MAX_INTERACTION_VALUE } from '../../src/modules/interactions/interactions.service.ts';
import { MAX_TEXT_LENGTH } from '../../src/modules/common/text.ts';
import { MAX_PRICE } from '../../src/modules/products/products.service.ts';
import { graphql, type TypedDocumentNode } from '../support/graphql.ts';
import { startTestServer, type GraphQLResponse, type TestServer } from '../support/server.ts';

// Hostile and careless clients against the real server: every bad value is refused with a
// stable code (a row error with its index in bulk mutations), the batch's good rows are still
// written, and the server keeps answering.

const UPSERT_USERS = graphql(`
  mutation HostileUpsertUsers($input: [UserInput!]!) {
    upsertUsers(input: $input) { created updated unchanged failed errors { index externalId code message field } }
  }
`);
const UPSERT_PRODUCTS = graphql(`
  mutation HostileUpsertProducts($input: [ProductInput!]!) {
    upsertProducts(input: $input) { created updated unchanged failed errors { index externalId code message field } }
  }
`);
const RECORD_INTERACTIONS = graphql(`
  mutation HostileRecordInteractions($input: [InteractionInput!]!) {
    recordInteractions(input: $input) { created failed errors { index code message field } }
  }
`);
const SUBMIT_FEEDBACK = graphql(`
  mutation HostileSubmitFeedback($input: [FeedbackInput!]!) {
    submitFeedback(input: $input) { created failed errors { index code message field } }
  }
`);
const USER_ATTRIBUTES = graphql(`query HostileUserAttributes($externalId: String) { user(externalId: $externalId) { externalId attributes } }`);
const PRODUCT_COUNT = graphql(`query HostileProductCount { products { totalCount } }`);

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer({ RATE_LIMIT_ADMIN_PER_MINUTE: '0', WORKER_MODE: 'off' });
}, 120_000);
afterAll(async () => {
  await api?.stop();
});

async function healthy(): Promise<void> {
  const health = await fetch(api.url.replace('/graphql', '/healthz'));
  expect(health.status).toBe(200);
  const ping = await api.gql(graphql(`mutation HostilePing { ping }`));
  expect(ping.data?.ping).toBe(true);
}

/** An object nested `levels` deep: { k: { k: … { k: leaf } } }, built without recursion. */
function nested(levels: number, leaf: unknown, key = 'k'): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = 1; i < levels; i += 1) value = { [key]: value };
  return { [key]: value };
}

/** JSON text too deep for JSON.stringify (the client's own stack), spliced into the request body. */
class DeepJson {
  readonly text: string;
  constructor(levels: number, leaf: unknown) {
    this.text = `${'{"k":'.repeat(levels)}${JSON.stringify(leaf)}${'}'.repeat(levels)}`;
  }
}

/** Sends `document` with variables that may hold DeepJson values. */
async function gqlDeep<R, V>(document: TypedDocumentNode<R, V>, variables: Record<string, unknown>): Promise<GraphQLResponse<R>> {
  const deep: string[] = [];
  let body = JSON.stringify({ query: print(document), variables }, (_key, value: unknown) => {
    if (!(value instanceof DeepJson)) return value;
    deep.push(value.text);
    return `@@deep-${deep.length - 1}@@`;
  });
  deep.forEach((text, i) => {
    body = body.replace(`"@@deep-${i}@@"`, () => text);
  });
  const response = await api.post(body);
  const parsed = (await response.json()) as { data?: R; errors?: GraphQLResponse['errors'] };
  return { status: response.status, data: parsed.data, errors: parsed.errors, sqlStatements: 0 };
}

const codes = (errors: { extensions?: Record<string, unknown> }[] | undefined) => (errors ?? []).map((error) => error.extensions?.code);

describe('JSON attributes', () => {
  it('refuses deep, wide and huge attributes row by row and writes the good rows', async () => {
    const wide = Object.fromEntries(Array.from({ length: ATTRIBUTE_LIMITS.maxEntries + 1 }, (_, i) => [`k${i}`, i]));
    const wideArray = { list: Array.from({ length: ATTRIBUTE_LIMITS.maxEntries + 1 }, (_, i) => i) };
    const result = await gqlDeep(UPSERT_USERS, {
      input: [
        { externalId: 'json-good-1', attributes: { city: 'Lyon', nested: nested(ATTRIBUTE_LIMITS.maxDepth - 1, 'ok') } },
        { externalId: 'json-deep', attributes: new DeepJson(100_000, 'x') },
        { externalId: 'json-wide', attributes: wide },
        { externalId: 'json-wide-array', attributes: wideArray },
        { externalId: 'json-huge', attributes: { blob: 'x'.repeat(ATTRIBUTE_LIMITS.maxChars) } },
        { externalId: 'json-long-key', attributes: { ['k'.repeat(ATTRIBUTE_LIMITS.maxKeyLength + 1)]: 1 } },
        { externalId: 'json-too-deep-by-one', attributes: nested(ATTRIBUTE_LIMITS.maxDepth + 1, 1) },
        { externalId: 'json-good-2', attributes: {} },
      ],
    });
    expect(result.errors).toBeUndefined();
    const bulk = result.data!.upsertUsers;
    expect(bulk).toMatchObject({ created: 2, failed: 6 });
    expect(bulk.errors.map((error) => [error.index, error.externalId, error.code])).toEqual([
      [1, 'json-deep', 'BAD_USER_INPUT'],
      [2, 'json-wide', 'BAD_USER_INPUT'],
      [3, 'json-wide-array', 'BAD_USER_INPUT'],
      [4, 'json-huge', 'BAD_USER_INPUT'],
      [5, 'json-long-key', 'BAD_USER_INPUT'],
      [6, 'json-too-deep-by-one', 'BAD_USER_INPUT'],
    ]);
    for (const error of bulk.errors) expect(error.field).toMatch(/^attributes/);
    expect(bulk.errors[0]!.message).toMatch(/nested more than 10 levels/);
    expect(bulk.errors[1]!.message).toMatch(/at most 1000 keys/);
    expect(bulk.errors[3]!.message).toMatch(/16384 characters of JSON/);
    expect(bulk.errors[4]!.message).toMatch(/keys must be at most 100 characters/);
    const stored = await api.gql(USER_ATTRIBUTES, { externalId: 'json-good-1' });
    expect(stored.data?.user?.attributes).toEqual({ city: 'Lyon', nested: nested(ATTRIBUTE_LIMITS.maxDepth - 1, 'ok') });
    await healthy();
  });

  it('states the limits of ATTRIBUTE_LIMITS in the schema', () => {
    const schema = fs.readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(schema.split(describeJsonLimits(ATTRIBUTE_LIMITS)).length - 1).toBe(2);
  });

  it('refuses deep attributes written as a literal of the document, and deep hyperparameters', async () => {
    const literal = (levels: number) => `${'{k: '.repeat(levels)}1${' }'.repeat(levels)}`;
    const deepLiteral = (levels: number) =>
      api.gql(
        `mutation HostileDeepLiteral { upsertUsers(input: [{ externalId: "literal-deep", attributes: ${literal(levels)} }, { externalId: "literal-good" }]) { created failed errors { index code field } } }`,
      );
    // Deeper than graphql-js's parser can recurse, within QUERY_MAX_TOKENS (10,000): a parse error, never a 5xx.
    const unparsable = await deepLiteral(2400);
    expect(unparsable.status).toBe(400);
    expect(codes(unparsable.errors)).toEqual(['GRAPHQL_PARSE_FAILED']);
    const result = await deepLiteral(300);
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    expect(result.data).toEqual({ upsertUsers: { created: 1, failed: 1, errors: [{ index: 0, code: 'BAD_USER_INPUT', field: expect.stringMatching(/^attributes/) }] } });
    const hyperparameters = await gqlDeep(
      graphql(`mutation HostileTrainDeepClean($hyperparameters: JSONObject) { trainModel(kind: TEXT_CLASSIFIER, task: "sentiment", hyperparameters: $hyperparameters) { id } }`),
      { hyperparameters: new DeepJson(100_000, 1) },
    );
    expect(codes(hyperparameters.errors)).toEqual(['BAD_USER_INPUT']);
    await healthy();
  });

  it('refuses NUL and lone surrogates at any depth, in keys and values, with the row index and field', async () => {
    const deepNul = new DeepJson(100_000, 'bad\u0000value');
    const result = await gqlDeep(UPSERT_PRODUCTS, {
      input: [
        { externalId: 'text-good-1', name: 'Kettle', attributes: { origin: 'Hangzhou 杭州 😀' } },
        { externalId: 'text-nul-deep', name: 'Deep', attributes: deepNul },
        { externalId: 'text-nul-nested', name: 'Nested', attributes: { a: { b: [1, { c: 'x\u0000' }] } } },
        { externalId: 'text-nul-key', name: 'Key', attributes: { a: { 'bad\u0000key': 1 } } },
        { externalId: 'text-high-surrogate', name: 'High', attributes: { a: ['\ud83d'] } },
        { externalId: 'text-low-surrogate-key', name: 'Low', attributes: { '\ude00': true } },
        { externalId: 'text-nul-name', name: 'Nul\u0000name' },
        { externalId: 'text-surrogate-description', name: 'Desc', description: 'tail \ud800' },
        { externalId: 'text-nul-tag', name: 'Tag', tags: ['ok', 'b\u0000d'] },
        { externalId: 'text-good-2', name: 'Lamp', description: 'pair kept: 😀' },
      ],
    });
    expect(result.errors).toBeUndefined();
    const bulk = result.data!.upsertProducts;
    expect(bulk).toMatchObject({ created: 2, failed: 8 });
    expect(bulk.errors.map((error) => [error.index, error.externalId, error.code, error.field])).toEqual([
      [1, 'text-nul-deep', 'BAD_USER_INPUT', expect.stringMatching(/^attributes\.k\.k/)],
      [2, 'text-nul-nested', 'BAD_USER_INPUT', 'attributes.a.b.1.c'],
      [3, 'text-nul-key', 'BAD_USER_INPUT', 'attributes.a.bad?key'],
      [4, 'text-high-surrogate', 'BAD_USER_INPUT', 'attributes.a.0'],
      [5, 'text-low-surrogate-key', 'BAD_USER_INPUT', 'attributes.?'],
      [6, 'text-nul-name', 'BAD_USER_INPUT', 'name'],
      [7, 'text-surrogate-description', 'BAD_USER_INPUT', 'description'],
      [8, 'text-nul-tag', 'BAD_USER_INPUT', 'tags.1'],
    ]);
    for (const error of bulk.errors) {
      expect(error.message).toMatch(/NUL characters or unpaired UTF-16 surrogates/);
      expect(error.message.length).toBeLessThan(500);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is the character looked for
      expect(error.message).not.toMatch(/[\u0000\ud800-\udfff]/);
    }
    expect((await api.gql(PRODUCT_COUNT)).data?.products.totalCount).toBe(2);
    await healthy();
  });

  it('gives interactions and feedback rows the same text rule', async () => {
    await api.gql(UPSERT_USERS, { input: [{ externalId: 'text-user' }] });
    const interactions = await api.gql(RECORD_INTERACTIONS, {
      input: [
        { userExternalId: 'text-user', productExternalId: 'text-good-1', type: 'VIEW', occurredAt: '2026-01-01T00:00:00Z' },
        { userExternalId: 'text-user\u0000', productExternalId: 'text-good-1', type: 'VIEW', occurredAt: '2026-01-01T00:00:00Z' },
        { externalId: 'ev-\ud800', userExternalId: 'text-user', productExternalId: 'text-good-1', type: 'VIEW', occurredAt: '2026-01-01T00:00:00Z' },
      ],
    });
    expect(interactions.errors).toBeUndefined();
    expect(interactions.data!.recordInteractions).toMatchObject({ created: 1, failed: 2 });
    expect(interactions.data!.recordInteractions.errors.map((error) => [error.index, error.code, error.field])).toEqual([
      [1, 'BAD_USER_INPUT', 'userExternalId'],
      [2, 'BAD_USER_INPUT', 'externalId'],
    ]);
    const feedback = await api.gql(SUBMIT_FEEDBACK, {
      input: [
        { channel: 'REVIEW', text: 'Fine kettle' },
        { channel: 'REVIEW', text: 'Broken \u0000 text' },
      ],
    });
    expect(feedback.errors).toBeUndefined();
    expect(feedback.data!.submitFeedback).toMatchObject({ created: 1, failed: 1, errors: [{ index: 1, code: 'BAD_USER_INPUT', field: 'text' }] });
    await healthy();
  });

  it('refuses invalid text outside bulk rows for the whole request, at any depth', async () => {
    const search = await api.gql(graphql(`query HostileSearchNul($search: String) { products(filter: { search: $search }) { totalCount } }`), { search: 'a\u0000b' });
    expect(search.status).toBe(400);
    expect(codes(search.errors)).toEqual(['BAD_USER_INPUT']);
    expect(search.errors![0]!.message).toMatch(/NUL characters or unpaired UTF-16 surrogates \(found in \$search\)/);
    const literal = await api.gql('query HostileLiteralNul { products(filter: { search: "a\\u0000b" }) { totalCount } }');
    expect(codes(literal.errors)).toEqual(['BAD_USER_INPUT']);
    const deep = await gqlDeep(
      graphql(`mutation HostileTrainDeep($hyperparameters: JSONObject) { trainModel(kind: TEXT_CLASSIFIER, task: "sentiment", hyperparameters: $hyperparameters) { id } }`),
      { hyperparameters: new DeepJson(100_000, '\ud800') },
    );
    expect(codes(deep.errors)).toEqual(['BAD_USER_INPUT']);
    await healthy();
  });
});

describe('extreme numbers', () => {
  const UPSERT_CAMPAIGNS = graphql(`
    mutation HostileUpsertCampaigns($input: [CampaignInput!]!) {
      upsertCampaigns(input: $input) { created failed errors { index code message field } }
    }
  `);
  const RECORD_METRICS = graphql(`
    mutation HostileRecordMetrics($input: [CampaignMetricInput!]!) {
      recordCampaignMetrics(input: $input) { created updated failed errors { index code message field } }
    }
  `);
  const STATS = graphql(`query HostileCampaignStats($c: String!, $from: Date!, $to: Date!, $g: TimeGranularity) {
    campaignStats(campaignExternalId: $c, from: $from, to: $to, granularity: $g) {
      buckets { start metrics { impressions spend ctr roas } attribution { purchases units } }
      total { impressions clicks conversions spend revenue ctr conversionRate costPerAcquisition roas }
      totalAttribution { trackedClicks purchases units buyers purchasesPerClick }
    }
  }`);
  const BOARD = graphql(`query HostileLeaderboard($m: CampaignMetricName!) {
    campaignLeaderboard(metric: $m) { rank value campaign { externalId } totals { impressions spend revenue roas } }
  }`);
  const TOTALS = graphql(`query HostileCampaignTotals {
    campaigns { edges { node { externalId budget totals { impressions clicks conversions spend revenue ctr conversionRate costPerAcquisition roas }
      dailyMetrics(to: "2020-01-05") { impressions spend revenue } } } }
  }`);

  const DAYS = 1500;
  const day = (i: number) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);

  it('answers every campaign read after the extreme allowed values on many days, and refuses values beyond the range', async () => {
    await api.gql(UPSERT_USERS, { input: [{ externalId: 'num-user' }] });
    await api.gql(UPSERT_PRODUCTS, { input: [{ externalId: 'num-product', name: 'Max', price: MAX_PRICE }] });
    const campaigns = await api.gql(UPSERT_CAMPAIGNS, {
      input: [
        { externalId: 'num-max', name: 'Max', channel: 'EMAIL', status: 'ACTIVE', budget: MAX_CAMPAIGN_MONEY, productExternalIds: ['num-product'] },
        { externalId: 'num-min', name: 'Min', channel: 'SEARCH', status: 'ACTIVE', budget: 0.01 },
        { externalId: 'num-over', name: 'Over', channel: 'SMS', status: 'ACTIVE', budget: MAX_CAMPAIGN_MONEY * 10 },
      ],
    });
    expect(campaigns.errors, JSON.stringify(campaigns.data)).toBeUndefined();
    expect(campaigns.data!.upsertCampaigns, JSON.stringify(campaigns.data)).toMatchObject({
      created: 2,
      failed: 1,
      errors: [{ index: 2, code: 'BAD_USER_INPUT', field: 'budget' }],
    });

    const max = MAX_DAILY_COUNT;
    const rows = Array.from({ length: DAYS }, (_, i) => ({
      campaignExternalId: 'num-max',
      date: day(i),
      impressions: max,
      clicks: max,
      conversions: max,
      spend: MAX_CAMPAIGN_MONEY,
      revenue: MAX_CAMPAIGN_MONEY,
    }));
    rows.push({ campaignExternalId: 'num-min', date: day(0), impressions: max, clicks: 1, conversions: max, spend: 0.01, revenue: MAX_CAMPAIGN_MONEY });
    const recorded = await api.gql(RECORD_METRICS, { input: rows });
    expect(recorded.errors).toBeUndefined();
    expect(recorded.data!.recordCampaignMetrics).toMatchObject({ created: DAYS + 1, failed: 0 });

    const value = MAX_INTERACTION_VALUE;
    const events = Array.from({ length: 50 }, (_, i) => ({
      userExternalId: 'num-user',
      productExternalId: 'num-product',
      campaignExternalId: 'num-max',
      type: 'PURCHASE' as const,
      value,
      occurredAt: `${day(i)}T12:00:00Z`,
    }));
    const purchases = await api.gql(RECORD_INTERACTIONS, { input: events });
    expect(purchases.data!.recordInteractions).toMatchObject({ created: 50, failed: 0 });

    const stats = await api.gql(STATS, { c: 'num-max', from: day(0), to: day(DAYS - 1), g: 'MONTH' });
    expect(stats.errors).toBeUndefined();
    const total = stats.data!.campaignStats.total;
    expect(total.impressions).toBe(max * DAYS);
    expect(total.spend).toBeCloseTo(MAX_CAMPAIGN_MONEY * DAYS, -2);
    expect(total.ctr).toBe(1);
    expect(stats.data!.campaignStats.totalAttribution).toMatchObject({ purchases: 50, units: value * 50 });
    const daily = await api.gql(STATS, { c: 'num-max', from: day(0), to: day(999), g: 'DAY' });
    expect(daily.errors).toBeUndefined();
    for (const metric of ['IMPRESSIONS', 'SPEND', 'REVENUE', 'CTR', 'ROAS', 'COST_PER_ACQUISITION', 'CONVERSION_RATE'] as const) {
      const board = await api.gql(BOARD, { m: metric });
      expect(board.errors, metric).toBeUndefined();
      expect(board.data!.campaignLeaderboard.length).toBeGreaterThan(0);
    }
    const totals = await api.gql(TOTALS);
    expect(totals.errors).toBeUndefined();
    const byId = Object.fromEntries(totals.data!.campaigns.edges.map((edge) => [edge.node.externalId, edge.node]));
    expect(byId['num-max']!.budget).toBe(MAX_CAMPAIGN_MONEY);
    expect(byId['num-min']!.totals!.roas).toBe(MAX_CAMPAIGN_MONEY / 0.01);

    const beyond = await api.gql(RECORD_METRICS, {
      input: [
        { campaignExternalId: 'num-min', date: day(1), impressions: 10, clicks: 1, conversions: 1, spend: MAX_CAMPAIGN_MONEY * 2 },
        { campaignExternalId: 'num-min', date: day(2), impressions: 10, clicks: 1, conversions: 1, spend: 1, revenue: MAX_CAMPAIGN_MONEY + 1 },
        { campaignExternalId: 'num-min', date: day(3), impressions: -1, clicks: 0, conversions: 0, spend: 1 },
        { campaignExternalId: 'num-min', date: day(4), impressions: 10, clicks: 1, conversions: 1, spend: 1 },
      ],
    });
    expect(beyond.data!.recordCampaignMetrics).toMatchObject({ created: 1, failed: 3 });
    expect(beyond.data!.recordCampaignMetrics.errors.map((error) => [error.index, error.code, error.field])).toEqual([
      [0, 'BAD_USER_INPUT', 'spend'],
      [1, 'BAD_USER_INPUT', 'revenue'],
      [2, 'BAD_USER_INPUT', 'impressions'],
    ]);
    const tooBig = await api.gql(RECORD_INTERACTIONS, {
      input: [
        { userExternalId: 'num-user', productExternalId: 'num-product', type: 'PURCHASE', value: value * 2, occurredAt: '2026-01-01T00:00:00Z' },
        { userExternalId: 'num-user', productExternalId: 'num-product', type: 'VIEW', value: -1e308, occurredAt: '2026-01-01T00:00:00Z' },
        { userExternalId: 'num-user', productExternalId: 'num-product', type: 'VIEW', value: 1e308, occurredAt: '2026-01-01T00:00:00Z' },
        { userExternalId: 'num-user', productExternalId: 'num-product', type: 'VIEW', occurredAt: '2026-01-01T00:00:00Z' },
      ],
    });
    expect(tooBig.data!.recordInteractions).toMatchObject({ created: 1, failed: 3 });
    expect(tooBig.data!.recordInteractions.errors.map((error) => [error.index, error.field])).toEqual([
      [0, 'value'],
      [1, 'value'],
      [2, 'value'],
    ]);
    const products = await api.gql(UPSERT_PRODUCTS, { input: [{ externalId: 'num-product-2', name: 'Over', price: MAX_PRICE + 1 }] });
    expect(products.data!.upsertProducts).toMatchObject({ failed: 1, errors: [{ index: 0, field: 'price' }] });
    await healthy();
  }, 120_000);
});

describe('dates', () => {
  const UPSERT_CAMPAIGNS = graphql(`
    mutation HostileDateCampaigns($input: [CampaignInput!]!) {
      upsertCampaigns(input: $input) { created failed errors { index code message field } }
    }
  `);
  const RECORD_METRICS = graphql(`
    mutation HostileDateMetrics($input: [CampaignMetricInput!]!) {
      recordCampaignMetrics(input: $input) { created failed errors { index code message field } }
    }
  `);
  const TOTALS = graphql(`query HostileDateTotals($e: String, $from: Date, $to: Date) { campaign(externalId: $e) { totals(from: $from, to: $to) { impressions } } }`);
  const BOARD = graphql(`query HostileDateBoard($from: Date) { campaignLeaderboard(metric: SPEND, from: $from) { rank } }`);

  it('refuses year-1 (and year-3000) dates in every date input, row by row, and writes the good rows', async () => {
    await api.gql(UPSERT_USERS, { input: [{ externalId: 'date-user' }] });
    await api.gql(UPSERT_PRODUCTS, { input: [{ externalId: 'date-product', name: 'Dated' }] });
    const interactions = await api.gql(RECORD_INTERACTIONS, {
      input: [
        { userExternalId: 'date-user', productExternalId: 'date-product', type: 'VIEW', occurredAt: '0001-01-01T00:00:00Z' },
        { userExternalId: 'date-user', productExternalId: 'date-product', type: 'VIEW', occurredAt: '1969-12-31T23:59:59Z' },
        { userExternalId: 'date-user', productExternalId: 'date-product', type: 'VIEW', occurredAt: '1970-01-01T00:00:00Z' },
      ],
    });
    expect(interactions.data!.recordInteractions).toMatchObject({ created: 1, failed: 2 });
    expect(interactions.data!.recordInteractions.errors.map((error) => [error.index, error.field, error.message])).toEqual([
      [0, 'occurredAt', 'occurredAt: must be between 1970-01-01 and 2999-12-31'],
      [1, 'occurredAt', 'occurredAt: must be between 1970-01-01 and 2999-12-31'],
    ]);
    const feedback = await api.gql(SUBMIT_FEEDBACK, {
      input: [
        { channel: 'REVIEW', text: 'Old', createdAt: '0001-01-01T00:00:00Z' },
        { channel: 'REVIEW', text: 'Fine', createdAt: '2020-01-01T00:00:00Z' },
      ],
    });
    expect(feedback.data!.submitFeedback).toMatchObject({ created: 1, failed: 1, errors: [{ index: 0, code: 'BAD_USER_INPUT', field: 'createdAt' }] });
    const campaigns = await api.gql(UPSERT_CAMPAIGNS, {
      input: [
        { externalId: 'date-1', name: 'Year 1', channel: 'EMAIL', status: 'DRAFT', startsAt: '0001-01-01T00:00:00Z' },
        { externalId: 'date-3000', name: 'Year 3000', channel: 'EMAIL', status: 'DRAFT', endsAt: '3000-01-01T00:00:00Z' },
        { externalId: 'date-ok', name: 'Fine', channel: 'EMAIL', status: 'DRAFT', startsAt: '2026-01-01T00:00:00Z', endsAt: '2999-12-31T23:59:59Z' },
      ],
    });
    expect(campaigns.data!.upsertCampaigns).toMatchObject({ created: 1, failed: 2 });
    expect(campaigns.data!.upsertCampaigns.errors.map((error) => [error.index, error.field])).toEqual([
      [0, 'startsAt'],
      [1, 'endsAt'],
    ]);
    const day = { impressions: 1, clicks: 0, conversions: 0, spend: 0 };
    const metrics = await api.gql(RECORD_METRICS, {
      input: [
        { campaignExternalId: 'date-ok', date: '0001-01-01', ...day },
        { campaignExternalId: 'date-ok', date: '2026-01-01', ...day },
      ],
    });
    expect(metrics.data!.recordCampaignMetrics).toMatchObject({ created: 1, failed: 1, errors: [{ index: 0, field: 'date' }] });
    const totals = await api.gql(TOTALS, { e: 'date-ok', from: '0001-01-01' });
    expect(codes(totals.errors)).toEqual(['BAD_USER_INPUT']);
    const board = await api.gql(BOARD, { from: '0001-01-01' });
    expect(codes(board.errors)).toEqual(['BAD_USER_INPUT']);
    expect((await api.gql(TOTALS, { e: 'date-ok', from: '1970-01-01', to: '2999-12-31' })).data?.campaign?.totals?.impressions).toBe(1);
    await healthy();
  });
});

describe('search filters', () => {
  const PRODUCTS = graphql(`query HostileSearchProducts($s: String) { products(filter: { search: $s }) { edges { node { externalId } } } }`);
  const USERS = graphql(`query HostileSearchUsers($s: String) { users(filter: { search: $s }) { edges { node { externalId } } } }`);
  const CAMPAIGNS = graphql(`query HostileSearchCampaigns($s: String) { campaigns(filter: { search: $s }) { edges { node { externalId } } } }`);
  const FEEDBACK = graphql(`query HostileSearchFeedback($s: String) { feedback(filter: { search: $s }) { edges { node { text } } } }`);
  const UPSERT_CAMPAIGNS = graphql(`mutation HostileSearchUpsertCampaigns($input: [CampaignInput!]!) { upsertCampaigns(input: $input) { created } }`);

  it('matches %, _ and \\ literally in every search filter', async () => {
    const ids = ['lit-100%-off', 'lit-100x-off', 'lit_under', 'litxunder', 'lit\\slash', 'litslash'];
    await api.gql(UPSERT_USERS, { input: ids.map((externalId) => ({ externalId })) });
    await api.gql(UPSERT_PRODUCTS, { input: ids.map((externalId) => ({ externalId, name: `Name ${externalId}` })) });
    await api.gql(UPSERT_CAMPAIGNS, { input: ids.map((externalId) => ({ externalId, name: `Name ${externalId}`, channel: 'EMAIL' as const, status: 'DRAFT' as const })) });
    await api.gql(SUBMIT_FEEDBACK, { input: ids.map((externalId) => ({ channel: 'REVIEW' as const, text: `Feedback ${externalId}` })) });
    const expected: [string, string[]][] = [
      ['0%-', ['lit-100%-off']],
      ['t_u', ['lit_under']],
      ['t\\s', ['lit\\slash']],
      ['%', ['lit-100%-off']],
      ['_', ['lit_under']],
    ];
    for (const [search, matches] of expected) {
      const products = (await api.gql(PRODUCTS, { s: search })).data!.products.edges.map((edge) => edge.node.externalId);
      expect(products.filter((id) => id.startsWith('lit')).sort(), `products ${search}`).toEqual(matches);
      const users = (await api.gql(USERS, { s: search })).data!.users.edges.map((edge) => edge.node.externalId);
      expect(users.sort(), `users ${search}`).toEqual(matches);
      const campaigns = (await api.gql(CAMPAIGNS, { s: search })).data!.campaigns.edges.map((edge) => edge.node.externalId);
      expect(campaigns.filter((id) => id.startsWith('lit')).sort(), `campaigns ${search}`).toEqual(matches);
      const feedback = (await api.gql(FEEDBACK, { s: search })).data!.feedback.edges.map((edge) => edge.node.text);
      expect(feedback.filter((text) => text.startsWith('Feedback lit')).sort(), `feedback ${search}`).toEqual(matches.map((id) => `Feedback ${id}`));
    }
  });
});

// Found by the schema-driven fuzz run (schema-fuzz.test.ts): inputs that are large only by
// repetition, and a graphql-js error that had no code.
describe('oversized and repetitive inputs', () => {
  it('refuses a search longer than the longest stored text in every search filter', async () => {
    // A 10^5-character pattern held the event loop ~0.2 s per statement in the query engine.
    for (const field of ['users', 'products', 'campaigns', 'feedback']) {
      const query = `query($s: String) { ${field}(filter: { search: $s }) { totalCount } }`;
      const refused = await api.gql(query, { s: 'x'.repeat(MAX_TEXT_LENGTH + 1) });
      expect(refused.errors?.[0]?.extensions, field).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.search' });
      const longest = await api.gql(query, { s: 'x'.repeat(MAX_TEXT_LENGTH) });
      expect(longest.errors, field).toBeUndefined();
    }
  });

  async function postBody(body: string): Promise<{ status: number; errors: NonNullable<GraphQLResponse['errors']>; data: unknown }> {
    const response = await api.post(body);
    const parsed = (await response.json()) as { errors?: GraphQLResponse['errors']; data?: unknown };
    return { status: response.status, errors: parsed.errors ?? [], data: parsed.data };
  }

  it('refuses a bulk input longer than MAX_BATCH_SIZE before graphql-js coerces its rows', async () => {
    // Rows graphql-js would refuse one by one (externalId is no String): refused as a whole, by size,
    // before coercion — coercing 10^5 rows held the event loop for seconds (/healthz ≥ 1 s).
    const rows = `[${Array.from({ length: 60_000 }, () => '{"externalId":5}').join(',')}]`;
    for (const mutation of ['upsertUsers(input: $input) { created }', 'a: upsertUsers(input: []) { created } b: upsertUsers(input: $input) { created }']) {
      const refused = await postBody(`{"query":"mutation($input: [UserInput!]!) { ${mutation} }","variables":{"input":${rows}}}`);
      expect(refused.status).toBe(400);
      expect(refused.errors).toHaveLength(1);
      expect(refused.errors[0]!.extensions).toMatchObject({ code: 'BATCH_TOO_LARGE', maxBatchSize: api.config.MAX_BATCH_SIZE, batchSize: 60_000 });
    }
    // At the limit the rows are coerced and checked as before.
    const atLimit = `[${Array.from({ length: api.config.MAX_BATCH_SIZE }, () => '{"externalId":5}').join(',')}]`;
    const coerced = await postBody(`{"query":"mutation($input: [UserInput!]!) { upsertUsers(input: $input) { created } }","variables":{"input":${atLimit}}}`);
    expect(coerced.errors[0]!.extensions?.code).toBe('BAD_USER_INPUT');
    await healthy();
  });

  it('answers variables with more than 50 coercion errors with BAD_USER_INPUT on every error', async () => {
    const unknownKeys = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`unknown${i}`, i]));
    for (const [query, variables] of [
      ['mutation($input: [UserInput!]!) { upsertUsers(input: $input) { created } }', { input: [{ externalId: 'many-errors', ...unknownKeys }] }],
      ['query($f: UserFilter) { users(filter: $f) { totalCount } }', { f: unknownKeys }],
    ] as const) {
      const refused = await postBody(JSON.stringify({ query, variables }));
      expect(refused.status, query).toBe(400);
      expect(refused.errors.length, query).toBeGreaterThan(50);
      expect(new Set(refused.errors.map((error) => error.extensions?.code)), query).toEqual(new Set(['BAD_USER_INPUT']));
      expect(refused.errors.at(-1)!.message).toMatch(/Too many errors processing variables/);
    }
  });

  it('treats an enum-list filter repeating one value 10^4 times as that value once (10^5 is refused before coercion)', async () => {
    const many = <T extends string>(value: T, length = 10_000): T[] => Array.from({ length }, () => value);
    expect(campaignWhere({ channels: many('EMAIL' as const), statuses: many('DRAFT' as const) })).toEqual(campaignWhere({ channels: ['EMAIL'], statuses: ['DRAFT'] }));
    for (const [query, name, value] of [
      ['query($v: [CampaignChannel!]) { campaigns(filter: { channels: $v }) { totalCount } }', 'campaigns', 'EMAIL'],
      ['query($v: [CampaignChannel!]) { campaignLeaderboard(metric: SPEND, filter: { channels: $v }) { campaign { id } } }', 'campaignLeaderboard', 'EMAIL'],
      ['query($v: [FeedbackChannel!]) { feedback(filter: { channels: $v }) { totalCount } }', 'feedback', 'REVIEW'],
      ['query($v: [InteractionType!]) { interactions(filter: { types: $v }) { totalCount } }', 'interactions', 'VIEW'],
    ] as const) {
      const once = await api.gql(query, { v: [value] });
      const repeated = await api.gql(query, { v: many(value) });
      expect(repeated.errors, name).toBeUndefined();
      expect(repeated.data, name).toEqual(once.data);
      const tooMany = await api.gql(query, { v: many(value, 100_000) });
      expect(tooMany.errors?.[0]?.extensions, name).toMatchObject({ code: 'BAD_USER_INPUT', items: 100_000 });
    }
  });
});
