import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { graphql, unchecked, type InteractionInput, type InteractionType, type ResultOf, type VariablesOf } from '../../support/graphql.ts';

const RECORD = graphql(`mutation InteractionsRecord($input: [InteractionInput!]!) {
  recordInteractions(input: $input) { created updated unchanged failed errors { index externalId code message field } }
}`);
const PAGE = graphql(`query InteractionsPage($first: Int, $after: String, $filter: InteractionFilter) {
  interactions(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id externalId type value occurredAt user { externalId } product { externalId } campaign { externalId } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`);

let api: TestServer;
const record = async (input: InteractionInput[]) => {
  const result = await api.gql(RECORD, { input });
  expect(result.errors).toBeUndefined();
  return result.data!.recordInteractions;
};
const page = async (variables: VariablesOf<typeof PAGE>) => {
  const result = await api.gql(PAGE, variables);
  return result;
};

beforeAll(async () => {
  api = await startTestServer();
  const db = api.database.prisma;
  await db.user.createMany({ data: Array.from({ length: 60 }, (_, i) => ({ externalId: `u${i}` })) });
  await db.product.createMany({ data: Array.from({ length: 60 }, (_, i) => ({ externalId: `p${i}`, name: `Product ${i}` })) });
  await db.campaign.create({ data: { externalId: 'c1', name: 'Spring sale', channel: 'EMAIL' } });
});
afterAll(async () => {
  await api?.stop();
});

