import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, resolveTextClassifierHyperparameters, TextClassifierHyperparametersSchema, textClassifierSplit } from '../../../src/ml/classifier/index.ts';
import { compareCodeUnits } from '../../../src/ml/shared/order.ts';
import { stratifiedSplit } from '../../../src/ml/shared/split.ts';
import { plantedCorpus } from './planted.ts';

/** Every key with its lowest and highest accepted value, and one value just outside. */
const RANGES: Record<string, { low: unknown; high: unknown; outside: unknown }> = {
  epochs: { low: 1, high: 200, outside: 0 },
  learningRate: { low: 1e-9, high: 10, outside: 0 },
  batchSize: { low: 1, high: 4096, outside: 4097 },
  maxFeatures: { low: 100, high: 2_000_000, outside: 99 },
  hidden: { low: 0, high: 1024, outside: -1 },
  l2: { low: 0, high: 1, outside: 1.5 },
  dropout: { low: 0, high: 0.9, outside: 0.95 },
  patience: { low: 0, high: 200, outside: 2.5 },
  seed: { low: -5, high: 2 ** 31, outside: 1.5 },
  validationFraction: { low: 0.05, high: 0.4, outside: 0.5 },
  testFraction: { low: 0.05, high: 0.4, outside: 0.01 },
  minExamplesPerClass: { low: 2, high: 10_000, outside: 1 },
  minDf: { low: 1, high: 1000, outside: 0 },
  nbScale: { low: false, high: true, outside: 'yes' },
};

describe('TextClassifierHyperparametersSchema', () => {
  it('covers every key training reads, and nothing else', () => {
    expect(Object.keys(TextClassifierHyperparametersSchema.shape).sort()).toEqual(Object.keys(RANGES).sort());
  });

  it.each(Object.entries(RANGES))('%s: accepts its range, refuses outside it', (key, { low, high, outside }) => {
    expect(resolveTextClassifierHyperparameters({ [key]: low })[key as 'epochs']).toBe(low);
    expect(resolveTextClassifierHyperparameters({ [key]: high })[key as 'epochs']).toBe(high);
    const bad = TextClassifierHyperparametersSchema.safeParse({ [key]: outside });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].path).toEqual([key]);
  });

  it('applies every default once, in one place; undefined counts as absent; unknown keys are refused', () => {
    const resolved = resolveTextClassifierHyperparameters();
    expect(resolved).toEqual(DEFAULT_HYPERPARAMETERS);
    expect(resolved).toMatchObject({ epochs: 12, minDf: 2, nbScale: true, seed: 42, validationFraction: 0.1, testFraction: 0.1, minExamplesPerClass: 10 });
    expect(resolveTextClassifierHyperparameters({ epochs: undefined, minDf: 3 })).toEqual({ ...DEFAULT_HYPERPARAMETERS, minDf: 3 });
    // Resolving resolved values changes nothing (the trainer resolves, the core resolves again).
    expect(resolveTextClassifierHyperparameters(resolved)).toEqual(resolved);
    expect(TextClassifierHyperparametersSchema.safeParse({ epoch: 3 }).error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['epoch'] });
    expect(Object.isFrozen(DEFAULT_HYPERPARAMETERS)).toBe(true);
  });

  it('textClassifierSplit is the seeded stratified split of the resolved fractions', () => {
    const corpus = plantedCorpus(30, 2);
    const hp = resolveTextClassifierHyperparameters({ seed: 9, testFraction: 0.2 });
    // Of the examples in content order (text, then label), whichever order they come in.
    const inContentOrder = [...corpus].sort((a, b) => compareCodeUnits(a.text, b.text) || compareCodeUnits(a.label, b.label));
    expect(textClassifierSplit(corpus, hp)).toEqual(stratifiedSplit(inContentOrder, (e) => e.label, { validation: 0.1, test: 0.2 }, 9));
    expect(textClassifierSplit([...corpus].reverse(), hp)).toEqual(textClassifierSplit(corpus, hp));
  });
});
