import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type GraphQLResponse, type TestServer } from '../../support/server.ts';
import { graphql, unchecked, type CampaignFilter, type CampaignInput, type ResultOf } from '../../support/graphql.ts';

const UPSERT = graphql(`mutation CampaignsUpsert($input: [CampaignInput!]!) {
  upsertCampaigns(input: $input) { created updated unchanged failed errors { index externalId code message field } }
}`);
const UPSERT_PRODUCTS = graphql(`mutation CampaignsUpsertProducts($input: [ProductInput!]!) { upsertProducts(input: $input) { created failed } }`);
const PAGE = graphql(`query CampaignsPage($first: Int, $after: String, $filter: CampaignFilter) {
  campaigns(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id externalId name status channel } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`);
const CAMPAIGN = graphql(`query CampaignsCampaign($id: ID, $externalId: String) {
  campaign(id: $id, externalId: $externalId) {
    id externalId name description channel status budget startsAt endsAt adCopies createdAt updatedAt
    products { externalId }
  }
}`);

let api: TestServer;
const productIds = new Map<string, string>();

beforeAll(async () => {
  api = await startTestServer();
  const products = ['tea', 'cup', 'pot', 'towel'].map((name) => ({ externalId: `prod-${name}`, name }));
  const created = await api.gql(UPSERT_PRODUCTS, { input: products });
  expect(created.data?.upsertProducts.created).toBe(4);
  for (const { externalId } of products) {
    const found = await api.gql(graphql(`query CampaignsProductByExternalId($e: String) { product(externalId: $e) { id } }`), { e: externalId });
    productIds.set(externalId, found.data!.product!.id);
  }
});
afterAll(async () => {
  await api?.stop();
});

async function upsert(input: CampaignInput[]) {
  const result = await api.gql(UPSERT, { input });
  expect(result.errors).toBeUndefined();
  return result.data!.upsertCampaigns;
}

async function campaign(externalId: string) {
  const result = await api.gql(CAMPAIGN, { externalId });
  expect(result.errors).toBeUndefined();
  return result.data!.campaign;
}

async function page(filter: CampaignFilter): Promise<string[]> {
  const result = await api.gql(PAGE, { first: 100, filter });
  expect(result.errors).toBeUndefined();
  return result.data!.campaigns.edges.map((edge) => edge.node.externalId).sort();
}

