import { describe, it, expect } from 'vitest';
import { classificationMetrics } from '../../../src/ml/shared/classification-metrics.js';

describe('classificationMetrics', () => {
  it('matches a hand-computed 3-class example', () => {
    // truth:     a a a b b c
    // predicted: a a b b a c
    const m = classificationMetrics(['a', 'a', 'a', 'b', 'b', 'c'], ['a', 'a', 'b', 'b', 'a', 'c']);
    expect(m.labels).toEqual(['a', 'b', 'c']);
    expect(m.confusion).toEqual([
      [2, 1, 0],
      [1, 1, 0],
      [0, 0, 1],
    ]);
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    const [a, b, c] = m.perClass;
    // a: tp 2, predicted 3, support 3
    expect(a).toMatchObject({ label: 'a', support: 3 });
    expect(a.precision).toBeCloseTo(2 / 3, 12);
    expect(a.recall).toBeCloseTo(2 / 3, 12);
    expect(a.f1).toBeCloseTo(2 / 3, 12);
    // b: tp 1, predicted 2, support 2
    expect(b.precision).toBeCloseTo(0.5, 12);
    expect(b.recall).toBeCloseTo(0.5, 12);
    expect(b.f1).toBeCloseTo(0.5, 12);
    expect(c).toMatchObject({ precision: 1, recall: 1, f1: 1, support: 1 });
    expect(m.macroF1).toBeCloseTo((2 / 3 + 0.5 + 1) / 3, 12);
    expect(m.weightedF1).toBeCloseTo((3 * (2 / 3) + 2 * 0.5 + 1) / 6, 12);
  });

  it('reports 0 (not NaN) for a class that is never predicted', () => {
    const m = classificationMetrics(['x', 'x', 'y', 'y'], ['x', 'x', 'x', 'x'], ['x', 'y']);
    const y = m.perClass.find((c) => c.label === 'y')!;
    expect(y).toEqual({ label: 'y', precision: 0, recall: 0, f1: 0, support: 2 });
    const x = m.perClass.find((c) => c.label === 'x')!;
    expect(x.precision).toBeCloseTo(0.5, 12);
    expect(x.recall).toBe(1);
    expect(x.f1).toBeCloseTo(2 / 3, 12);
    expect(m.macroF1).toBeCloseTo(1 / 3, 12);
    expect(Number.isNaN(m.macroF1)).toBe(false);
  });

  it('handles a label that is only in the explicit list, and empty input', () => {
    const m = classificationMetrics(['a'], ['a'], ['a', 'z']);
    expect(m.perClass[1]).toEqual({ label: 'z', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(m.confusion).toEqual([
      [1, 0],
      [0, 0],
    ]);
    const e = classificationMetrics([], []);
    expect(e.accuracy).toBe(0);
    expect(e.macroF1).toBe(0);
  });

  it('rejects mismatched lengths and unknown labels', () => {
    expect(() => classificationMetrics(['a'], [])).toThrow(RangeError);
    expect(() => classificationMetrics(['a'], ['q'], ['a'])).toThrow(/q/);
  });
});
