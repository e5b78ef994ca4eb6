import { describe, expect, it } from 'vitest';
import { averagePrecisionAtK, catalogueCoverage, ndcgAtK, precisionAtK, recallAtK, topK } from '../../../src/ml/recommender/metrics.js';

describe('ranking metrics (hand-computed)', () => {
  // Ranked list: hits at ranks 1 and 3 (items 10 and 30); relevant = {10, 30, 99}.
  const ranked = [10, 20, 30, 40, 50];
  const relevant = new Set([10, 30, 99]);

  it('recall@K normalised by min(K, |relevant|)', () => {
    expect(recallAtK(ranked, relevant, 5)).toBeCloseTo(2 / 3, 12);
    expect(recallAtK(ranked, relevant, 2)).toBeCloseTo(1 / 2, 12); // 1 hit / min(2, 3)
    expect(recallAtK(ranked, new Set<number>(), 5)).toBe(0);
  });

  it('precision@K', () => {
    expect(precisionAtK(ranked, relevant, 5)).toBeCloseTo(2 / 5, 12);
  });

  it('NDCG@K', () => {
    // DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG (3 relevant, K=5) = 1 + 1/log2(3) + 1/2
    const idcg = 1 + 1 / Math.log2(3) + 0.5;
    expect(ndcgAtK(ranked, relevant, 5)).toBeCloseTo(1.5 / idcg, 12);
    expect(ndcgAtK(ranked, relevant, 5)).toBeCloseTo(0.7039180890341347, 12);
    expect(ndcgAtK([10, 30], new Set([10, 30]), 10)).toBeCloseTo(1, 12);
    // K=2: DCG = 1, IDCG = 1 + 1/log2(3)
    expect(ndcgAtK(ranked, relevant, 2)).toBeCloseTo(1 / (1 + 1 / Math.log2(3)), 12);
  });

  it('AP@K', () => {
    // precisions at hits: 1/1 and 2/3 → (1 + 2/3) / min(5, 3)
    expect(averagePrecisionAtK(ranked, relevant, 5)).toBeCloseTo((1 + 2 / 3) / 3, 12);
    // K=2: only the first hit counts, normalised by min(2, 3)
    expect(averagePrecisionAtK(ranked, relevant, 2)).toBeCloseTo(1 / 2, 12);
    expect(averagePrecisionAtK([1, 2], new Set([2]), 10)).toBeCloseTo(1 / 2, 12);
  });

  it('catalogue coverage', () => {
    expect(catalogueCoverage([[0, 1], [1, 2], [2]], 10)).toBeCloseTo(0.3, 12);
  });

  it('topK orders by score, breaks ties by index and honours skip', () => {
    const scores = [0.1, 0.9, 0.5, 0.9, Number.NEGATIVE_INFINITY, 0.7];
    expect(Array.from(topK(scores, 3).items)).toEqual([1, 3, 5]);
    expect(Array.from(topK(scores, 3, (i) => i === 3).items)).toEqual([1, 5, 2]);
    expect(Array.from(topK(scores, 10).items)).toEqual([1, 3, 5, 2, 0]);
  });
});
