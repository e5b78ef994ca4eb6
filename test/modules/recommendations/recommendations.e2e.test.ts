import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../../src/graphql/global-id.ts';
import { RecommenderHyperparametersSchema } from '../../../src/ml/recommender/index.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import {
  AUDIENCE,
  interactedBy,
  plantedInteractions,
  plantedUsers,
  PRODUCTS_PER_GROUP,
  RECOMMEND,
  recordInteractions,
  seedPlanted,
  SIMILAR,
  train,
  TRAIN,
  upsertProducts,
  upsertUsers,
  type Job,
} from './planted.ts';
import type { UncheckedDocument, VariablesOf } from '../../support/graphql.ts';
import { graphql } from '../../support/graphql.ts';

let api: TestServer;
let job: Job;
const productIds = new Map<string, string>();
const userIds = new Map<string, string>();

const recommend = (variables: VariablesOf<typeof RECOMMEND>) => api.gql(RECOMMEND, variables);
const codeOf = (result: { errors?: { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;
const groupOf = (externalId: string) => (externalId.startsWith('p-a-') ? 'A' : externalId.startsWith('p-b-') ? 'B' : '?');

beforeAll(async () => {
  api = await startTestServer();
  await seedPlanted(api);
  const products = await api.gql(graphql(`query RecsProductsByFirst { products(first: 100) { edges { node { id externalId } } } }`));
  for (const { node } of products.data!.products.edges) productIds.set(node.externalId, node.id);
  const users = await api.gql(graphql(`query RecsUsersByFirst { users(first: 100) { edges { node { id externalId } } } }`));
  for (const { node } of users.data!.users.edges) userIds.set(node.externalId, node.id);
});

afterAll(async () => {
  await api?.stop();
});

describe('before any recommender is trained', () => {
  it('serves the POPULAR fallback from stored interactions, flagged, never an inactive product', async () => {
    const result = await recommend({ userExternalId: 'u-a-0', limit: 5, strategy: 'HYBRID' });
    expect(result.errors).toBeUndefined();
    const list = result.data!.recommendations;
    expect(list).toMatchObject({ fallback: true, strategyUsed: 'POPULAR', modelVersion: null });
    expect(list.items).toHaveLength(5);
    for (const item of list.items) {
      expect(item.product.active).toBe(true);
      expect(item.reason.kind).toBe('POPULAR');
      expect(interactedBy('u-a-0').has(item.product.externalId)).toBe(false);
    }
    const scores = list.items.map((item) => item.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const anonymous = await recommend({ limit: 3, filter: { category: 'garden' } });
    expect(anonymous.data!.recommendations.items.map((item) => item.reason.kind)).toEqual(['NEW_USER', 'NEW_USER', 'NEW_USER']);
    expect(anonymous.data!.recommendations.items.every((item) => item.product.category === 'garden')).toBe(true);
  });

  it('answers MODEL_NOT_READY for similarProducts and campaignAudience', async () => {
    expect(codeOf(await api.gql(SIMILAR, { productExternalId: 'p-a-0' }))).toBe('MODEL_NOT_READY');
    const audience = await api.gql(AUDIENCE, { campaignExternalId: 'c-aurora' });
    expect(codeOf(audience)).toBe('MODEL_NOT_READY');
    expect(audience.errors![0].message).toMatch(/trainModel\(kind: RECOMMENDER/);
  });
});

describe('training from stored behaviour', () => {
  it('refuses bad hyperparameters and other task names before queueing', async () => {
    for (const hp of [
      { unknownKey: 1 },
      { als: { factors: 0 } },
      { signals: { weights: { VIEW: 10, PURCHASE: 1 } } },
      { blend: 'best' },
      { blend: { collaborative: 0, knn: 0, content: 0, popularity: 0, ease: 0 } },
      { ease: { maxItems: -1 } },
      { ease: { lambda: 10 } },
      { tuneEase: 'yes' },
    ]) {
      const result = await api.gql(TRAIN, { hp });
      expect(codeOf(result), JSON.stringify(hp)).toBe('BAD_USER_INPUT');
      expect(result.errors![0].message).toMatch(/hyperparameters/);
    }
    expect(codeOf(await api.gql(TRAIN, { task: 'other' }))).toBe('BAD_USER_INPUT');
  });

  it('trains in the background, stores metrics with baselines and data statistics, and activates the first version', async () => {
    job = await train(api);
    expect(job.error).toBeNull();
    expect(job.status).toBe('SUCCEEDED');
    expect(job.progress.fraction).toBe(1);
    expect(job.activationDecision).toMatch(/no version was active/);
    const version = job.modelVersion!;
    expect(version).toMatchObject({ version: 1, active: true });
    expect(version.artifactBytes).toBeGreaterThan(1000);
    const m: Record<string, any> = version.metrics;
    for (const key of ['ndcgAt10', 'recallAt20', 'mapAt10', 'coverageAt20']) {
      expect(m[key]).toBeTypeOf('number');
      expect(m.popularity[key]).toBeTypeOf('number');
      expect(m.itemKnn[key]).toBeTypeOf('number');
      expect(m.ease[key]).toBeTypeOf('number');
    }
    expect(m.ndcgAt10).toBe(m.model.ndcgAt10);
    expect(m.evaluatedUsers).toBeGreaterThan(0);
    expect(m.testInteractions).toBeGreaterThan(0);
    // Planted tastes: the model beats plain popularity on held-out behaviour.
    expect(m.ndcgAt10).toBeGreaterThan(m.popularity.ndcgAt10);
    const s: Record<string, any> = version.dataStats;
    expect(s).toMatchObject({ users: 40, products: 25, activeProducts: 24, coldProducts: expect.any(Number) });
    expect(s.interactions).toBeGreaterThan(300);
    const price = s.featureReport.attributes.find((a: { kind: string }) => a.kind === 'price');
    expect(price.missing).toBe(2);
    const weight = s.featureReport.attributes.find((a: { name: string }) => a.name === 'weight_kg');
    expect(weight.missing).toBe(7); // i % 4 === 0 in both groups, plus the retired product
    expect(version.hyperparameters).toMatchObject({ tuneAls: false, als: { factors: 8, iterations: 6 } });
    expect(version.hyperparameters.ease).toMatchObject({ maxItems: expect.any(Number), regularization: expect.any(Number) });
    // Stored resolved: every key of the core's schema, defaults included (tuneEase was left out before).
    expect(Object.keys(version.hyperparameters).sort()).toEqual(Object.keys(RecommenderHyperparametersSchema.shape).sort());
    expect(version.hyperparameters).toMatchObject({ tuneEase: true, evaluate: true, seed: 7, neighbours: 20, testFraction: 0.2, maxEvalUsers: 2000 });
  });
});

describe('serving the active model', () => {
  it('recommends group-A products to a group-A customer, with reasons naming what they interacted with', async () => {
    for (const user of ['u-a-1', 'u-a-4', 'u-b-3']) {
      const result = await recommend({ userExternalId: user, limit: 4 });
      expect(result.errors).toBeUndefined();
      const list = result.data!.recommendations;
      expect(list).toMatchObject({ fallback: false, strategyUsed: 'HYBRID', modelVersion: { id: job.modelVersion!.id } });
      expect(list.items.map((item) => groupOf(item.product.externalId))).toEqual(Array(4).fill(user.startsWith('u-a') ? 'A' : 'B'));
      const seen = interactedBy(user);
      for (const item of list.items) {
        expect(seen.has(item.product.externalId)).toBe(false);
        expect(item.product.active).toBe(true);
        expect(['BECAUSE_YOU_INTERACTED', 'SIMILAR_CONTENT']).toContain(item.reason.kind);
        if (item.reason.kind === 'BECAUSE_YOU_INTERACTED') {
          expect(seen.has(item.reason.relatedProduct!.externalId)).toBe(true);
          expect(item.reason.text).toMatch(new RegExp(`^Because you (bought|clicked on|viewed|added) ${item.reason.relatedProduct!.name}`));
        }
      }
    }
  });

  it('gives the same answer by userId and by userExternalId, for every strategy', async () => {
    for (const strategy of ['HYBRID', 'COLLABORATIVE', 'CONTENT', 'POPULAR'] as const) {
      const byExternal = await recommend({ userExternalId: 'u-a-2', limit: 5, strategy });
      const byId = await recommend({ userId: userIds.get('u-a-2'), limit: 5, strategy });
      expect(byExternal.errors).toBeUndefined();
      expect(byId.data).toEqual(byExternal.data);
      expect(byId.data!.recommendations.strategyUsed).toBe(strategy);
      expect(byId.data!.recommendations.items).toHaveLength(5);
    }
    const popular = await recommend({ userExternalId: 'u-a-2', limit: 5, strategy: 'POPULAR' });
    for (const item of popular.data!.recommendations.items) {
      expect(['POPULAR', 'POPULAR_IN_CATEGORY']).toContain(item.reason.kind);
      if (item.reason.kind === 'POPULAR_IN_CATEGORY') expect(item.reason.text).toBe(`Popular in ${item.product.category}`);
    }
  });

  it('serves popular items with reason NEW_USER to new, unknown and anonymous customers', async () => {
    await upsertUsers(api, [{ externalId: 'u-new', marketingConsent: true }]);
    for (const variables of [{ userExternalId: 'u-new' }, { userExternalId: 'nobody-knows-me' }, { userId: toGlobalId('User', '00000000-0000-4000-8000-000000000000') }, {}]) {
      const result = await recommend({ ...variables, limit: 5 });
      expect(result.errors).toBeUndefined();
      const list = result.data!.recommendations;
      expect(list).toMatchObject({ fallback: false, strategyUsed: 'POPULAR' });
      expect(list.items).toHaveLength(5);
      for (const item of list.items) {
        expect(item.reason).toMatchObject({ kind: 'NEW_USER', relatedProduct: null });
        expect(item.product.externalId).not.toBe('p-retired');
      }
    }
  });

  it('applies category, priceMax and excludeProductIds filters', async () => {
    const byCategory = await recommend({ userExternalId: 'u-a-1', limit: 20, filter: { category: 'kitchen' } });
    const kitchen = byCategory.data!.recommendations.items;
    expect(kitchen.length).toBeGreaterThan(0);
    expect(kitchen.every((item) => item.product.category === 'kitchen')).toBe(true);

    const cheap = await recommend({ userExternalId: 'u-a-1', limit: 20, filter: { priceMax: 45 } });
    const cheapItems = cheap.data!.recommendations.items;
    expect(cheapItems.length).toBeGreaterThan(0);
    expect(cheapItems.every((item) => item.product.price !== null && item.product.price <= 45)).toBe(true);

    const first = await recommend({ userExternalId: 'u-a-1', limit: 3 });
    const top = first.data!.recommendations.items.map((item) => item.product.id);
    const without = await recommend({ userExternalId: 'u-a-1', limit: 3, filter: { excludeProductIds: top } });
    const rest = without.data!.recommendations.items.map((item) => item.product.id);
    expect(rest).toHaveLength(3);
    expect(rest.some((id) => top.includes(id))).toBe(false);
  });

  it('includes already interacted products only when excludeInteracted is false', async () => {
    const seen = interactedBy('u-a-1');
    const excluded = await recommend({ userExternalId: 'u-a-1', limit: 30 });
    expect(excluded.data!.recommendations.items.some((item) => seen.has(item.product.externalId))).toBe(false);
    const included = await recommend({ userExternalId: 'u-a-1', limit: 30, filter: { excludeInteracted: false } });
    const items = included.data!.recommendations.items;
    expect(items.filter((item) => seen.has(item.product.externalId) && item.product.active).length).toBe([...seen].filter((id) => id !== 'p-retired').length);
    expect(items.some((item) => item.product.externalId === 'p-retired')).toBe(false);
  });

  it('takes interactions recorded after training into account without retraining', async () => {
    await upsertUsers(api, [{ externalId: 'u-convert', marketingConsent: false }]);
    const at = new Date(Date.UTC(2026, 5, 1)).toISOString();
    await recordInteractions(
      api,
      ['p-b-0', 'p-b-1', 'p-b-2', 'p-b-3'].map((productExternalId) => ({ userExternalId: 'u-convert', productExternalId, type: 'PURCHASE' as const, value: 1, occurredAt: at })),
    );
    const result = await recommend({ userExternalId: 'u-convert', limit: 4 });
    const list = result.data!.recommendations;
    expect(list.strategyUsed).toBe('HYBRID');
    expect(list.items.map((item) => groupOf(item.product.externalId))).toEqual(['B', 'B', 'B', 'B']);
    expect(list.items.some((item) => ['p-b-0', 'p-b-1', 'p-b-2', 'p-b-3'].includes(item.product.externalId))).toBe(false);
    const because = list.items.find((item) => item.reason.kind === 'BECAUSE_YOU_INTERACTED');
    if (because) expect(because.reason.text).toMatch(/^Because you bought Borealis/);
  });

  it('finds similar products of the same taste group with every metric, on behaviour, with scores in [0, 1] and what was shared', async () => {
    // What each customer did with each product (strongest kind), from the planted events.
    const rank: Record<string, number> = { VIEW: 0, CLICK: 1, RATING: 2, ADD_TO_CART: 3, PURCHASE: 4 };
    const strongest = new Map<string, Map<string, number>>();
    for (const e of plantedInteractions()) {
      const byProduct = strongest.get(e.userExternalId) ?? new Map<string, number>();
      strongest.set(e.userExternalId, byProduct);
      byProduct.set(e.productExternalId, Math.max(byProduct.get(e.productExternalId) ?? 0, rank[e.type]));
    }
    const words = ['Viewed', 'Clicked on', 'Liked', 'Added to cart', 'Bought'];
    /** The reason the rule gives: the deepest kind at least half of the customers of both reached with both. */
    const expectedReason = (a: string, b: string) => {
      const levels = [...strongest.values()].filter((m) => m.has(a) && m.has(b)).map((m) => Math.min(m.get(a)!, m.get(b)!));
      for (let l = 4; l >= 0; l--) {
        const n = levels.filter((x) => x >= l).length;
        if (2 * n >= levels.length) return { n, word: words[l] };
      }
      return { n: levels.length, word: words[0] };
    };
    for (const metric of ['COSINE', 'PEARSON', 'EUCLIDEAN'] as const) {
      const result = await api.gql(SIMILAR, { productExternalId: 'p-a-3', limit: 5, metric });
      expect(result.errors).toBeUndefined();
      const list = result.data!.similarProducts;
      expect(list).toHaveLength(5);
      expect(list.map((s) => groupOf(s.product.externalId))).toEqual(['A', 'A', 'A', 'A', 'A']);
      expect(list.some((s) => s.product.externalId === 'p-a-3')).toBe(false);
      const scores = list.map((s) => s.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      for (const s of list) {
        expect(s.score).toBeGreaterThan(0);
        expect(s.score).toBeLessThanOrEqual(1);
        expect(s.reason.basis).toBe('BEHAVIOUR');
        const { n, word } = expectedReason('p-a-3', s.product.externalId);
        expect(s.reason.sharedCustomers).toBe(n);
        expect(s.reason.text).toBe(`${word} by ${n} ${n === 1 ? 'customer' : 'customers'} who ${word.toLowerCase()} this`);
      }
    }
    // Group B products are never behaviour neighbours of group A ones (no customer shares them):
    // asked for more than the 11 other A products, the rest comes from the factors, scored below them.
    const long = await api.gql(SIMILAR, { productExternalId: 'p-a-3', limit: 20, metric: 'COSINE' });
    const all = long.data!.similarProducts;
    const behaviour = all.filter((s) => s.reason.basis === 'BEHAVIOUR');
    expect(behaviour.map((s) => groupOf(s.product.externalId)).every((g) => g === 'A')).toBe(true);
    expect(behaviour).toHaveLength(PRODUCTS_PER_GROUP - 1);
    const rest = all.slice(behaviour.length);
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((s) => s.reason.basis === 'FACTORS' && s.reason.sharedCustomers === null && s.score <= behaviour[behaviour.length - 1].score)).toBe(true);
    const byId = await api.gql(SIMILAR, { productId: productIds.get('p-a-3'), limit: 5 });
    const byExternal = await api.gql(SIMILAR, { productExternalId: 'p-a-3', limit: 5 });
    expect(byId.data).toEqual(byExternal.data);
    const retired = await api.gql(SIMILAR, { productExternalId: 'p-retired', limit: 30 });
    expect(retired.data!.similarProducts.every((s) => s.product.active)).toBe(true);
  });

  it('compares a product added after training by content whatever the metric, and gives an empty list when it has no features', async () => {
    await upsertProducts(api, [
      { externalId: 'p-a-new', name: 'Aurora Toaster', category: 'kitchen', tags: ['aurora'], price: 35 },
      { externalId: 'p-bare', name: 'Mystery box' },
    ]);
    const result = await api.gql(SIMILAR, { productExternalId: 'p-a-new', limit: 4 });
    expect(result.errors).toBeUndefined();
    const list = result.data!.similarProducts;
    expect(list).toHaveLength(4);
    expect(list.map((s) => groupOf(s.product.externalId))).toEqual(['A', 'A', 'A', 'A']);
    expect(list.every((s) => s.score > 0 && s.score <= 1 && s.reason.basis === 'CONTENT' && s.reason.sharedCustomers === null)).toBe(true);
    // The metric does not apply to content neighbours.
    for (const metric of ['PEARSON', 'EUCLIDEAN'] as const) expect((await api.gql(SIMILAR, { productExternalId: 'p-a-new', limit: 4, metric })).data).toEqual(result.data);
    const bare = await api.gql(SIMILAR, { productExternalId: 'p-bare' });
    expect(bare.errors).toBeUndefined();
    expect(bare.data!.similarProducts).toEqual([]);
  });

  it('ranks group-A consenting customers first for an Aurora campaign and never returns customers without consent', async () => {
    const result = await api.gql(AUDIENCE, { campaignExternalId: 'c-aurora', limit: 100 });
    expect(result.errors).toBeUndefined();
    const audience = result.data!.campaignAudience;
    const consenting = new Set(
      plantedUsers()
        .filter((u) => u.consent)
        .map((u) => u.externalId),
    );
    expect(audience.length).toBe(consenting.size); // every consenting customer with history, nobody else
    for (const member of audience) {
      expect(member.user.marketingConsent).toBe(true);
      expect(consenting.has(member.user.externalId)).toBe(true);
      expect(member.reason).toMatch(/campaign product Aurora/);
    }
    expect(audience.slice(0, 10).map((m) => m.user.externalId.slice(0, 3))).toEqual(Array(10).fill('u-a'));
    const scores = audience.map((m) => m.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const top3 = await api.gql(AUDIENCE, { campaignExternalId: 'c-aurora', limit: 3 });
    expect(top3.data!.campaignAudience.map((m) => m.user.externalId)).toEqual(audience.slice(0, 3).map((m) => m.user.externalId));
  });

  it('respects a consent withdrawal at once', async () => {
    const before = await api.gql(AUDIENCE, { campaignExternalId: 'c-aurora', limit: 1 });
    const first = before.data!.campaignAudience[0].user.externalId;
    await upsertUsers(api, [{ externalId: first, marketingConsent: false }]);
    const after = await api.gql(AUDIENCE, { campaignExternalId: 'c-aurora', limit: 100 });
    expect(after.data!.campaignAudience.some((m) => m.user.externalId === first)).toBe(false);
    await upsertUsers(api, [{ externalId: first, marketingConsent: true }]);
  });

  it('lets ANALYST and INTEGRATION keys call the three queries, with personal data masked', async () => {
    const integration = await api.createKey('INTEGRATION');
    const analyst = await api.createKey('ANALYST');
    for (const key of [integration.secret, analyst.secret]) {
      expect((await api.gqlAs(key, RECOMMEND, { userExternalId: 'u-a-1' })).errors).toBeUndefined();
      expect((await api.gqlAs(key, SIMILAR, { productExternalId: 'p-a-1' })).errors).toBeUndefined();
    }
    const masked = await api.gqlAs(integration.secret, AUDIENCE, { campaignExternalId: 'c-aurora', limit: 3 });
    expect(masked.errors).toBeUndefined();
    expect(masked.data!.campaignAudience.every((m) => m.user.email === null)).toBe(true);
  });

  it('loads the returned products with one batched query', async () => {
    const result = await recommend({ userExternalId: 'u-a-1', limit: 20 });
    expect(result.data!.recommendations.items.length).toBeGreaterThan(5);
    // user + recent interactions (1), products incl. related products (1), auth/active-model checks.
    expect(result.sqlStatements).toBeLessThanOrEqual(4);
  });
});

describe('errors', () => {
  it('refuses bad arguments with BAD_USER_INPUT', async () => {
    const cases: [UncheckedDocument, Record<string, unknown>][] = [
      [RECOMMEND, { userId: userIds.get('u-a-1'), userExternalId: 'u-a-1' }],
      [RECOMMEND, { userExternalId: 'u-a-1', limit: 0 }],
      [RECOMMEND, { userExternalId: 'u-a-1', limit: 101 }],
      [RECOMMEND, { userId: 'not-an-id' }],
      [RECOMMEND, { userId: productIds.get('p-a-1') }],
      [RECOMMEND, { userExternalId: 'u-a-1', filter: { excludeProductIds: ['nope'] } }],
      [RECOMMEND, { userExternalId: 'u-a-1', strategy: 'MAGIC' }],
      [SIMILAR, {}],
      [SIMILAR, { productId: productIds.get('p-a-1'), productExternalId: 'p-a-1' }],
      [SIMILAR, { productExternalId: 'p-a-1', limit: 0 }],
      [SIMILAR, { productExternalId: 'p-a-1', limit: 101 }],
      [SIMILAR, { productExternalId: 'p-a-1', metric: 'MANHATTAN' }],
      [AUDIENCE, {}],
      [AUDIENCE, { campaignExternalId: 'c-aurora', limit: 0 }],
      [AUDIENCE, { campaignExternalId: 'c-aurora', limit: 10_001 }],
      [AUDIENCE, { campaignId: 'bad', campaignExternalId: 'c-aurora' }],
    ];
    for (const [query, variables] of cases) {
      const result = await api.gql(query, variables);
      expect(codeOf(result), JSON.stringify(variables)).toBe('BAD_USER_INPUT');
    }
  });

  it('answers NOT_FOUND for unknown products and campaigns', async () => {
    expect(codeOf(await api.gql(SIMILAR, { productExternalId: 'no-such-product' }))).toBe('NOT_FOUND');
    expect(codeOf(await api.gql(SIMILAR, { productId: toGlobalId('Product', '00000000-0000-4000-8000-000000000000') }))).toBe('NOT_FOUND');
    expect(codeOf(await api.gql(AUDIENCE, { campaignExternalId: 'no-such-campaign' }))).toBe('NOT_FOUND');
  });

  it('refuses a campaign without target products with a clear BAD_USER_INPUT', async () => {
    const result = await api.gql(AUDIENCE, { campaignExternalId: 'c-empty' });
    expect(codeOf(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0].message).toMatch(/no target products/);
  });
});
