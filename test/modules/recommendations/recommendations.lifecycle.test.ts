import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import {
  plantedInteractions,
  RECOMMEND,
  recordInteractions,
  seedPlanted,
  SIMILAR,
  AUDIENCE,
  train,
  TEST_HYPERPARAMETERS,
  upsertProducts,
  upsertUsers,
  type RecommendationResult,
} from './planted.ts';
import { graphql, type UncheckedDocument, type VariablesOf } from '../../support/graphql.ts';

let database: TestDatabase;
let api: TestServer;

const ACTIVATE = graphql(`mutation RecsLifecycleActivate($id: ID!) { activateModel(id: $id) { id version active } }`);
const recommend = (server: TestServer, variables: VariablesOf<typeof RECOMMEND>) => server.gql(RECOMMEND, variables);

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startTestServer({}, { database });
});

afterAll(async () => {
  await api?.stop();
  await database?.destroy();
});

describe('recommender lifecycle', () => {
  it('fails a job with too little behaviour, naming the thresholds, and leaves serving on the fallback', async () => {
    await upsertUsers(api, [{ externalId: 'early-1' }, { externalId: 'early-2' }]);
    await upsertProducts(api, [{ externalId: 'early-p', name: 'Early product' }]);
    await recordInteractions(api, [
      { userExternalId: 'early-1', productExternalId: 'early-p', type: 'VIEW', value: null, occurredAt: '2025-12-01T00:00:00Z' },
      { userExternalId: 'early-2', productExternalId: 'early-p', type: 'PURCHASE', value: 1, occurredAt: '2025-12-02T00:00:00Z' },
    ]);
    const job = await train(api);
    expect(job.status).toBe('FAILED');
    expect(job.errorCode).toBe('INSUFFICIENT_TRAINING_DATA');
    expect(job.error).toMatch(/at least 20 interactions from at least 2 users on at least 2 products/);
    expect(job.error).toMatch(/found 2 interactions from 2 users on 1 products/);
    expect(job.modelVersion).toBeNull();
    const list = await recommend(api, { userExternalId: 'early-1' });
    expect(list.data!.recommendations.fallback).toBe(true);
  });

  let v1 = '';
  let v2 = '';
  let servedByV1: RecommendationResult | null = null;

  it('activates a better or equal version by AUTO, comparing both on the new hold-out split', async () => {
    await seedPlanted(api);
    const first = await train(api);
    expect(first.status).toBe('SUCCEEDED');
    v1 = first.modelVersion!.id;
    servedByV1 = (await recommend(api, { userExternalId: 'u-b-3', limit: 5 })).data!;
    expect(servedByV1.recommendations.modelVersion!.id).toBe(v1);

    // More behaviour, then a second version trained by AUTO: it is compared with v1 on its own split.
    const more = plantedInteractions(99).map((e) => ({ ...e, occurredAt: new Date(Date.parse(e.occurredAt) + 200 * 86_400_000).toISOString() }));
    // Only group A changes, so group-B customers are answered alike by v1 before and after.
    await recordInteractions(
      api,
      more.filter((e) => e.userExternalId.startsWith('u-a-')),
    );
    const second = await train(api, 'AUTO', { ...TEST_HYPERPARAMETERS, seed: 11 });
    expect(second.status).toBe('SUCCEEDED');
    expect(second.activationDecision).toMatch(/ndcgAt10 \d\.\d{4} vs active \d\.\d{4} on the new test split/);
    v2 = second.modelVersion!.id;
    if (!second.modelVersion!.active) {
      const activated = await api.gql(ACTIVATE, { id: v2 });
      expect(activated.errors).toBeUndefined();
    }
  });

  it('serves a newly activated or rolled-back version within about a second', async () => {
    const waitForVersion = async (id: string) => {
      const deadline = Date.now() + 3_000;
      for (;;) {
        const result = await recommend(api, { userExternalId: 'u-b-3', limit: 5 });
        if (result.data!.recommendations.modelVersion!.id === id) return { result, at: Date.now() };
        if (Date.now() > deadline) throw new Error(`version ${id} not served`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await waitForVersion(v2);
    const rolledBackAt = Date.now();
    const rollback = await api.gql(ACTIVATE, { id: v1 });
    expect(rollback.data!.activateModel).toMatchObject({ id: v1, active: true });
    const { result, at } = await waitForVersion(v1);
    expect(at - rolledBackAt).toBeLessThan(1_800);
    // v1 answers as before, for a customer whose behaviour did not change since.
    expect(result.data).toEqual(servedByV1);
  });

  it('serves the same active model after a restart, without retraining', async () => {
    const queries: [UncheckedDocument, Record<string, unknown>][] = [
      [RECOMMEND, { userExternalId: 'u-b-2', limit: 6 }],
      [RECOMMEND, { userExternalId: 'u-a-5', limit: 6, strategy: 'COLLABORATIVE', filter: { category: 'electronics' } }],
      [SIMILAR, { productExternalId: 'p-b-4', limit: 6, metric: 'PEARSON' }],
      [AUDIENCE, { campaignExternalId: 'c-aurora', limit: 8 }],
    ];
    const before = await Promise.all(queries.map(([query, variables]) => api.gql(query, variables)));
    const jobsBefore = await database.prisma.trainingJob.count();
    await api.stop();
    api = await startTestServer({}, { database });
    const after = await Promise.all(queries.map(([query, variables]) => api.gql(query, variables)));
    for (let i = 0; i < queries.length; i++) {
      expect(after[i].errors).toBeUndefined();
      expect(after[i].data).toEqual(before[i].data);
    }
    expect((after[0].data as unknown as RecommendationResult).recommendations.modelVersion!.id).toBe(v1);
    expect(await database.prisma.trainingJob.count()).toBe(jobsBefore);
  });
});
