import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALS,
  DEFAULT_EASE,
  DEFAULT_NEIGHBOURS,
  DEFAULT_SERVING_CANDIDATES,
  DEFAULT_SIGNALS,
  DEFAULT_SIMILAR,
  RecommenderHyperparametersSchema,
  resolveRecommenderHyperparameters,
  resolveSignals,
  type RecommenderHyperparameters,
} from '../../../src/ml/recommender/index.ts';

/** Every leaf key (path) with its lowest and highest accepted value, and one value just outside. */
const RANGES: [path: string, low: unknown, high: unknown, outside: unknown][] = [
  ['signals.weights.VIEW', 0.001, 1, 0],
  ['signals.weights.CLICK', 2, 4, 1001],
  ['signals.weights.ADD_TO_CART', 4, 8, -1],
  ['signals.weights.PURCHASE', 8, 1000, 1001],
  ['signals.ratingNegativeFraction', 0, 0.99, 1],
  ['signals.ratingWeight', 0.01, 1000, 0],
  ['signals.ratingNegativeWeight', 0, 1000, -1],
  ['signals.halfLifeDays', null, 36_500, 0],
  ['als.factors', 2, 256, 1],
  ['als.iterations', 1, 100, 101],
  ['als.regularization', 1e-6, 1000, 0],
  ['als.regularizationExponent', 0, 2, 3],
  ['als.unobservedWeight', 0.01, 100, 0],
  ['als.alpha', 0, 1000, -1],
  ['als.cgSteps', 1, 20, 0],
  ['neighbours', 1, 1000, 0],
  ['servingCandidates', 0, 1000, 1001],
  ['blend', 'auto', { collaborative: 0, knn: 0, content: 0, popularity: 100, ease: 100 }, 'best'],
  ['ease.maxItems', 0, 5000, 5001],
  ['ease.coverage', 0.01, 1, 0],
  ['ease.regularization', 0.001, 100_000, 0],
  ['ease.neighbours', 1, 1000, 1.5],
  ['similar.neighbours', 1, 200, 201],
  ['similar.shrinkage', 0, 10_000, -1],
  ['similar.minCustomers', 1, 1000, 0],
  ['tuneEase', false, true, 'yes'],
  ['tuneAls', false, true, 1],
  ['evaluate', false, true, null],
  ['testFraction', 0.05, 0.5, 0.6],
  ['maxEvalUsers', 10, 100_000, 9],
  ['trendingHalfLifeDays', 0.5, 36_500, 0],
  ['seed', 0, 2 ** 31, 0.5],
];

function nested(path: string, value: unknown): RecommenderHyperparameters {
  const keys = path.split('.');
  let out: unknown = value;
  for (const key of keys.reverse()) out = { [key]: out };
  return out as RecommenderHyperparameters;
}

function at(object: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, key) => (o as Record<string, unknown>)[key], object);
}

describe('RecommenderHyperparametersSchema', () => {
  it('covers every top-level key training reads', () => {
    const top = [...new Set(RANGES.map(([path]) => path.split('.')[0]))].sort();
    expect(Object.keys(RecommenderHyperparametersSchema.shape).sort()).toEqual(top);
  });

  it.each(RANGES)('%s: accepts its range, refuses outside it', (path, low, high, outside) => {
    expect(at(resolveRecommenderHyperparameters(nested(path, low)), path)).toEqual(low);
    const resolvedHigh = at(resolveRecommenderHyperparameters(nested(path, high)), path);
    if (typeof high === 'object' && high !== null) expect(resolvedHigh).toMatchObject(high);
    else expect(resolvedHigh).toEqual(high);
    const bad = RecommenderHyperparametersSchema.safeParse(nested(path, outside));
    expect(bad.success).toBe(false);
  });

  it('resolves every default once, from the components own constants', () => {
    const resolved = resolveRecommenderHyperparameters();
    // The rating scale is the data's (handed to training), not a hyperparameter.
    const { ratings: _scale, ...defaultSettings } = DEFAULT_SIGNALS;
    expect(resolved).toEqual({
      signals: defaultSettings,
      als: DEFAULT_ALS,
      neighbours: DEFAULT_NEIGHBOURS,
      servingCandidates: DEFAULT_SERVING_CANDIDATES,
      blend: 'auto',
      ease: DEFAULT_EASE,
      similar: DEFAULT_SIMILAR,
      tuneEase: true,
      tuneAls: true,
      evaluate: true,
      testFraction: 0.2,
      maxEvalUsers: 2000,
      seed: 42,
    });
    // Partial nested objects keep the other defaults; resolving again changes nothing.
    const partial = resolveRecommenderHyperparameters({ als: { factors: 8 }, signals: { weights: { PURCHASE: 20 } } });
    expect(partial.als).toEqual({ ...DEFAULT_ALS, factors: 8 });
    expect(partial.signals.weights).toEqual({ ...DEFAULT_SIGNALS.weights, PURCHASE: 20 });
    expect(resolveRecommenderHyperparameters(partial)).toEqual(partial);
    expect(resolveSignals()).toEqual(DEFAULT_SIGNALS);
  });

  it('a fixed blend without ease (written before EASE) resolves to ease 0', () => {
    expect(resolveRecommenderHyperparameters({ blend: { collaborative: 1, knn: 0.5, content: 0, popularity: 0.1 } }).blend).toEqual({
      collaborative: 1,
      knn: 0.5,
      content: 0,
      popularity: 0.1,
      ease: 0,
    });
  });

  it('refuses unknown keys at every level, decreasing funnel weights and an all-zero blend, naming the path', () => {
    const issue = (hp: unknown) => RecommenderHyperparametersSchema.safeParse(hp).error?.issues[0];
    expect(issue({ als: { factorz: 3 } })).toMatchObject({ code: 'unrecognized_keys', keys: ['factorz'], path: ['als'] });
    expect(issue({ ease: { lambda: 10 } })).toMatchObject({ keys: ['lambda'], path: ['ease'] });
    expect(issue({ similar: { metric: 'COSINE' } })).toMatchObject({ keys: ['metric'], path: ['similar'] });
    expect(issue({ similar: { pearsonOver: 'EVERYONE' } })?.path).toEqual(['similar', 'pearsonOver']);
    expect(resolveRecommenderHyperparameters({ similar: { pearsonOver: 'ALL_CUSTOMERS' } }).similar).toEqual({ ...DEFAULT_SIMILAR, pearsonOver: 'ALL_CUSTOMERS' });
    expect(issue({ signals: { weights: { LIKE: 1 } } })).toMatchObject({ keys: ['LIKE'], path: ['signals', 'weights'] });
    expect(issue({ signals: { weights: { VIEW: 10 } } })).toMatchObject({
      path: ['signals', 'weights'],
      message: expect.stringMatching(/VIEW <= CLICK <= ADD_TO_CART <= PURCHASE \(defaults 1, 2, 4, 8\)/),
    });
    expect(issue({ blend: { collaborative: 0, knn: 0, content: 0, popularity: 0 } })?.path).toEqual(['blend']);
  });
});
