import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { graphql, unchecked, type ProductFilter, type ProductInput } from '../../support/graphql.ts';

const UPSERT = graphql(`mutation ProductsUpsert($input: [ProductInput!]!) {
  upsertProducts(input: $input) { created updated unchanged failed errors { index externalId code message field } }
}`);
const PAGE = graphql(`query ProductsPage($first: Int, $after: String, $filter: ProductFilter) {
  products(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id externalId name category tags price active } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`);
const PRODUCT = graphql(`query ProductsProduct($id: ID, $externalId: String) {
  product(id: $id, externalId: $externalId) {
    id externalId sku name description category tags price attributes active createdAt updatedAt
  }
}`);

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer();
});
afterAll(async () => {
  await api?.stop();
});

async function upsert(input: ProductInput[]) {
  const result = await api.gql(UPSERT, { input });
  expect(result.errors).toBeUndefined();
  return result.data!.upsertProducts;
}

async function page(filter: ProductFilter, first = 100): Promise<string[]> {
  const result = await api.gql(PAGE, { first, filter });
  expect(result.errors).toBeUndefined();
  return result.data!.products.edges.map((edge) => edge.node.externalId).sort();
}

describe('upsertProducts', () => {
  it('creates, then reports a re-sent batch as unchanged, storing normalised values', async () => {
    const input = [
      {
        externalId: 'p-1',
        sku: 'SKU-1',
        name: 'Green Tea',
        description: 'Loose leaf green tea from Hangzhou',
        category: 'tea',
        tags: ['  Organic ', 'GIFT', 'organic'],
        price: 19.999,
        attributes: { origin: 'Hangzhou', weight: null },
      },
      { externalId: 'p-2', name: '紫砂壶', category: 'teaware', price: 0 },
    ];
    expect(await upsert(input)).toEqual({ created: 2, updated: 0, unchanged: 0, failed: 0, errors: [] });
    expect(await upsert(input)).toEqual({ created: 0, updated: 0, unchanged: 2, failed: 0, errors: [] });
    const stored = await api.gql(PRODUCT, { externalId: 'p-1' });
    expect(stored.data?.product).toMatchObject({
      externalId: 'p-1',
      sku: 'SKU-1',
      name: 'Green Tea',
      category: 'tea',
      tags: ['organic', 'gift'],
      price: 20,
      attributes: { origin: 'Hangzhou', weight: null },
      active: true,
    });
    const teapot = await api.gql(PRODUCT, { externalId: 'p-2' });
    expect(teapot.data?.product).toMatchObject({ name: '紫砂壶', price: 0, tags: [], attributes: {}, description: null });
  });

  it('keeps omitted fields, clears fields sent as null, and counts the update', async () => {
    const result = await upsert([{ externalId: 'p-1', description: null, tags: null, price: 21.5, active: false }]);
    expect(result).toEqual({ created: 0, updated: 1, unchanged: 0, failed: 0, errors: [] });
    const stored = await api.gql(PRODUCT, { externalId: 'p-1' });
    expect(stored.data?.product).toMatchObject({
      name: 'Green Tea',
      sku: 'SKU-1',
      description: null,
      tags: [],
      price: 21.5,
      active: false,
      attributes: { origin: 'Hangzhou', weight: null },
    });
    // An existing product may omit its name; sending the same values again changes nothing.
    expect(await upsert([{ externalId: 'p-1', price: 21.5 }])).toMatchObject({ unchanged: 1, updated: 0 });
    // Attributes compare key-order-insensitively.
    expect(await upsert([{ externalId: 'p-1', attributes: { weight: null, origin: 'Hangzhou' } }])).toMatchObject({ unchanged: 1 });
  });

  it('refuses bad rows by index and code and still writes the good ones', async () => {
    const result = await upsert([
      { externalId: 'bad-price', name: 'Negative', price: -1 },
      { externalId: 'good-1', name: 'Fine', tags: ['a'] },
      { externalId: 'too-many-tags', name: 'Tags', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) },
      { externalId: 'no-name' },
      { externalId: 'good-1', name: 'Duplicate in batch' },
      { externalId: 'long-tag', name: 'Long tag', tags: ['x'.repeat(51)] },
      { externalId: 'huge-price', name: 'Huge', price: 1e9 + 1 },
      { externalId: 'long-description', name: 'Desc', description: 'd'.repeat(5001) },
      { externalId: 'long-category', name: 'Cat', category: 'c'.repeat(101) },
      { externalId: 'p-2', name: null },
      { externalId: 'empty-tag', name: 'Empty tag', tags: ['  '] },
      { externalId: '', name: 'No external id' },
    ]);
    expect(result.created).toBe(1);
    expect(result.failed).toBe(11);
    expect(result.errors.map((e) => [e.index, e.code, e.field])).toEqual([
      [0, 'BAD_USER_INPUT', 'price'],
      [2, 'BAD_USER_INPUT', 'tags'],
      [3, 'BAD_USER_INPUT', 'name'],
      [4, 'CONFLICT', 'externalId'],
      [5, 'BAD_USER_INPUT', 'tags.0'],
      [6, 'BAD_USER_INPUT', 'price'],
      [7, 'BAD_USER_INPUT', 'description'],
      [8, 'BAD_USER_INPUT', 'category'],
      [9, 'BAD_USER_INPUT', 'name'],
      [10, 'BAD_USER_INPUT', 'tags.0'],
      [11, 'BAD_USER_INPUT', 'externalId'],
    ]);
    expect(result.errors[2]).toMatchObject({ externalId: 'no-name', message: expect.stringContaining('required for a new product') });
    expect(result.errors[3]?.message).toContain('first at index 1');
    for (const externalId of ['bad-price', 'too-many-tags', 'no-name', 'huge-price']) {
      const missing = await api.gql(PRODUCT, { externalId });
      expect(missing.data?.product).toBeNull();
    }
    const teapot = await api.gql(PRODUCT, { externalId: 'p-2' });
    expect(teapot.data?.product?.name).toBe('紫砂壶');
    const good = await api.gql(PRODUCT, { externalId: 'good-1' });
    expect(good.data?.product?.name).toBe('Fine');
  });

  it('rejects a price of the wrong type at the GraphQL layer before writing anything', async () => {
    const result = await api.gql(unchecked(UPSERT), { input: [{ externalId: 'typed', name: 'x', price: 'cheap' }] });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const missing = await api.gql(PRODUCT, { externalId: 'typed' });
    expect(missing.data?.product).toBeNull();
  });

  it('refuses a batch larger than the maximum with BATCH_TOO_LARGE', async () => {
    const small = await startTestServer({ MAX_BATCH_SIZE: '2' });
    try {
      const result = await small.gql(UPSERT, { input: [1, 2, 3].map((i) => ({ externalId: `b-${i}`, name: 'b' })) });
      expect(result.errors?.[0]?.extensions?.code).toBe('BATCH_TOO_LARGE');
    } finally {
      await small.stop();
    }
  });
});

