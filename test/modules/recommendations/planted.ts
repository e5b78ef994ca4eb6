/**
 * A small behaviour data set with planted taste structure, for end-to-end recommender tests:
 * group A customers engage with "Aurora" products, group B customers with "Borealis" ones.
 * Categories cut across groups (`electronics` holds products of both), so only behaviour tells
 * the groups apart. Even-numbered customers gave marketing consent, odd-numbered did not.
 */
import { expect } from 'vitest';
import { createRandom } from '../../../src/ml/shared/random.ts';
import type { TestServer } from '../../support/server.ts';
import { graphql, type ActivationPolicy, type ProductInput, type ResultOf, type UserInput } from '../../support/graphql.ts';
import { waitForJob } from '../../support/jobs.ts';

export const GROUP_SIZE = 20;
export const PRODUCTS_PER_GROUP = 12;
/** Fast settings for tests: no ALS grid search, small factors. */
export const TEST_HYPERPARAMETERS = { tuneAls: false, als: { factors: 8, iterations: 6 }, neighbours: 20, seed: 7 };

export interface PlantedProduct {
  externalId: string;
  name: string;
  group: 'A' | 'B';
  category: string;
  tags: string[];
  price: number | null;
  attributes: Record<string, unknown>;
  active: boolean;
}

export function plantedProducts(): PlantedProduct[] {
  const out: PlantedProduct[] = [];
  for (const group of ['A', 'B'] as const) {
    for (let i = 0; i < PRODUCTS_PER_GROUP; i++) {
      out.push({
        externalId: `p-${group.toLowerCase()}-${i}`,
        name: `${group === 'A' ? 'Aurora' : 'Borealis'} ${['Kettle', 'Lamp', 'Speaker', 'Mug', 'Clock', 'Fan'][i % 6]} ${i}`,
        group,
        category: i % 2 === 0 ? 'electronics' : group === 'A' ? 'kitchen' : 'garden',
        tags: [group === 'A' ? 'aurora' : 'borealis', i % 3 === 0 ? 'gift' : 'everyday'],
        // Prices 10..120; one product per group without a price (missing value).
        price: i === 5 ? null : 10 + i * 10,
        attributes: i % 4 === 0 ? { brand: group === 'A' ? 'Aurora' : 'Borealis' } : { brand: group === 'A' ? 'Aurora' : 'Borealis', weight_kg: 0.5 + i / 10 },
        active: true,
      });
    }
  }
  // Popular with both groups but no longer on sale: must never be recommended.
  out.push({ externalId: 'p-retired', name: 'Retired Bestseller', group: 'A', category: 'electronics', tags: ['gift'], price: 50, attributes: {}, active: false });
  return out;
}

export interface PlantedUser {
  externalId: string;
  group: 'A' | 'B';
  consent: boolean;
}

export function plantedUsers(): PlantedUser[] {
  const out: PlantedUser[] = [];
  for (const group of ['A', 'B'] as const) {
    for (let i = 0; i < GROUP_SIZE; i++) out.push({ externalId: `u-${group.toLowerCase()}-${i}`, group, consent: i % 2 === 0 });
  }
  return out;
}

export interface PlantedInteraction {
  userExternalId: string;
  productExternalId: string;
  type: 'VIEW' | 'CLICK' | 'ADD_TO_CART' | 'PURCHASE' | 'RATING';
  value: number | null;
  occurredAt: string;
}

/** Each customer engages with 7 products of their group (deeper funnel for some) and the retired bestseller. */
export function plantedInteractions(seed = 3): PlantedInteraction[] {
  const random = createRandom(seed);
  const out: PlantedInteraction[] = [];
  const base = Date.UTC(2026, 0, 1);
  let t = 0;
  for (const user of plantedUsers()) {
    const own = user.group.toLowerCase();
    const picks = new Set<number>();
    while (picks.size < 7) picks.add(Math.floor(random() * PRODUCTS_PER_GROUP));
    const events: PlantedInteraction[] = [];
    for (const i of picks) {
      const productExternalId = `p-${own}-${i}`;
      events.push({ userExternalId: user.externalId, productExternalId, type: 'VIEW', value: null, occurredAt: '' });
      if (random() < 0.6) events.push({ userExternalId: user.externalId, productExternalId, type: 'CLICK', value: null, occurredAt: '' });
      if (random() < 0.35) events.push({ userExternalId: user.externalId, productExternalId, type: 'PURCHASE', value: 1, occurredAt: '' });
    }
    events.push({ userExternalId: user.externalId, productExternalId: 'p-retired', type: 'PURCHASE', value: 1, occurredAt: '' });
    for (const event of events) {
      t += 1;
      out.push({ ...event, occurredAt: new Date(base + t * 3_600_000).toISOString() });
    }
  }
  return out;
}