describe('upsertCampaigns', () => {
  it('creates campaigns with target products, then reports a re-sent batch as unchanged', async () => {
    const input: CampaignInput[] = [
      {
        externalId: 'c-1',
        name: 'Spring tea sale',
        description: '新品上市',
        channel: 'EMAIL',
        status: 'ACTIVE',
        budget: 1500.555,
        startsAt: '2026-03-01T00:00:00.000Z',
        endsAt: '2026-03-31T23:59:59.000Z',
        adCopies: ['  Fresh spring tea, 20% off ', '春茶上新'],
        productExternalIds: ['prod-tea', 'prod-cup'],
        productIds: [productIds.get('prod-tea')!],
      },
      { externalId: 'c-2', name: 'Teaware retargeting', channel: 'DISPLAY', productIds: [productIds.get('prod-pot')!] },
    ];
    expect(await upsert(input)).toEqual({ created: 2, updated: 0, unchanged: 0, failed: 0, errors: [] });
    expect(await upsert(input)).toEqual({ created: 0, updated: 0, unchanged: 2, failed: 0, errors: [] });
    expect(await campaign('c-1')).toMatchObject({
      name: 'Spring tea sale',
      description: '新品上市',
      channel: 'EMAIL',
      status: 'ACTIVE',
      budget: 1500.56,
      startsAt: '2026-03-01T00:00:00.000Z',
      endsAt: '2026-03-31T23:59:59.000Z',
      adCopies: ['Fresh spring tea, 20% off', '春茶上新'],
      products: [{ externalId: 'prod-cup' }, { externalId: 'prod-tea' }],
    });
    expect(await campaign('c-2')).toMatchObject({ status: 'DRAFT', budget: null, startsAt: null, adCopies: [], products: [{ externalId: 'prod-pot' }] });
  });

  it('keeps omitted fields and targets, clears nulls, and counts a change of targets as an update', async () => {
    const before = (await campaign('c-1'))!;
    expect(await upsert([{ externalId: 'c-1', description: null, adCopies: null }])).toMatchObject({ updated: 1, unchanged: 0 });
    const cleared = (await campaign('c-1'))!;
    expect(cleared).toMatchObject({ description: null, adCopies: [], name: 'Spring tea sale', budget: 1500.56 });
    expect(cleared.products!.map((p) => p.externalId)).toEqual(['prod-cup', 'prod-tea']);

    // Only the target set changes: still an update, and updatedAt moves.
    expect(await upsert([{ externalId: 'c-1', productExternalIds: ['prod-towel'] }])).toMatchObject({ updated: 1, unchanged: 0 });
    const retargeted = (await campaign('c-1'))!;
    expect(retargeted.products).toEqual([{ externalId: 'prod-towel' }]);
    expect(new Date(retargeted.updatedAt).getTime()).toBeGreaterThan(new Date(before.updatedAt).getTime());
    // The same set again, by global ID this time: unchanged.
    expect(await upsert([{ externalId: 'c-1', productIds: [productIds.get('prod-towel')!] }])).toMatchObject({ unchanged: 1 });
    // An empty list clears the targets.
    expect(await upsert([{ externalId: 'c-2', productExternalIds: [] }])).toMatchObject({ updated: 1 });
    expect((await campaign('c-2'))!.products).toEqual([]);
  });

  it('lists the campaigns targeting a product through Product.campaigns', async () => {
    await upsert([{ externalId: 'c-3', name: 'Towel promo', channel: 'SOCIAL', productExternalIds: ['prod-towel', 'prod-cup'] }]);
    const result = await api.gql(graphql(`query CampaignsProductByExternalId2 { product(externalId: "prod-towel") { campaigns { externalId } } }`));
    expect(result.data?.product?.campaigns?.map((c) => c.externalId)).toEqual(['c-3', 'c-1']);
    const none = await api.gql(graphql(`query CampaignsProductByExternalId3 { product(externalId: "prod-pot") { campaigns { externalId } } }`));
    expect(none.data?.product?.campaigns).toEqual([]);
  });

  it('refuses bad rows by index and code, writing neither them nor their links, and still writes the good ones', async () => {
    const unknownProductId = Buffer.from('Product:00000000-0000-0000-0000-000000000000').toString('base64url');
    const result = await upsert([
      { externalId: 'e-0', name: 'Backwards', channel: 'SMS', startsAt: '2026-05-02T00:00:00Z', endsAt: '2026-05-01T00:00:00Z' },
      { externalId: 'e-1', name: 'Unknown product', channel: 'SMS', productExternalIds: ['prod-tea', 'ghost-1', 'ghost-2'] },
      { externalId: 'e-2', name: 'Good', channel: 'SEARCH', productExternalIds: ['prod-tea'] },
      { externalId: 'e-2', name: 'Duplicate', channel: 'SEARCH' },
      { externalId: 'e-4', channel: 'SMS' },
      { externalId: 'e-5', name: 'No channel' },
      { externalId: 'e-6', name: 'Negative budget', channel: 'SMS', budget: -5 },
      { externalId: 'e-7', name: 'Too many copies', channel: 'SMS', adCopies: Array.from({ length: 21 }, () => 'copy') },
      { externalId: 'e-8', name: 'Long copy', channel: 'SMS', adCopies: ['x'.repeat(2001)] },
      { externalId: 'e-9', name: 'Malformed product id', channel: 'SMS', productIds: ['not-an-id'] },
      { externalId: 'e-10', name: 'Unknown product id', channel: 'SMS', productIds: [unknownProductId] },
      // Ends before the stored start of c-1 (2026-03-01): checked against the stored value.
      { externalId: 'c-1', endsAt: '2026-02-01T00:00:00Z' },
      { externalId: 'c-2', status: null },
    ]);
    expect(result.created).toBe(1);
    expect(result.errors.map((e) => [e.index, e.code, e.field])).toEqual([
      [0, 'BAD_USER_INPUT', 'endsAt'],
      [1, 'NOT_FOUND', 'productExternalIds'],
      [3, 'CONFLICT', 'externalId'],
      [4, 'BAD_USER_INPUT', 'name'],
      [5, 'BAD_USER_INPUT', 'channel'],
      [6, 'BAD_USER_INPUT', 'budget'],
      [7, 'BAD_USER_INPUT', 'adCopies'],
      [8, 'BAD_USER_INPUT', 'adCopies.0'],
      [9, 'BAD_USER_INPUT', 'productIds'],
      [10, 'NOT_FOUND', 'productIds'],
      [11, 'BAD_USER_INPUT', 'endsAt'],
      [12, 'BAD_USER_INPUT', 'status'],
    ]);
    expect(result.failed).toBe(12);
    expect(result.errors[1]).toMatchObject({ externalId: 'e-1', message: expect.stringContaining('"ghost-1", "ghost-2"') });
    expect(result.errors[1]!.message).not.toContain('prod-tea');
    expect(result.errors[9]!.message).toContain(unknownProductId);
    for (const externalId of ['e-0', 'e-1', 'e-4', 'e-5', 'e-6', 'e-9', 'e-10']) expect(await campaign(externalId)).toBeNull();
    expect(await campaign('e-2')).toMatchObject({ name: 'Good', products: [{ externalId: 'prod-tea' }] });
    expect(await campaign('c-1')).toMatchObject({ endsAt: '2026-03-31T23:59:59.000Z', products: [{ externalId: 'prod-towel' }] });
    expect(await campaign('c-2')).toMatchObject({ status: 'DRAFT' });
    // The refused campaign left no links behind.
    const links = await api.database.prisma.campaignProduct.count();
    expect(links).toBe(4); // c-1: towel, c-3: towel + cup, e-2: tea
  });

  it('rejects an unknown enum value at the GraphQL layer', async () => {
    const result = await api.gql(unchecked(UPSERT), { input: [{ externalId: 'enum', name: 'x', channel: 'PIGEON' }] });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await campaign('enum')).toBeNull();
  });
});

