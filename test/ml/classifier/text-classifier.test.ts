import { describe, it, expect, beforeAll } from 'vitest';
import {
  trainTextClassifier,
  textClassifierSplit,
  loadTextClassifier,
  type LabelledText,
  InsufficientTrainingDataError,
  type TrainResult,
  type EpochProgress,
} from '../../../src/ml/classifier/index.js';
import { createRandom, shuffleInPlace } from '../../../src/ml/shared/random.js';
import { plantedCorpus, PLANTED } from './planted.js';

const corpus = plantedCorpus(80, 1);

describe('trainTextClassifier on a planted 3-class zh/en corpus', () => {
  let result: TrainResult;
  const progress: EpochProgress[] = [];

  beforeAll(async () => {
    result = await trainTextClassifier(corpus, { seed: 7 }, { onEpoch: (p) => void progress.push(p) });
  });

  it('learns the planted words (held-out accuracy ≥ 0.9)', () => {
    expect(result.labels).toEqual(['price', 'quality', 'shipping']);
    expect(result.split).toEqual({ train: 192, validation: 24, test: 24 });
    expect(result.metrics.total).toBe(24);
    expect(result.metrics.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.metrics.macroF1).toBeGreaterThanOrEqual(0.9);
    expect(['tensorflow', 'wasm', 'cpu']).toContain(result.backend);
    expect(result.epochsRun).toBeGreaterThanOrEqual(1);
    expect(progress).toHaveLength(result.epochsRun);
    expect(progress[0]).toMatchObject({ epoch: 1, epochs: result.hyperparameters.epochs });
    expect(Number.isFinite(progress[0].validationLoss)).toBe(true);
    expect(result.hyperparameters.seed).toBe(7);
    expect(result.hyperparameters.minExamplesPerClass).toBe(10);
  });

  it('round-trips the artifact with identical predictions', async () => {
    const a = await loadTextClassifier(result.artifact);
    const b = await loadTextClassifier(result.artifact.slice());
    const texts = corpus
      .slice(0, 40)
      .map((e) => e.text)
      .concat(['', '完全无关的句子', 'nothing related here']);
    const pa = a.predict(texts);
    const pb = b.predict(texts);
    expect(pb).toEqual(pa);
    for (const p of pa) {
      expect(p.scores).toHaveLength(3);
      expect(p.scores[0].label).toBe(p.label);
      expect(p.scores[0].score).toBe(p.confidence);
      expect(p.scores.reduce((s, x) => s + x.score, 0)).toBeCloseTo(1, 5);
      for (let i = 1; i < p.scores.length; i++) expect(p.scores[i - 1].score).toBeGreaterThanOrEqual(p.scores[i].score);
    }
    a.dispose();
    b.dispose();
    expect(() => a.predict(['x'])).toThrow(/disposed/);
  });

  it('explains a prediction with the planted words', async () => {
    const clf = await loadTextClassifier(result.artifact);
    const [zh, en] = clf.predict(['这次的快递真的非常一般', 'my friend said the courier was late again']);
    expect(zh.label).toBe('shipping');
    expect(zh.explanation.length).toBeGreaterThan(0);
    expect(zh.explanation.length).toBeLessThanOrEqual(5);
    expect(zh.explanation.map((e) => e.token).join(' ')).toMatch(/快递|快|递/);
    expect(en.label).toBe('shipping');
    expect(en.explanation[0].token).toMatch(/courier|cou|our|rier/);
    for (const p of [zh, en]) for (let i = 1; i < p.explanation.length; i++) expect(p.explanation[i - 1].weight).toBeGreaterThanOrEqual(p.explanation[i].weight);
    const top = clf.predict([`${PLANTED.price.zh[1]} ${PLANTED.price.en[0]}`])[0];
    expect(top.label).toBe('price');
    clf.dispose();
  });

  it('is deterministic for a seed', async () => {
    const again = await trainTextClassifier(corpus, { seed: 7 });
    expect(again.metrics).toEqual(result.metrics);
    const a = await loadTextClassifier(result.artifact);
    const b = await loadTextClassifier(again.artifact);
    const texts = corpus.slice(0, 20).map((e) => e.text);
    expect(b.predict(texts).map((p) => p.scores)).toEqual(a.predict(texts).map((p) => p.scores));
    a.dispose();
    b.dispose();
  });

  it('does not depend on the order of the examples: the same split, metrics and predictions', async () => {
    const shuffled = shuffleInPlace([...corpus], createRandom(3));
    const split = (examples: LabelledText[]) => textClassifierSplit(examples, result.hyperparameters);
    const texts = (examples: LabelledText[]) => examples.map((e) => `${e.label}|${e.text}`).sort();
    expect(texts(split(shuffled).test)).toEqual(texts(split(corpus).test));
    expect(texts(split(shuffled).validation)).toEqual(texts(split(corpus).validation));
    const again = await trainTextClassifier(shuffled, { seed: 7 });
    expect(again.metrics).toEqual(result.metrics);
    const a = await loadTextClassifier(result.artifact);
    const b = await loadTextClassifier(again.artifact);
    const probe = corpus.slice(0, 30).map((e) => e.text);
    expect(b.predict(probe)).toEqual(a.predict(probe));
    a.dispose();
    b.dispose();
  });
});

describe('trainTextClassifier options', () => {
  it('uses a provided split and carves validation from its train part', async () => {
    const train = corpus.filter((_, i) => i % 5 !== 0);
    const test = corpus.filter((_, i) => i % 5 === 0);
    const r = await trainTextClassifier([], { hidden: 16, epochs: 4 }, { split: { train, test } });
    expect(r.split.test).toBe(test.length);
    expect(r.split.train + r.split.validation).toBe(train.length);
    expect(r.split.validation).toBeGreaterThan(0);
    expect(r.metrics.accuracy).toBeGreaterThanOrEqual(0.85);
    const clf = await loadTextClassifier(r.artifact);
    expect(clf.predict([test[0].text])[0].explanation.length).toBeGreaterThan(0);
    clf.dispose();
  });

  it('throws InsufficientTrainingDataError naming the small classes', async () => {
    const data = [
      ...Array.from({ length: 12 }, (_, i) => ({ text: `good ${i}`, label: 'pos' })),
      ...Array.from({ length: 3 }, (_, i) => ({ text: `bad ${i}`, label: 'neg' })),
      { text: 'meh', label: 'neutral' },
    ];
    const err = await trainTextClassifier(data).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientTrainingDataError);
    const e = err as InsufficientTrainingDataError;
    expect(e.message).toContain('neg');
    expect(e.message).toContain('neutral');
    expect(e.message).not.toContain('"pos"');
    expect(e.classes).toEqual([
      { label: 'neg', count: 3 },
      { label: 'neutral', count: 1 },
    ]);
  });

  it('throws InsufficientTrainingDataError for a single class', async () => {
    const data = Array.from({ length: 20 }, (_, i) => ({ text: `only ${i}`, label: 'only' }));
    await expect(trainTextClassifier(data)).rejects.toThrow(/at least 2 classes.*only/);
    await expect(trainTextClassifier([])).rejects.toBeInstanceOf(InsufficientTrainingDataError);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(trainTextClassifier(corpus, {}, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects a corrupted artifact', async () => {
    await expect(loadTextClassifier(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).rejects.toThrow(/artifact/);
  });
});
