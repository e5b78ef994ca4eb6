import { describe, expect, it } from 'vitest';
import { relevantItems, temporalSplit } from '../../../src/ml/recommender/evaluation.js';
import { DEFAULT_SIGNALS, signalWeight, buildInteractionMatrix } from '../../../src/ml/recommender/signals.js';
import type { InteractionInput } from '../../../src/ml/recommender/types.js';

const ev = (user: number, item: number, t: number, type: InteractionInput['type'] = 'VIEW', value?: number): InteractionInput => ({
  user,
  item,
  type,
  value,
  occurredAt: new Date(t * 1000),
});

describe('temporal hold-out', () => {
  it('holds out the latest 20% of each user regardless of input order', () => {
    // User 0: 10 events (2 test), user 1: 5 events (1 test), user 2: 1 event (train only).
    const events: InteractionInput[] = [];
    for (let t = 9; t >= 0; t--) events.push(ev(0, t, t));
    for (let t = 0; t < 5; t++) events.push(ev(1, 100 + t, 50 - t));
    events.push(ev(2, 7, 3));
    const { train, test } = temporalSplit(events, 0.2);
    expect(
      test
        .filter((e) => e.user === 0)
        .map((e) => e.item)
        .sort(),
    ).toEqual([8, 9]);
    expect(test.filter((e) => e.user === 1).map((e) => e.item)).toEqual([100]); // latest time = 50
    expect(test.some((e) => e.user === 2)).toBe(false);
    expect(train.length + test.length).toBe(events.length);
  });

  it('relevant items exclude items already in training; POSITIVE drops disliked ones', () => {
    const split = {
      train: [ev(0, 1, 1), ev(0, 2, 2)],
      test: [ev(0, 2, 3, 'PURCHASE'), ev(0, 3, 4), ev(0, 4, 5, 'RATING', 1)],
    };
    expect([...(relevantItems(split, DEFAULT_SIGNALS, 'ANY').get(0) ?? [])].sort()).toEqual([3, 4]);
    expect([...(relevantItems(split, DEFAULT_SIGNALS, 'POSITIVE').get(0) ?? [])]).toEqual([3]);
  });
});

describe('signals', () => {
  it('weights follow the funnel and low ratings are negative', () => {
    const w = (t: InteractionInput['type'], v?: number) => signalWeight(DEFAULT_SIGNALS, t, v);
    expect(w('VIEW')).toBeLessThan(w('CLICK'));
    expect(w('CLICK')).toBeLessThan(w('ADD_TO_CART'));
    expect(w('ADD_TO_CART')).toBeLessThan(w('PURCHASE'));
    expect(w('RATING', 1)).toBeLessThan(0);
    expect(w('RATING', 2)).toBeLessThan(0);
    expect(w('RATING', 3)).toBeGreaterThan(0);
    expect(w('RATING', 5)).toBeGreaterThan(w('RATING', 4));
  });

  it('aggregates per (user, item) with optional half-life decay', () => {
    const day = 86_400;
    const events = [ev(0, 1, 0, 'VIEW'), ev(0, 1, 10 * day, 'PURCHASE'), ev(1, 0, 10 * day, 'CLICK')];
    const m = buildInteractionMatrix(events, 2, 2, DEFAULT_SIGNALS);
    expect(Array.from(m.indptr)).toEqual([0, 1, 2]);
    expect(m.values[0]).toBeCloseTo(9, 6); // 1 + 8
    const decayed = buildInteractionMatrix(events, 2, 2, { ...DEFAULT_SIGNALS, halfLifeDays: 10 });
    expect(decayed.values[0]).toBeCloseTo(0.5 + 8, 6); // the view is one half-life old
  });
});
