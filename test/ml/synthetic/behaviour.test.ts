import { describe, expect, it } from 'vitest';
import { createSyntheticWorld, generateSyntheticBehaviour, generateSyntheticBehaviourChunks, MOVIELENS_LIKE } from '../../../src/ml/synthetic/behaviour.js';

const small = { users: 300, products: 400, interactions: 8000, seed: 11, missingRate: 0.2 };

describe('synthetic behaviour generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateSyntheticBehaviour(small);
    const b = generateSyntheticBehaviour(small);
    const c = generateSyntheticBehaviour({ ...small, seed: 12 });
    expect(a).toEqual(b);
    expect(a.interactions.slice(0, 50)).not.toEqual(c.interactions.slice(0, 50));
  });

  it('produces the requested sizes with increasing timestamps', () => {
    const d = generateSyntheticBehaviour(small);
    expect(d.users).toHaveLength(300);
    expect(d.products).toHaveLength(400);
    expect(d.interactions).toHaveLength(8000);
    for (let i = 1; i < d.interactions.length; i++) {
      expect(d.interactions[i].occurredAt.getTime()).toBeGreaterThanOrEqual(d.interactions[i - 1].occurredAt.getTime());
    }
    for (const it of d.interactions) {
      expect(it.user).toBeGreaterThanOrEqual(0);
      expect(it.user).toBeLessThan(300);
      expect(it.product).toBeLessThan(400);
    }
  });

  it('plants a funnel, skewed popularity, taste clusters and low ratings off-taste', () => {
    const d = generateSyntheticBehaviour({ ...small, interactions: 30_000 });
    const count = (t: string) => d.interactions.filter((i) => i.type === t).length;
    expect(count('VIEW')).toBeGreaterThan(count('CLICK'));
    expect(count('CLICK')).toBeGreaterThan(count('ADD_TO_CART'));
    expect(count('ADD_TO_CART')).toBeGreaterThan(count('PURCHASE'));
    expect(count('RATING')).toBeGreaterThan(0);

    const perItem = new Array(400).fill(0) as number[];
    for (const i of d.interactions) perItem[i.product]++;
    const sorted = [...perItem].sort((a, b) => b - a);
    const top10 = sorted.slice(0, 40).reduce((s, x) => s + x, 0);
    expect(top10 / d.interactions.length).toBeGreaterThan(0.3); // top 10% of items

    let on = 0;
    for (const i of d.interactions) if (d.products[i.product].cluster === d.users[i.user].cluster) on++;
    expect(on / d.interactions.length).toBeGreaterThan(0.6);

    const ratings = d.interactions.filter((i) => i.type === 'RATING');
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const onTaste = ratings.filter((r) => d.products[r.product].cluster === d.users[r.user].cluster).map((r) => r.value ?? 0);
    const offTaste = ratings.filter((r) => d.products[r.product].cluster !== d.users[r.user].cluster).map((r) => r.value ?? 0);
    expect(mean(onTaste)).toBeGreaterThan(3.8);
    expect(mean(offTaste)).toBeLessThan(2.5);
  });

  it('makes attributes and prices missing at roughly the configured rate', () => {
    const w = createSyntheticWorld({ ...small, products: 4000 });
    const missingPrice = w.products.filter((p) => p.price === null).length / 4000;
    expect(missingPrice).toBeGreaterThan(0.15);
    expect(missingPrice).toBeLessThan(0.25);
    const absent = w.products.filter((p) => !('weight_kg' in p.attributes)).length;
    const nulls = w.products.filter((p) => p.attributes.weight_kg === null).length;
    expect(absent).toBeGreaterThan(200);
    expect(nulls).toBeGreaterThan(200);
    expect(new Set(w.products.map((p) => p.category))).toContain('electronics');
  });

  it('streams chunks identical to the materialised output', async () => {
    const full = generateSyntheticBehaviour(small);
    const chunks: number[] = [];
    const all: typeof full.interactions = [];
    await generateSyntheticBehaviourChunks(small, 3000, (c) => {
      chunks.push(c.length);
      all.push(...c);
    });
    expect(chunks).toEqual([3000, 3000, 2000]);
    expect(all).toEqual(full.interactions);
  });

  it('RATINGS mode gives one rating per pair (MovieLens-like shape)', () => {
    const d = generateSyntheticBehaviour({ ...MOVIELENS_LIKE, interactions: 20_000, users: 200, products: 3000 });
    const keys = new Set(d.interactions.map((i) => `${i.user}:${i.product}`));
    expect(keys.size).toBe(d.interactions.length);
    expect(d.interactions.every((i) => i.type === 'RATING' && i.value !== null && i.value >= 1 && i.value <= 5)).toBe(true);
  });
});
