import { describe, it, expect } from 'vitest';
import { stratifiedSplit } from '../../../src/ml/shared/split.js';
import { createRandom } from '../../../src/ml/shared/random.js';

const items = [...Array.from({ length: 80 }, (_, i) => ({ id: i, label: 'a' })), ...Array.from({ length: 20 }, (_, i) => ({ id: 80 + i, label: 'b' }))];

describe('stratifiedSplit', () => {
  it('keeps class proportions and partitions the input', () => {
    const s = stratifiedSplit(items, (x) => x.label, { validation: 0.1, test: 0.2 }, 42);
    expect(s.test.filter((x) => x.label === 'a')).toHaveLength(16);
    expect(s.test.filter((x) => x.label === 'b')).toHaveLength(4);
    expect(s.validation.filter((x) => x.label === 'a')).toHaveLength(8);
    expect(s.validation.filter((x) => x.label === 'b')).toHaveLength(2);
    const ids = [...s.train, ...s.validation, ...s.test].map((x) => x.id).sort((p, q) => p - q);
    expect(ids).toEqual(items.map((x) => x.id));
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = stratifiedSplit(items, (x) => x.label, { validation: 0, test: 0.2 }, 7);
    const b = stratifiedSplit(items, (x) => x.label, { validation: 0, test: 0.2 }, 7);
    const c = stratifiedSplit(items, (x) => x.label, { validation: 0, test: 0.2 }, 8);
    expect(a).toEqual(b);
    expect(a.test.map((x) => x.id)).not.toEqual(c.test.map((x) => x.id));
  });

  it('gives every part at least one example of a small class', () => {
    const few = [...items, { id: 999, label: 'c' }, { id: 1000, label: 'c' }, { id: 1001, label: 'c' }];
    const s = stratifiedSplit(few, (x) => x.label, { validation: 0.1, test: 0.1 }, 1);
    for (const part of [s.train, s.validation, s.test]) expect(part.some((x) => x.label === 'c')).toBe(true);
  });

  it('seeded random is reproducible and in [0, 1)', () => {
    const r1 = createRandom(3);
    const r2 = createRandom(3);
    const xs = Array.from({ length: 1000 }, () => r1());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => r2()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});
