/**
 * The same data stored in two databases, inserted in different orders (so UUIDs, row ids and
 * physical row order differ), trains the same models through GraphQL. Recommender: identical
 * top-20 lists, similar products and stored evaluation metrics. Text classifier: identical
 * split, metrics and classifications.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, shuffleInPlace } from '../../../src/ml/shared/random.ts';
import { generateSyntheticBehaviour } from '../../../src/ml/synthetic/behaviour.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { sentimentFeedback, submitFeedback } from '../../support/fixtures.ts';
import { graphql, type ProductInput, type UserInput } from '../../support/graphql.ts';
import { waitForJob } from '../../support/jobs.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { RECOMMEND, recordInteractions, SIMILAR, train, upsertProducts, upsertUsers, type Job, type PlantedInteraction } from '../recommendations/planted.ts';

const DAY = 86_400_000;

const TRAIN_CLASSIFIER = graphql(`mutation ReproTrainClassifier($hp: JSONObject) {
  trainModel(kind: TEXT_CLASSIFIER, task: "sentiment", hyperparameters: $hp, activation: AUTO) { id }
}`);
const CLASSIFIER_JOB = graphql(`query ReproClassifierJob($id: ID!) { trainingJob(id: $id) {
  status error modelVersion { id labels metrics dataStats hyperparameters }
} }`);
const CLASSIFY = graphql(`query ReproClassify($texts: [String!]!) {
  classify(task: "sentiment", texts: $texts) { results { label confidence scores { label score } explanation { token weight } } }
}`);
/** Tuned like a real run (ALS and EASE λ searches, blend search, hold-out), small enough for a test. */
const HYPERPARAMETERS = { als: { factors: 8, iterations: 6 }, neighbours: 20, maxEvalUsers: 200, seed: 7 };

/** Ratings and funnel events of 90 customers on 140 products, times cut to the day: many ties in time. */
function behaviour(): { users: UserInput[]; products: ProductInput[]; interactions: PlantedInteraction[] } {
  const common = { users: 90, products: 140, clusters: 3, categories: 5, days: 60, missingRate: 0.1 };
  const ratings = generateSyntheticBehaviour({ ...common, interactions: 1_500, mode: 'RATINGS', minPerUser: 8, seed: 21 });
  const funnel = generateSyntheticBehaviour({ ...common, interactions: 700, seed: 22 });
  const userKey = (index: number) => `repro-u-${index}`;
  const productKey = (index: number) => `repro-p-${index}`;
  return {
    users: ratings.users.map((u) => ({ externalId: userKey(u.index) })),
    products: ratings.products.map((p) => ({
      externalId: productKey(p.index),
      name: `Product ${p.index}`,
      category: p.category,
      tags: p.tags,
      price: p.price,
      attributes: Object.fromEntries(Object.entries(p.attributes).filter(([, value]) => value !== null)),
    })),
    interactions: [...ratings.interactions, ...funnel.interactions].map((i) => ({
      userExternalId: userKey(i.user),
      productExternalId: productKey(i.product),
      type: i.type,
      value: i.value,
      occurredAt: new Date(Math.floor(i.occurredAt.getTime() / DAY) * DAY).toISOString(),
    })),
  };
}

async function load(api: TestServer, data: ReturnType<typeof behaviour>, batch: number): Promise<void> {
  await upsertUsers(api, data.users);
  await upsertProducts(api, data.products);
  for (let i = 0; i < data.interactions.length; i += batch) await recordInteractions(api, data.interactions.slice(i, i + batch));
}

const data = behaviour();
const databases: TestDatabase[] = [];
const servers: TestServer[] = [];
const jobs: Job[] = [];

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    databases.push(await createTestDatabase());
    servers.push(await startTestServer({}, { database: databases[i] }));
  }
  // Database A in generated order; database B with every list shuffled and other batch sizes.
  await load(servers[0], data, 1_000);
  const rng = createRng(5);
  await load(
    servers[1],
    { users: shuffleInPlace([...data.users], rng), products: shuffleInPlace([...data.products], rng), interactions: shuffleInPlace([...data.interactions], rng) },
    700,
  );
  for (const api of servers) jobs.push(await train(api, 'AUTO', HYPERPARAMETERS));
}, 240_000);

// After the recommender's, so each database holds both kinds of data.
const feedback = sentimentFeedback({ seed: 31, count: 240, idPrefix: 'repro-fb-', productNames: ['kettle', 'lamp', 'scarf'] });
const probes = sentimentFeedback({ seed: 32, count: 30, idPrefix: 'probe-' }).map((row) => row.text);

afterAll(async () => {
  for (const api of servers) await api.stop();
  for (const database of databases) await database.destroy();
});