const T0 = Date.parse('2026-06-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

describe('recordInteractions', () => {
  it('creates events, then reports a re-sent batch as unchanged (with and without externalId)', async () => {
    const input: InteractionInput[] = [
      { externalId: 'e1', userExternalId: 'u1', productExternalId: 'p1', type: 'VIEW', occurredAt: at(1) },
      { externalId: 'e2', userExternalId: 'u1', productExternalId: 'p2', type: 'PURCHASE', occurredAt: at(2) },
      { userExternalId: 'u2', productExternalId: 'p1', type: 'RATING', value: 4, occurredAt: at(3), campaignExternalId: 'c1' },
      { userExternalId: 'u2', productExternalId: 'p2', type: 'CLICK', occurredAt: at(4) },
    ];
    expect(await record(input)).toEqual({ created: 4, updated: 0, unchanged: 0, failed: 0, errors: [] });
    expect(await record(input)).toEqual({ created: 0, updated: 0, unchanged: 4, failed: 0, errors: [] });
    const stored = await page({ first: 10, filter: { userExternalId: 'u1' } });
    const purchase = stored.data!.interactions.edges.find((edge) => edge.node.externalId === 'e2')!;
    expect(purchase.node).toMatchObject({ type: 'PURCHASE', value: 1, user: { externalId: 'u1' }, product: { externalId: 'p2' }, campaign: null });
  });

  it('treats the same content referenced by id instead of externalId as the same event', async () => {
    const user = await api.gql(graphql(`query InteractionsUserByExternalId { user(externalId: "u2") { id } }`));
    const product = await api.database.prisma.product.findUniqueOrThrow({ where: { externalId: 'p2' } });
    const productId = Buffer.from(`Product:${product.id}`).toString('base64url');
    const result = await record([{ userId: user.data!.user!.id, productId, type: 'CLICK', occurredAt: at(4) }]);
    expect(result).toMatchObject({ created: 0, unchanged: 1 });
  });

  it('updates an event whose externalId is re-sent with changed content', async () => {
    const result = await record([{ externalId: 'e1', userExternalId: 'u1', productExternalId: 'p1', type: 'CLICK', occurredAt: at(1) }]);
    expect(result).toEqual({ created: 0, updated: 1, unchanged: 0, failed: 0, errors: [] });
    const stored = await api.gql(graphql(`query InteractionsInteractionByExternalId { interaction(externalId: "e1") { type } }`));
    expect(stored.data?.interaction?.type).toBe('CLICK');
  });

  it('refuses bad rows with index, code and field, and still writes the valid ones', async () => {
    const future = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const result = await record([
      { externalId: 'bad-0', userExternalId: 'nobody', productExternalId: 'p1', type: 'VIEW', occurredAt: at(10) },
      { externalId: 'ok-1', userExternalId: 'u3', productExternalId: 'p3', type: 'VIEW', occurredAt: at(11) },
      { externalId: 'bad-2', userExternalId: 'u3', productExternalId: 'p3', type: 'RATING', value: 6, occurredAt: at(12) },
      { externalId: 'bad-3', userExternalId: 'u3', productExternalId: 'p3', type: 'VIEW', occurredAt: future },
      { externalId: 'bad-4', userId: 'VXNlcjox', userExternalId: 'u3', productExternalId: 'p3', type: 'VIEW', occurredAt: at(13) },
      { externalId: 'bad-5', userExternalId: 'u3', productExternalId: 'p-missing', type: 'VIEW', occurredAt: at(14) },
      { externalId: 'bad-6', userExternalId: 'u3', productExternalId: 'p3', type: 'RATING', occurredAt: at(15) },
      { externalId: 'bad-7', userExternalId: 'u3', productExternalId: 'p3', type: 'PURCHASE', value: 0, occurredAt: at(16) },
      { externalId: 'bad-8', userExternalId: 'u3', productExternalId: 'p3', type: 'VIEW', campaignExternalId: 'nope', occurredAt: at(17) },
      { externalId: 'ok-1', userExternalId: 'u3', productExternalId: 'p4', type: 'VIEW', occurredAt: at(18) },
      { externalId: 'bad-10', productExternalId: 'p3', type: 'VIEW', occurredAt: at(19) },
      { externalId: 'bad-11', userId: 'not-an-id', productExternalId: 'p3', type: 'VIEW', occurredAt: at(20) },
      { externalId: 'ok-12', userExternalId: 'u3', productExternalId: 'p3', type: 'RATING', value: 5, occurredAt: at(21) },
    ]);
    expect(result.created).toBe(2);
    expect(result.failed).toBe(11);
    expect(result.errors.map((e) => [e.index, e.code, e.field])).toEqual([
      [0, 'NOT_FOUND', 'userExternalId'],
      [2, 'BAD_USER_INPUT', 'value'],
      [3, 'BAD_USER_INPUT', 'occurredAt'],
      [4, 'BAD_USER_INPUT', 'userId'],
      [5, 'NOT_FOUND', 'productExternalId'],
      [6, 'BAD_USER_INPUT', 'value'],
      [7, 'BAD_USER_INPUT', 'value'],
      [8, 'NOT_FOUND', 'campaignExternalId'],
      [9, 'CONFLICT', 'externalId'],
      [10, 'BAD_USER_INPUT', 'userId'],
      [11, 'BAD_USER_INPUT', 'userId'],
    ]);
    expect(result.errors[0]).toMatchObject({ externalId: 'bad-0', message: expect.stringContaining('nobody') });
    const missing = await api.gql(graphql(`query InteractionsInteractionByExternalId2 { interaction(externalId: "bad-2") { id } }`));
    expect(missing.data?.interaction).toBeNull();
  });

  it('takes ratings on the default scale, half stars included, and refuses values off it naming the scale', async () => {
    const info = await api.gql(graphql(`query InteractionsRatingScale { serviceInfo { ratingScale { min max step } } }`));
    expect(info.data!.serviceInfo.ratingScale).toEqual({ min: 0.5, max: 5, step: 0.5 });
    const rate = (externalId: string, value: number) => ({ externalId, userExternalId: 'u7', productExternalId: 'p7', type: 'RATING' as const, value, occurredAt: at(30) });
    const result = await record([
      rate('half-0.5', 0.5),
      rate('half-5.0', 5.0),
      rate('half-4.5', 4.5),
      rate('off-0.25', 0.25),
      rate('off-5.5', 5.5),
      rate('off-3.3', 3.3),
      rate('off-0', 0),
    ]);
    expect(result).toMatchObject({ created: 3, failed: 4 });
    expect(result.errors.map((e) => [e.index, e.externalId, e.code, e.field])).toEqual([
      [3, 'off-0.25', 'BAD_USER_INPUT', 'value'],
      [4, 'off-5.5', 'BAD_USER_INPUT', 'value'],
      [5, 'off-3.3', 'BAD_USER_INPUT', 'value'],
      [6, 'off-0', 'BAD_USER_INPUT', 'value'],
    ]);
    expect(result.errors[2].message).toBe("value: 3.3 is not a rating on this service's scale: 0.5 to 5 in steps of 0.5 (configured by RATING_MIN, RATING_MAX, RATING_STEP)");
    const stored = await page({ first: 10, filter: { userExternalId: 'u7', types: ['RATING'] } });
    expect(stored.data!.interactions.edges.map((edge) => edge.node.value).sort()).toEqual([0.5, 4.5, 5]);
  });

  it('rejects a wrong enum value before anything is written', async () => {
    const result = await api.gql(unchecked(RECORD), { input: [{ userExternalId: 'u1', productExternalId: 'p1', type: 'LIKE', occurredAt: at(0) }] });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('takes 10,000 interactions in one request, and the same batch again as unchanged', async () => {
    const input: InteractionInput[] = Array.from({ length: 10_000 }, (_, i) => ({
      ...(i % 2 ? { externalId: `bulk-${i}` } : {}),
      userExternalId: `u${i % 50}`,
      productExternalId: `p${(i * 7) % 50}`,
      type: i % 5 === 0 ? 'PURCHASE' : 'VIEW',
      occurredAt: new Date(Date.parse('2025-01-01T00:00:00Z') + i * 1000).toISOString(),
    }));
    expect(await record(input)).toEqual({ created: 10_000, updated: 0, unchanged: 0, failed: 0, errors: [] });
    expect(await record(input)).toEqual({ created: 0, updated: 0, unchanged: 10_000, failed: 0, errors: [] });
    expect(await api.database.prisma.interaction.count({ where: { occurredAt: { lt: new Date('2026-01-01') } } })).toBe(10_000);
  });
});

describe('interactions connection', () => {
  beforeAll(async () => {
    const input: InteractionInput[] = Array.from({ length: 25 }, (_, i) => ({
      externalId: `walk-${String(i).padStart(2, '0')}`,
      userExternalId: 'u55',
      productExternalId: i % 2 ? 'p40' : 'p41',
      type: i % 3 === 0 ? 'PURCHASE' : 'VIEW',
      occurredAt: at(1000 + (i % 5)), // ties on occurredAt: order falls back to id
      ...(i % 4 === 0 ? { campaignExternalId: 'c1' } : {}),
    }));
    await record(input);
  });

  it('walks every page exactly once, newest first', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    let last: ResultOf<typeof PAGE>['interactions'] | undefined;
    for (;;) {
      const result = await page({ first: 10, after, filter: { userExternalId: 'u55' } });
      last = result.data!.interactions;
      seen.push(...last.edges.map((edge) => edge.node.externalId!));
      pages += 1;
      if (!last.pageInfo.hasNextPage) break;
      after = last.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(last!.edges).toHaveLength(5);
    expect(last!.pageInfo.hasPreviousPage).toBe(true);
    expect(new Set(seen).size).toBe(25);
    const times = seen.map((id) => Number(id.slice(5)) % 5);
    expect([...times]).toEqual([...times].sort((a, b) => b - a));
  });

  it('filters by product, campaign, types and time window, and counts', async () => {
    const product = await page({ first: 100, filter: { userExternalId: 'u55', productExternalId: 'p40' } });
    expect(product.data!.interactions.totalCount).toBe(12);
    const campaign = await api.gql(graphql(`query InteractionsCampaignByExternalId { campaign(externalId: "c1") { id } }`));
    const byCampaign = await page({ first: 100, filter: { userExternalId: 'u55', campaignId: campaign.data!.campaign!.id } });
    expect(byCampaign.data!.interactions.totalCount).toBe(7);
    expect(byCampaign.data!.interactions.edges.every((e) => e.node.campaign?.externalId === 'c1')).toBe(true);
    const purchases = await page({ first: 100, filter: { userExternalId: 'u55', types: ['PURCHASE'] } });
    expect(purchases.data!.interactions.totalCount).toBe(9);
    const window = await page({ first: 100, filter: { userExternalId: 'u55', occurredFrom: at(1001), occurredTo: at(1003) } });
    expect(window.data!.interactions.totalCount).toBe(10);
  });

  it('returns an empty page with null cursors when nothing matches', async () => {
    const result = await page({ first: 5, filter: { userExternalId: 'u59' } });
    expect(result.data!.interactions).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });

  it('rejects invalid cursors, page sizes and ambiguous filters with BAD_USER_INPUT', async () => {
    const garbage = await page({ first: 5, after: 'garbage' });
    expect(garbage.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const foreignCursor = Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'not-a-number'])).toString('base64url');
    const foreign = await page({ first: 5, after: foreignCursor });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const tooMany = await page({ first: 100_000 });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const both = await page({ first: 5, filter: { userId: 'x', userExternalId: 'u1' } });
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('fetches an interaction through node() with a BigInt global id', async () => {
    const first = await page({ first: 1, filter: { userExternalId: 'u55' } });
    const id = first.data!.interactions.edges[0].node.id;
    expect(Buffer.from(id, 'base64url').toString()).toMatch(/^Interaction:\d+$/);
    const node = await api.gql(graphql(`query InteractionsNodeById($id: ID!) { node(id: $id) { __typename ... on Interaction { externalId } } }`), { id });
    expect(node.data?.node).toEqual({ __typename: 'Interaction', externalId: first.data!.interactions.edges[0].node.externalId });
  });
});

describe('nested interaction lists', () => {
  beforeAll(async () => {
    // Three events for each of 50 "nest" users, on the matching product.
    await api.database.prisma.user.createMany({ data: Array.from({ length: 50 }, (_, i) => ({ externalId: `nest-${i}` })) });
    await api.database.prisma.product.createMany({ data: Array.from({ length: 50 }, (_, i) => ({ externalId: `nest-p${i}`, name: `Nest ${i}` })) });
    const input: InteractionInput[] = Array.from({ length: 150 }, (_, i) => ({
      userExternalId: `nest-${i % 50}`,
      productExternalId: `nest-p${i % 50}`,
      type: i < 50 ? 'VIEW' : i < 100 ? 'CLICK' : 'PURCHASE',
      occurredAt: at(2000 + i),
    }));
    await record(input);
    const rows = await api.database.prisma.user.findMany({ where: { externalId: { startsWith: 'nest-' } }, select: { id: true } });
    userIds = rows.map((row) => Buffer.from(`User:${row.id}`).toString('base64url'));
  });

  // Parents through nodes(ids:), so the test depends on nothing but this module and the User loader.
  const USERS_BY_ID = graphql(`query InteractionsUsersById($ids: [ID!]!, $n: Int, $types: [InteractionType!]) {
    nodes(ids: $ids) { ... on User { externalId interactions(first: $n, types: $types) { type product { externalId } } } }
  }`);
  let userIds: string[] = [];
  const users = async (variables: { first: number; n: number; types?: InteractionType[] }) => {
    const result = await api.gql(USERS_BY_ID, {
      ids: userIds.slice(0, variables.first),
      n: variables.n,
      types: variables.types,
    });
    return { ...result, data: result.data ? { users: { edges: result.data.nodes.map((node) => ({ node: node! })) } } : result.data };
  };
  const PRODUCTS = graphql(`query InteractionsProducts($first: Int) {
    products(first: $first, filter: { search: "nest-p" }) { edges { node { externalId interactionCount all: interactionCount purchases: interactionCount(types: [PURCHASE]) } } }
  }`);

  it('lists each user newest first, limited and filtered by type', async () => {
    const result = await users({ first: 50, n: 2 });
    expect(result.data!.users.edges).toHaveLength(50);
    expect(result.errors).toBeUndefined();
    for (const edge of result.data!.users.edges) expect(edge.node.interactions!.map((i) => i.type)).toEqual(['PURCHASE', 'CLICK']);
    const views = await users({ first: 5, n: 20, types: ['VIEW'] });
    for (const edge of views.data!.users.edges) expect(edge.node.interactions!.map((i) => i.type)).toEqual(['VIEW']);
  });

  it('costs the same number of SQL statements for 5 and for 50 users', async () => {
    const five = await users({ first: 5, n: 3 });
    const fifty = await users({ first: 50, n: 3 });
    expect(five.errors).toBeUndefined();
    expect(fifty.sqlStatements).toBe(five.sqlStatements);
    expect(fifty.sqlStatements).toBeLessThanOrEqual(6);
  });

  it('counts events per product with one statement per type filter, for 5 and 50 products alike', async () => {
    const five = await api.gql(PRODUCTS, { first: 5 });
    expect(five.errors).toBeUndefined();
    for (const edge of five.data!.products.edges) expect(edge.node).toMatchObject({ interactionCount: 3, purchases: 1 });
    const fifty = await api.gql(PRODUCTS, { first: 50 });
    expect(fifty.sqlStatements).toBe(five.sqlStatements);
  });

  it('rejects a nested page size out of range', async () => {
    const result = await users({ first: 1, n: 1000 });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