describe('campaigns connection', () => {
  beforeAll(async () => {
    const rows: CampaignInput[] = [
      { externalId: 'f-1', name: 'Winter Email', channel: 'EMAIL', status: 'COMPLETED', startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-31T00:00:00Z' },
      { externalId: 'f-2', name: 'Spring SMS', channel: 'SMS', status: 'ACTIVE', startsAt: '2026-03-10T12:00:00Z', endsAt: '2026-03-20T12:00:00Z' },
      { externalId: 'f-3', name: 'Evergreen Search', channel: 'SEARCH', status: 'ACTIVE', startsAt: '2026-02-15T00:00:00Z' },
      { externalId: 'f-4', name: 'Paused Social', channel: 'SOCIAL', status: 'PAUSED', startsAt: '2026-03-20T18:00:00Z', endsAt: '2026-04-30T00:00:00Z' },
      { externalId: 'f-5', name: 'Draft Display', channel: 'DISPLAY' },
    ];
    for (const row of rows) await upsert([row]); // distinct createdAt order
  });

  it('filters by status, statuses, channel, channels, activeOn, start range and search', async () => {
    expect(await page({ search: 'f-', status: 'ACTIVE' })).toEqual(['f-2', 'f-3']);
    expect(await page({ search: 'f-', statuses: ['PAUSED', 'COMPLETED'] })).toEqual(['f-1', 'f-4']);
    expect(await page({ search: 'f-', channel: 'SMS' })).toEqual(['f-2']);
    expect(await page({ search: 'f-', channels: ['EMAIL', 'DISPLAY'] })).toEqual(['f-1', 'f-5']);
    // Running at some time on 2026-03-20 (UTC): f-2 ends at noon, f-4 starts at 18:00, f-3 is open-ended.
    expect(await page({ search: 'f-', activeOn: '2026-03-20' })).toEqual(['f-2', 'f-3', 'f-4']);
    expect(await page({ search: 'f-', activeOn: '2026-03-21' })).toEqual(['f-3', 'f-4']);
    expect(await page({ search: 'f-', activeOn: '2025-12-31' })).toEqual([]);
    expect(await page({ search: 'f-', startsFrom: '2026-02-15T00:00:00Z', startsTo: '2026-03-20T18:00:00Z' })).toEqual(['f-2', 'f-3']);
    expect(await page({ search: 'f-', startsFrom: '2026-03-20T18:00:00Z' })).toEqual(['f-4']);
    expect(await page({ search: 'SPRING sms' })).toEqual(['f-2']);
    expect(await page({ search: 'spring' })).toEqual(['c-1', 'f-2']);
    expect(await page({ search: 'f-', status: 'ACTIVE', channel: 'SEARCH' })).toEqual(['f-3']);
  });

  it('walks pages newest first and ends with an exact last page', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const result: GraphQLResponse<ResultOf<typeof PAGE>> = await api.gql(PAGE, { first: 2, after, filter: { search: 'f-' } });
      const connection: ResultOf<typeof PAGE>['campaigns'] = result.data!.campaigns;
      expect(connection.totalCount).toBe(5);
      expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...connection.edges.map((edge) => edge.node.externalId));
      pages += 1;
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(['f-5', 'f-4', 'f-3', 'f-2', 'f-1']);
  });

  it('returns an empty page with null cursors and rejects invalid cursors', async () => {
    const empty = await api.gql(PAGE, { first: 3, filter: { search: 'no-such-campaign' } });
    expect(empty.data?.campaigns).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
    const bad = await api.gql(PAGE, { first: 3, after: 'bm9wZQ' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('single campaign lookups', () => {
  it('finds a campaign by global id, by externalId and through node()', async () => {
    const id = (await campaign('c-1'))!.id;
    const byId = await api.gql(CAMPAIGN, { id });
    expect(byId.data?.campaign?.externalId).toBe('c-1');
    const node = await api.gql(graphql(`query CampaignsNodeById($id: ID!) { node(id: $id) { __typename id ... on Campaign { externalId channel products { externalId } } } }`), {
      id,
    });
    expect(node.data?.node).toEqual({ __typename: 'Campaign', id, externalId: 'c-1', channel: 'EMAIL', products: [{ externalId: 'prod-towel' }] });
  });

  it('answers null for unknown campaigns and BAD_USER_INPUT for malformed or ambiguous lookups', async () => {
    const unknownId = Buffer.from('Campaign:00000000-0000-0000-0000-000000000000').toString('base64url');
    const unknown = await api.gql(graphql(`query CampaignsCampaignNode($id: ID!) { campaign(id: $id) { id } node(id: $id) { id } }`), { id: unknownId });
    expect(unknown.data).toEqual({ campaign: null, node: null });
    const productId = productIds.get('prod-tea');
    const foreign = await api.gql(CAMPAIGN, { id: productId });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const both = await api.gql(CAMPAIGN, { id: unknownId, externalId: 'c-1' });
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
