import { describe, expect, it } from 'vitest';
import { evaluateHistories, trainRecommender, type InteractionInput } from '../../../src/ml/recommender/index.ts';

/** Two blocks of users and items: users 0-9 use items 0-9, users 10-19 use items 10-19. */
function blocks(): InteractionInput[] {
  const out: InteractionInput[] = [];
  let t = 0;
  for (let u = 0; u < 20; u++) {
    const base = u < 10 ? 0 : 10;
    for (let j = 0; j < 6; j++) out.push({ user: u, item: base + ((u + j) % 10), type: j % 3 === 0 ? 'PURCHASE' : 'VIEW', occurredAt: ++t * 1000 });
  }
  return out;
}

describe('evaluateHistories (scoring any model on a hold-out given as histories)', () => {
  it('gives NDCG@10 = recall = 1 when the relevant item is the model top pick, and 0 for items it does not know', async () => {
    const { model } = await trainRecommender(
      { userCount: 20, itemCount: 20, interactions: blocks() },
      { evaluate: false, tuneAls: false, blend: { collaborative: 1, knn: 0.5, content: 0, popularity: 0.1 }, als: { factors: 4, iterations: 4 } },
    );
    const history = [
      { item: 1, type: 'PURCHASE' as const },
      { item: 2, type: 'VIEW' as const },
    ];
    const top = model.recommendForUser(null, history, { limit: 20, strategy: 'HYBRID' });
    const hit = evaluateHistories(model, [{ history, relevant: new Set([top[0].item]) }]);
    expect(hit).toMatchObject({ ndcgAt10: 1, recallAt20: 1, mapAt10: 1, users: 1 });
    const miss = evaluateHistories(model, [{ history, relevant: new Set([-1]) }]);
    expect(miss).toMatchObject({ ndcgAt10: 0, recallAt20: 0, users: 1 });
    // History items are never ranked (full catalogue minus training items), and block structure holds.
    expect(top.some((r) => r.item === 1 || r.item === 2)).toBe(false);
    expect(top.slice(0, 5).every((r) => r.item < 10)).toBe(true);
    // Users without relevant items are skipped; users with an empty history get the cold-start list.
    const cold = evaluateHistories(model, [
      { history: [], relevant: new Set([0]) },
      { history, relevant: new Set() },
    ]);
    expect(cold.users).toBe(1);
  });
});