describe('products connection', () => {
  beforeAll(async () => {
    const rows = [
      { externalId: 'f-01', name: 'Oolong Tea', category: 'tea', tags: ['organic'], price: 12, sku: 'OOL-1' },
      { externalId: 'f-02', name: 'Black Tea', category: 'tea', tags: ['bestseller'], price: 8.5 },
      { externalId: 'f-03', name: 'Gaiwan', category: 'teaware', tags: ['gift', 'porcelain'], price: 45 },
      { externalId: 'f-04', name: 'Tea Towel', category: 'textile', tags: ['gift'], price: 5, active: false },
      { externalId: 'f-05', name: 'Mystery Box', description: 'A surprise selection of TEAS', category: null },
      { externalId: 'f-06', name: 'Kettle', category: 'teaware', price: 99.99, tags: ['electric'] },
    ];
    for (const row of rows) await upsert([row]); // distinct createdAt order
  });

  it('filters by category, categories, tag, tags, price range, search and active', async () => {
    expect(await page({ search: 'f-', category: 'tea' })).toEqual(['f-01', 'f-02']);
    expect(await page({ search: 'f-', categories: ['teaware', 'textile'] })).toEqual(['f-03', 'f-04', 'f-06']);
    expect(await page({ search: 'f-', tag: ' GIFT ' })).toEqual(['f-03', 'f-04']);
    expect(await page({ search: 'f-', tags: ['organic', 'electric'] })).toEqual(['f-01', 'f-06']);
    expect(await page({ search: 'f-', priceMin: 8.5, priceMax: 45 })).toEqual(['f-01', 'f-02', 'f-03']);
    expect(await page({ search: 'f-', priceMin: 50 })).toEqual(['f-06']);
    expect(await page({ search: 'f-', active: false })).toEqual(['f-04']);
    // search: name, description, sku and externalId, case-insensitively
    expect(await page({ search: 'tEa' })).toEqual(['f-01', 'f-02', 'f-04', 'f-05', 'p-1']);
    expect(await page({ search: 'ool-' })).toEqual(['f-01']);
    expect(await page({ search: 'F-06' })).toEqual(['f-06']);
    expect(await page({ search: 'f-', category: 'tea', priceMax: 10 })).toEqual(['f-02']);
  });

  it('walks pages newest first, with a last page and exact totals', async () => {
    const first = await api.gql(PAGE, { first: 4, filter: { search: 'f-' } });
    const one = first.data!.products;
    expect(one.totalCount).toBe(6);
    expect(one.edges.map((e) => e.node.externalId)).toEqual(['f-06', 'f-05', 'f-04', 'f-03']);
    expect(one.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await api.gql(PAGE, { first: 4, after: one.pageInfo.endCursor, filter: { search: 'f-' } });
    const two = second.data!.products;
    expect(two.edges.map((e) => e.node.externalId)).toEqual(['f-02', 'f-01']);
    expect(two.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true, endCursor: two.edges[1]!.cursor });
  });

  it('returns an empty page with null cursors, and first: 0', async () => {
    const empty = await api.gql(PAGE, { first: 5, filter: { category: 'nothing-here' } });
    expect(empty.data?.products).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
    const zero = await api.gql(PAGE, { first: 0, filter: { search: 'f-' } });
    expect(zero.data?.products.edges).toEqual([]);
    expect(zero.data?.products.totalCount).toBe(6);
  });

  it('rejects an invalid cursor, a bad page size and oversized filter lists with BAD_USER_INPUT', async () => {
    const badCursor = await api.gql(PAGE, { first: 5, after: 'definitely-not-a-cursor' });
    expect(badCursor.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const tooMany = await api.gql(PAGE, { first: 100_000 });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const bigList = await api.gql(PAGE, { filter: { tags: Array.from({ length: 101 }, (_, i) => `t${i}`) } });
    expect(bigList.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('single product lookups', () => {
  it('finds a product by global id, by externalId and through node()', async () => {
    const byExternal = await api.gql(PRODUCT, { externalId: 'p-1' });
    const id = byExternal.data!.product!.id;
    const byId = await api.gql(PRODUCT, { id });
    expect(byId.data?.product?.externalId).toBe('p-1');
    const node = await api.gql(graphql(`query ProductsNodeById($id: ID!) { node(id: $id) { __typename id ... on Product { externalId price } } }`), { id });
    expect(node.data?.node).toEqual({ __typename: 'Product', id, externalId: 'p-1', price: 21.5 });
  });

  it('answers null for unknown products and BAD_USER_INPUT for malformed or ambiguous lookups', async () => {
    const unknownId = Buffer.from('Product:00000000-0000-0000-0000-000000000000').toString('base64url');
    const unknown = await api.gql(graphql(`query ProductsProductNode($id: ID!) { product(id: $id) { id } node(id: $id) { id } }`), { id: unknownId });
    expect(unknown.data).toEqual({ product: null, node: null });
    const missing = await api.gql(PRODUCT, { externalId: 'nope' });
    expect(missing.data?.product).toBeNull();
    const userId = Buffer.from('User:00000000-0000-0000-0000-000000000000').toString('base64url');
    const foreign = await api.gql(PRODUCT, { id: userId });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const both = await api.gql(PRODUCT, { id: unknownId, externalId: 'p-1' });
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const neither = await api.gql(PRODUCT, {});
    expect(neither.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
