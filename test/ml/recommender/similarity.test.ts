import { describe, expect, it } from 'vitest';
import { cosineSimilarity, euclideanDistance, euclideanSimilarity, pearsonCorrelation, similarity, sparseSimilarity } from '../../../src/ml/recommender/similarity.js';

describe('similarity measures (hand-computed)', () => {
  const a = [1, 2, 3];
  const b = [4, 5, 6];

  it('cosine', () => {
    // 32 / (sqrt(14) * sqrt(77)) = 32 / 32.8329...
    expect(cosineSimilarity(a, b)).toBeCloseTo(32 / Math.sqrt(14 * 77), 12);
    expect(cosineSimilarity(a, b)).toBeCloseTo(0.974631846, 8);
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
  });

  it('pearson', () => {
    expect(pearsonCorrelation(a, b)).toBeCloseTo(1, 12);
    expect(pearsonCorrelation([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // x=[1,2,3,4], y=[2,1,4,3]: deviations (-1.5,-.5,.5,1.5) and (-.5,-1.5,1.5,.5): Σ products = 3, Σ squares = 5 each → 0.6
    expect(pearsonCorrelation([1, 2, 3, 4], [2, 1, 4, 3])).toBeCloseTo(0.6, 12);
    expect(pearsonCorrelation([1, 1, 1], [1, 2, 3])).toBe(0);
  });

  it('euclidean as 1/(1+d)', () => {
    expect(euclideanDistance([0, 0], [3, 4])).toBe(5);
    expect(euclideanSimilarity([0, 0], [3, 4])).toBeCloseTo(1 / 6, 12);
    expect(euclideanSimilarity(a, a)).toBe(1);
    expect(similarity('EUCLIDEAN', a, b)).toBeCloseTo(1 / (1 + Math.sqrt(27)), 12);
  });

  it('rejects vectors of different length', () => {
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(RangeError);
  });

  it('sparse variants equal the dense ones on the densified vectors', () => {
    const dim = 6;
    const sa = { indices: [0, 2, 5], values: [1, 3, 2] };
    const sb = { indices: [2, 3, 5], values: [2, 1, 4] };
    const da = [1, 0, 3, 0, 0, 2];
    const db = [0, 0, 2, 1, 0, 4];
    for (const m of ['COSINE', 'PEARSON', 'EUCLIDEAN'] as const) {
      expect(sparseSimilarity(m, sa, sb, dim)).toBeCloseTo(similarity(m, da, db), 10);
    }
    // Hand value: cos = (6 + 8) / (sqrt(14) * sqrt(21)) = 14 / 17.146...
    expect(sparseSimilarity('COSINE', sa, sb, dim)).toBeCloseTo(14 / Math.sqrt(14 * 21), 12);
  });
});