/** Drops what measures the run rather than the model (timings, the read's snapshot time). */
function withoutTimings(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimings);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'seconds' && key !== 'snapshotAt' && key !== 'artifactBytes')
      .map(([key, v]) => [key, withoutTimings(v)]),
  );
}

describe('recommender training is reproducible across databases', () => {
  it('stored the same content under other ids and in another order', async () => {
    const firstIds = await Promise.all(databases.map((db) => db.prisma.user.findUniqueOrThrow({ where: { externalId: 'repro-u-0' } })));
    expect(firstIds[0].id).not.toBe(firstIds[1].id);
    const physical = await Promise.all(
      databases.map(
        (db) => db.prisma.$queryRaw<{ externalId: string }[]>`SELECT u.external_id AS "externalId" FROM interactions i JOIN users u ON u.id = i.user_id ORDER BY i.id LIMIT 20`,
      ),
    );
    expect(physical[1]).not.toEqual(physical[0]);
    expect(await databases[1].prisma.interaction.count()).toBe(await databases[0].prisma.interaction.count());
    for (const job of jobs) expect(job.status, job.error ?? '').toBe('SUCCEEDED');
  });

  it('stores identical evaluation metrics, data statistics and chosen hyperparameters', () => {
    const [a, b] = jobs.map((job) => job.modelVersion!);
    expect(a.metrics.ndcgAt10).toEqual(expect.any(Number));
    expect(a.metrics.evaluatedUsers).toBeGreaterThan(50);
    expect(withoutTimings(b.metrics)).toEqual(withoutTimings(a.metrics));
    expect(withoutTimings(b.dataStats)).toEqual(withoutTimings(a.dataStats));
    expect(b.hyperparameters).toEqual(a.hyperparameters);
  });

  it('answers identical top-20 recommendations, scores and reasons for every third customer', async () => {
    const sampled = data.users.filter((_, u) => u % 3 === 0);
    const lists = await Promise.all(
      servers.map((api) =>
        Promise.all(
          sampled.map(async (user) => {
            const result = await api.gql(RECOMMEND, { userExternalId: user.externalId, limit: 20 });
            expect(result.errors).toBeUndefined();
            const { fallback, strategyUsed, items } = result.data!.recommendations;
            return { fallback, strategyUsed, items: items.map((item) => [item.product.externalId, item.score, item.reason.kind, item.reason.relatedProduct?.externalId ?? null]) };
          }),
        ),
      ),
    );
    expect(lists[0].filter((list) => !list.fallback && list.items.length === 20)).toHaveLength(sampled.length);
    sampled.forEach((user, u) => expect(lists[1][u], user.externalId).toEqual(lists[0][u]));
  });

  it('answers identical similar products', async () => {
    for (const productExternalId of ['repro-p-0', 'repro-p-17', 'repro-p-88']) {
      const [a, b] = await Promise.all(servers.map((api) => api.gql(SIMILAR, { productExternalId, limit: 20 })));
      expect(a.errors).toBeUndefined();
      const similar = (result: typeof a) => result.data!.similarProducts.map((s) => [s.product.externalId, s.score]);
      expect(similar(a)).toHaveLength(20);
      expect(similar(b), productExternalId).toEqual(similar(a));
    }
  });
});

describe('text classifier training is reproducible across databases', () => {
  type ClassifierJob = NonNullable<Awaited<ReturnType<typeof trainClassifier>>>;
  const classifierJobs: ClassifierJob[] = [];

  async function trainClassifier(api: TestServer) {
    const queued = await api.gql(TRAIN_CLASSIFIER, { hp: { epochs: 6, seed: 3 } });
    expect(queued.errors).toBeUndefined();
    return waitForJob(api, CLASSIFIER_JOB, queued.data!.trainModel.id);
  }

  beforeAll(async () => {
    await submitFeedback(servers[0], feedback);
    // The other database: reversed, in two batches, so ids and physical order differ.
    const reversed = [...feedback].reverse();
    await submitFeedback(servers[1], reversed.slice(0, 100));
    await submitFeedback(servers[1], reversed.slice(100));
    for (const api of servers) classifierJobs.push(await trainClassifier(api));
  }, 240_000);

  it('stores identical metrics and split sizes, and classifies alike', async () => {
    const [a, b] = classifierJobs.map((job) => {
      expect(job.status, job.error ?? '').toBe('SUCCEEDED');
      return job.modelVersion!;
    });
    expect(a.metrics.macroF1).toEqual(expect.any(Number));
    expect(b.metrics).toEqual(a.metrics);
    expect(b.dataStats).toEqual(a.dataStats);
    expect(b.hyperparameters).toEqual(a.hyperparameters);
    const [ca, cb] = await Promise.all(servers.map((api) => api.gql(CLASSIFY, { texts: probes })));
    expect(ca.errors).toBeUndefined();
    expect(cb.data!.classify.results).toEqual(ca.data!.classify.results);
  });
});
