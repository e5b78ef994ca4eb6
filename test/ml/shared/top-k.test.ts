import { describe, expect, it } from 'vitest';
import { TopKBuffer, TopKHeap } from '../../../src/ml/shared/top-k.ts';
import { createRandom } from '../../../src/ml/shared/random.ts';
import { topK } from '../../../src/ml/recommender/metrics.ts';

const kept = (top: TopKBuffer) => ({ ids: Array.from(top.ids.subarray(0, top.size)), values: Array.from(top.values.subarray(0, top.size)) });

describe('TopKBuffer (the one top-K selection)', () => {
  it('keeps the k largest values, descending, ties by the lower id whatever the offer order', () => {
    const top = new TopKBuffer(3);
    for (const [value, id] of [
      [0.5, 9],
      [2, 4],
      [0.5, 1],
      [1, 7],
      [0.5, 3],
    ])
      top.offer(value, id);
    expect(kept(top)).toEqual({ ids: [4, 7, 1], values: [2, 1, 0.5] });
  });

  it('refuses a value equal to the last kept one once full, and anything below it', () => {
    const top = new TopKBuffer(2);
    top.offer(3, 5);
    top.offer(1, 6);
    expect(top.admits(1)).toBe(false);
    top.offer(1, 0);
    top.offer(0.5, 1);
    expect(kept(top)).toEqual({ ids: [5, 6], values: [3, 1] });
    expect(top.admits(1.5)).toBe(true);
  });

  it('reset empties it for reuse; capacity 0 keeps nothing', () => {
    const top = new TopKBuffer(2);
    top.offer(1, 1);
    top.reset();
    top.offer(-1, 2);
    expect(kept(top)).toEqual({ ids: [2], values: [-1] });
    const none = new TopKBuffer(0);
    none.offer(5, 1);
    expect(none.size).toBe(0);
    expect(topK([3, 1, 2], 0).items).toHaveLength(0);
  });

  it('topK over scores: skips non-finite and skipped entries, ties by index', () => {
    const r = topK([1, Number.NaN, 5, 5, -Infinity, 2, 5], 3, (i) => i === 3);
    expect(Array.from(r.items)).toEqual([2, 6, 5]);
    expect(Array.from(r.scores)).toEqual([5, 5, 2]);
  });
});

describe('TopKHeap (large k)', () => {
  it('keeps exactly what TopKBuffer keeps, ties included, offered in increasing id order', () => {
    const random = createRandom(7);
    for (const [n, k] of [
      [5000, 1200],
      [3000, 3000],
      [4000, 1],
      [100, 500],
    ] as const) {
      // Coarse values: many ties.
      const values = Array.from({ length: n }, () => Math.round(random() * 50) / 10);
      const buffer = new TopKBuffer(k);
      const heap = new TopKHeap(k);
      values.forEach((value, id) => {
        buffer.offer(value, id);
        heap.offer(value, id);
      });
      const sorted = heap.sorted();
      expect(Array.from(sorted.ids)).toEqual(Array.from(buffer.ids.subarray(0, buffer.size)));
      expect(Array.from(sorted.values)).toEqual(Array.from(buffer.values.subarray(0, buffer.size)));
    }
  });
});
