import { createRandom, shuffleInPlace } from './random.js';

export interface StratifiedSplit<T> {
  train: T[];
  validation: T[];
  test: T[];
}

/**
 * Seeded stratified split: each class is shuffled and cut separately, so every
 * part keeps the class proportions. Per class, the test and validation counts
 * are rounded, and a class with at least 3 items gets at least one of each
 * (when the fraction is non-zero) so rare classes are still evaluated.
 */
export function stratifiedSplit<T>(items: readonly T[], labelOf: (item: T) => string, fractions: { validation: number; test: number }, seed: number): StratifiedSplit<T> {
  const { validation: vf, test: tf } = fractions;
  if (vf < 0 || tf < 0 || vf + tf >= 1) throw new RangeError('validation + test fractions must be in [0, 1)');
  const byClass = new Map<string, T[]>();
  for (const item of items) {
    const label = labelOf(item);
    let bucket = byClass.get(label);
    if (!bucket) byClass.set(label, (bucket = []));
    bucket.push(item);
  }
  const random = createRandom(seed);
  const out: StratifiedSplit<T> = { train: [], validation: [], test: [] };
  // Sorted labels make the result independent of input order of classes.
  for (const label of [...byClass.keys()].sort()) {
    const bucket = shuffleInPlace(byClass.get(label)!.slice(), random);
    const n = bucket.length;
    let nTest = Math.round(n * tf);
    let nVal = Math.round(n * vf);
    if (n >= 3) {
      if (tf > 0) nTest = Math.max(1, nTest);
      if (vf > 0) nVal = Math.max(1, nVal);
    }
    if (nTest + nVal >= n) {
      nTest = Math.min(nTest, Math.max(0, n - 1));
      nVal = Math.min(nVal, Math.max(0, n - 1 - nTest));
    }
    out.test.push(...bucket.slice(0, nTest));
    out.validation.push(...bucket.slice(nTest, nTest + nVal));
    out.train.push(...bucket.slice(nTest + nVal));
  }
  shuffleInPlace(out.train, random);
  shuffleInPlace(out.validation, random);
  shuffleInPlace(out.test, random);
  return out;
}