const UPSERT_USERS = graphql(`mutation PlantedUpsertUsers($input: [UserInput!]!) { upsertUsers(input: $input) { created updated failed errors { index message } } }`);
const UPSERT_PRODUCTS = graphql(`mutation PlantedUpsertProducts($input: [ProductInput!]!) { upsertProducts(input: $input) { created updated failed errors { index message } } }`);
const RECORD = graphql(`mutation PlantedRecord($input: [InteractionInput!]!) { recordInteractions(input: $input) { created failed errors { index message } } }`);
const UPSERT_CAMPAIGNS = graphql(
  `mutation PlantedUpsertCampaigns($input: [CampaignInput!]!) { upsertCampaigns(input: $input) { created updated failed errors { index message } } }`,
);

export async function seedPlanted(api: TestServer): Promise<void> {
  const users = await api.gql(UPSERT_USERS, {
    input: plantedUsers().map((u) => ({
      externalId: u.externalId,
      name: `Customer ${u.externalId}`,
      email: `${u.externalId}@example.com`,
      marketingConsent: u.consent,
      attributes: { segment: u.group },
    })),
  });
  expect(users.errors).toBeUndefined();
  expect(users.data!.upsertUsers.failed).toBe(0);
  const products = await api.gql(UPSERT_PRODUCTS, {
    input: plantedProducts().map(({ group: _group, ...p }) => p),
  });
  expect(products.errors).toBeUndefined();
  expect(products.data!.upsertProducts.failed).toBe(0);
  const recorded = await api.gql(RECORD, { input: plantedInteractions() });
  expect(recorded.errors).toBeUndefined();
  expect(recorded.data!.recordInteractions.failed).toBe(0);
  const campaigns = await api.gql(UPSERT_CAMPAIGNS, {
    input: [
      { externalId: 'c-aurora', name: 'Aurora week', channel: 'EMAIL', productExternalIds: ['p-a-0', 'p-a-1', 'p-a-2'] },
      { externalId: 'c-empty', name: 'Brand awareness', channel: 'SOCIAL' },
    ],
  });
  expect(campaigns.errors).toBeUndefined();
  expect(campaigns.data!.upsertCampaigns.failed).toBe(0);
}

export async function recordInteractions(api: TestServer, input: PlantedInteraction[]): Promise<void> {
  const recorded = await api.gql(RECORD, { input });
  expect(recorded.errors).toBeUndefined();
  expect(recorded.data!.recordInteractions.failed).toBe(0);
}

export async function upsertProducts(api: TestServer, input: ProductInput[]): Promise<void> {
  const result = await api.gql(UPSERT_PRODUCTS, { input });
  expect(result.errors).toBeUndefined();
  expect(result.data!.upsertProducts.failed).toBe(0);
}

export async function upsertUsers(api: TestServer, input: UserInput[]): Promise<void> {
  const result = await api.gql(UPSERT_USERS, { input });
  expect(result.errors).toBeUndefined();
  expect(result.data!.upsertUsers.failed).toBe(0);
}

export const TRAIN = graphql(`mutation PlantedTrain($hp: JSONObject, $activation: ActivationPolicy, $task: String! = "default") {
  trainModel(kind: RECOMMENDER, task: $task, hyperparameters: $hp, activation: $activation) { id status }
}`);
const JOB = graphql(`query PlantedJob($id: ID!) { trainingJob(id: $id) {
  status error errorCode activationDecision
  progress { stage epoch epochs loss fraction }
  modelVersion { id version active backend trainingSeconds artifactBytes metrics dataStats hyperparameters }
} }`);

export type Job = NonNullable<ResultOf<typeof JOB>['trainingJob']>;

export async function train(api: TestServer, activation: ActivationPolicy = 'AUTO', hp: Record<string, unknown> = TEST_HYPERPARAMETERS): Promise<Job> {
  const queued = await api.gql(TRAIN, { hp, activation });
  expect(queued.errors).toBeUndefined();
  return waitForJob(api, JOB, queued.data!.trainModel.id);
}

export const RECOMMEND = graphql(`query PlantedRecommend($userId: ID, $userExternalId: String, $limit: Int, $strategy: RecommendationStrategy, $filter: RecommendationFilter) {
  recommendations(userId: $userId, userExternalId: $userExternalId, limit: $limit, strategy: $strategy, filter: $filter) {
    strategyUsed fallback modelVersion { id version }
    items { score product { id externalId name category price active } reason { kind text relatedProduct { id externalId name } } }
  }
}`);

export type RecommendationResult = ResultOf<typeof RECOMMEND>;

export const SIMILAR = graphql(`query PlantedSimilar($productId: ID, $productExternalId: String, $limit: Int, $metric: SimilarityMetric) {
  similarProducts(productId: $productId, productExternalId: $productExternalId, limit: $limit, metric: $metric) {
    score product { id externalId active } reason { basis text sharedCustomers }
  }
}`);

export const AUDIENCE = graphql(`query PlantedAudience($campaignId: ID, $campaignExternalId: String, $limit: Int) {
  campaignAudience(campaignId: $campaignId, campaignExternalId: $campaignExternalId, limit: $limit) {
    score reason user { id externalId email marketingConsent }
  }
}`);

export function interactedBy(userExternalId: string): Set<string> {
  return new Set(
    plantedInteractions()
      .filter((e) => e.userExternalId === userExternalId)
      .map((e) => e.productExternalId),
  );
}
