import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RATING_SCALE,
  describeRatingScale,
  isOnRatingScale,
  LEGACY_RATING_SCALE,
  ratingPosition,
  ratingScaleProblem,
  type RatingScale,
} from '../../../src/ml/recommender/ratings.ts';
import { buildInteractionMatrix, DEFAULT_SIGNALS, isNegativeRating, negativeRatingCeiling, signalWeight, upgradeLegacySignals } from '../../../src/ml/recommender/signals.ts';
import { resolveSignals } from '../../../src/ml/recommender/hyperparameters.ts';
import type { SignalConfig } from '../../../src/ml/recommender/types.ts';

// The rule before rating scales, written out: ratings above T weigh (r − T)·s, at or below −(T + 1 − r)·s.
const before = (r: number, T = 2, s = 1.5) => (r > T ? (r - T) * s : -(T + 1 - r) * s);
const rating = (cfg: SignalConfig, value: number | null) => signalWeight(cfg, 'RATING', value);
const halves = Array.from({ length: 10 }, (_, i) => 0.5 + i * 0.5);

describe('rating scales', () => {
  it('accepts a scale whose step divides its range, and says why another is unusable', () => {
    expect(ratingScaleProblem(DEFAULT_RATING_SCALE)).toBeNull();
    expect(ratingScaleProblem({ min: 1, max: 10, step: 1 })).toBeNull();
    expect(ratingScaleProblem({ min: 0, max: 1, step: 0.1 })).toBeNull(); // 10 steps, though 0.1 is not exact in binary
    expect(ratingScaleProblem({ min: 5, max: 5, step: 1 })).toMatch(/min \(5\) must be below max \(5\)/);
    expect(ratingScaleProblem({ min: 5, max: 1, step: 1 })).toMatch(/below max/);
    expect(ratingScaleProblem({ min: 1, max: 5, step: 0 })).toMatch(/step \(0\) must be greater than 0/);
    expect(ratingScaleProblem({ min: 1, max: 5, step: -1 })).toMatch(/greater than 0/);
    expect(ratingScaleProblem({ min: 1, max: 5, step: 1.5 })).toMatch(/whole steps/);
    expect(ratingScaleProblem({ min: 1, max: Number.NaN, step: 1 })).toMatch(/finite/);
  });

  it('knows which values are on the default half-star scale', () => {
    for (const value of halves) expect(isOnRatingScale(DEFAULT_RATING_SCALE, value), String(value)).toBe(true);
    for (const value of [0, 0.25, 3.3, 4.75, 5.5, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(isOnRatingScale(DEFAULT_RATING_SCALE, value), String(value)).toBe(false);
    }
    const tenths: RatingScale = { min: 0, max: 1, step: 0.1 };
    expect(isOnRatingScale(tenths, 0.3)).toBe(true); // 0.3 / 0.1 = 2.9999999999999996
    expect(isOnRatingScale(tenths, 0.35)).toBe(false);
    expect(describeRatingScale(DEFAULT_RATING_SCALE)).toBe('0.5 to 5 in steps of 0.5');
  });

  it('places a rating on its scale from 0 (min) to 1 (max)', () => {
    expect(ratingPosition(DEFAULT_RATING_SCALE, 0.5)).toBe(0);
    expect(ratingPosition(DEFAULT_RATING_SCALE, 5)).toBe(1);
    expect(ratingPosition({ min: 1, max: 10, step: 1 }, 5.5)).toBe(0.5);
  });
});

describe('rating signals relative to the scale', () => {
  it('reproduce the rule of 1.5 per star above 2 exactly on the default scale, whole and half stars', () => {
    for (const r of halves) expect(rating(DEFAULT_SIGNALS, r), `rating ${r}`).toBe(before(r));
    expect([1, 2, 3, 4, 5].map((r) => rating(DEFAULT_SIGNALS, r))).toEqual([-3, -1.5, 1.5, 3, 4.5]);
    expect(rating(DEFAULT_SIGNALS, null)).toBe(1.5); // unknown rating: mildly positive, as before
    expect(negativeRatingCeiling(DEFAULT_SIGNALS)).toBeCloseTo(2, 6);
    expect(isNegativeRating(DEFAULT_SIGNALS, 2)).toBe(true);
    expect(isNegativeRating(DEFAULT_SIGNALS, 2.5)).toBe(false);
  });

  it('put the negative threshold at the same share of any scale and weigh the whole scale alike', () => {
    const tenPoint = resolveSignals({}, { min: 1, max: 10, step: 1 });
    // The bottom third of 1–10 is up to 4.
    expect([1, 2, 3, 4].every((r) => isNegativeRating(tenPoint, r))).toBe(true);
    expect([5, 6, 10].some((r) => isNegativeRating(tenPoint, r))).toBe(false);
    expect(rating(tenPoint, 4)).toBe(-DEFAULT_SIGNALS.ratingNegativeWeight);
    // The top of every scale weighs the same, and so does the same position on it.
    expect(rating(tenPoint, 10)).toBeCloseTo(rating(DEFAULT_SIGNALS, 5), 12);
    expect(rating(tenPoint, 7)).toBeCloseTo(rating(DEFAULT_SIGNALS, 3.5), 12);
    expect(rating(tenPoint, 1)).toBeCloseTo(rating(DEFAULT_SIGNALS, 0.5), 12);
    // Monotone along the scale, negative exactly up to the threshold.
    const weights = Array.from({ length: 10 }, (_, i) => rating(tenPoint, i + 1));
    expect(weights.every((w, i) => i === 0 || w > weights[i - 1])).toBe(true);
    expect(weights.map((w) => w < 0)).toEqual([true, true, true, true, false, false, false, false, false, false]);
  });

  it('follow a tuned fraction: 0 leaves only the lowest rating negative', () => {
    const onlyLowest = resolveSignals({ ratingNegativeFraction: 0 });
    expect(halves.filter((r) => isNegativeRating(onlyLowest, r))).toEqual([0.5]);
    const half = resolveSignals({ ratingNegativeFraction: 0.5 }, { min: 1, max: 5, step: 1 });
    expect([1, 2, 3, 4, 5].filter((r) => isNegativeRating(half, r))).toEqual([1, 2, 3]);
  });

  it('keep a model stored before scales weighing every rating as it did', () => {
    for (const [T, s] of [
      [2, 1.5],
      [3, 1],
      [0, 2],
      [10, 0.5],
    ] as const) {
      const upgraded = upgradeLegacySignals({ weights: DEFAULT_SIGNALS.weights, ratingNegativeMax: T, ratingScale: s, halfLifeDays: null });
      expect(upgraded.ratings).toEqual(LEGACY_RATING_SCALE);
      for (const r of halves) expect(rating(upgraded, r), `T=${T} s=${s} r=${r}`).toBeCloseTo(before(r, T, s), 12);
      expect(rating(upgraded, null)).toBe(s);
    }
  });

  it('build the same matrix for whole-star data as the rule before scales', () => {
    const events = [1, 2, 3, 4, 5, 2.5].map((value, i) => ({ user: 0, item: i, type: 'RATING' as const, value, occurredAt: i }));
    const m = buildInteractionMatrix(events, 1, 6, DEFAULT_SIGNALS);
    expect(Array.from(m.values)).toEqual([1, 2, 3, 4, 5, 2.5].map((r) => Math.fround(before(r))));
  });
});
