import { describe, expect, it } from 'vitest';
import { createRandom, createRng, gaussian, rngFrom, shuffleInPlace, WeightedSampler } from '../../../src/ml/shared/random.ts';

// Sequences pinned from the generators stored models and fixtures were made with: a change
// here changes every trained model, synthetic data set and seeded split.
describe('seeded random numbers', () => {
  it('createRng (sfc32) keeps its sequence for floats, integers and normals', () => {
    const r = createRng(42);
    expect([r.next(), r.next(), r.next()]).toEqual([0.23955312534235418, 0.5859209857881069, 0.09323416277766228]);
    expect([r.int(100), r.int(100)]).toEqual([19, 44]);
    expect([r.normal(), r.normal(), r.normal()]).toEqual([0.3480293068470902, -0.48798574341516876, -0.3740179457327379]);
  });

  it('createRandom (mulberry32) keeps its sequence, and gaussian draws one pair per sample', () => {
    const m = createRandom(3);
    expect([m(), m(), m()]).toEqual([0.8914504204876721, 0.006544230971485376, 0.21408124826848507]);
    expect([gaussian(m), gaussian(m)]).toEqual([-1.4979226319924508, 0.8431129913197605]);
  });

  it('shuffles the same way with either generator as the source', () => {
    expect(shuffleInPlace([1, 2, 3, 4, 5, 6, 7, 8], createRng(7))).toEqual([1, 7, 4, 8, 5, 6, 3, 2]);
    expect(shuffleInPlace([1, 2, 3, 4, 5, 6, 7, 8], createRandom(7))).toEqual([7, 4, 6, 2, 1, 5, 3, 8]);
    // An Rng over a uniform source draws exactly what the source gives.
    expect(shuffleInPlace(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), rngFrom(createRandom(7)))).toEqual(Int32Array.from([7, 4, 6, 2, 1, 5, 3, 8]));
  });

  it('weighted sampling never picks a zero weight and keeps its sequence', () => {
    const sampler = new WeightedSampler([1, 0, 3, 6]);
    const rng = createRng(9);
    expect(Array.from({ length: 12 }, () => sampler.sample(rng))).toEqual([3, 3, 0, 3, 3, 3, 0, 3, 3, 2, 2, 0]);
    expect(sampler.size).toBe(4);
  });
});
