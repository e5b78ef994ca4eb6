import { tokenize, displayFeature, resolveTokenizeOptions, type TokenizeOptions, type ResolvedTokenizeOptions } from '../text/tokenizer.js';
import { TfidfVectorizer, type SparseVector } from '../text/vectorizer.js';
import { SparseNet, type SparseNetWeights } from './sparse-net.js';
import { encodeArtifact, decodeArtifact } from './artifact.js';
import { initTensorflowBackend, type BackendPreference } from '../shared/backend.js';
import { compareCodeUnits } from '../shared/order.js';
import { stratifiedSplit, type StratifiedSplit } from '../shared/split.js';
import { createRandom, shuffleInPlace } from '../shared/random.js';
import { classificationMetrics, type ClassificationMetrics } from '../shared/classification-metrics.js';
import { resolveTextClassifierHyperparameters, type ResolvedTextClassifierHyperparameters, type TextClassifierHyperparameters } from './hyperparameters.js';

export type { ClassificationMetrics } from '../shared/classification-metrics.js';
export type { TextClassifierHyperparameters, ResolvedTextClassifierHyperparameters } from './hyperparameters.js';

export interface LabelledText {
  text: string;
  label: string;
}

export interface EpochProgress {
  epoch: number;
  epochs: number;
  loss: number;
  validationLoss: number;
  validationAccuracy: number;
}

export interface TrainResult {
  /** Everything needed to serve: config, vocabulary, idf, weights. */
  artifact: Uint8Array;
  labels: string[];
  /** On the test split. */
  metrics: ClassificationMetrics;
  split: { train: number; validation: number; test: number };
  trainingSeconds: number;
  backend: string;
  epochsRun: number;
  /** Epoch (1-based) whose weights were kept. */
  bestEpoch: number;
  vocabularySize: number;
  hyperparameters: ResolvedTextClassifierHyperparameters;
}

export interface TrainOptions {
  onEpoch?: (p: EpochProgress) => void | Promise<void>;
  signal?: AbortSignal;
  /** Fixed split, used in its order; when validation is missing it is carved (stratified) from train. */
  split?: { train: LabelledText[]; validation?: LabelledText[]; test: LabelledText[] };
  /** Tokenizer settings stored in the artifact. */
  tokenizer?: TokenizeOptions;
  /** Backend to start TensorFlow.js with if it is not running yet (default 'auto'). */
  backend?: BackendPreference;
}

export interface Prediction {
  label: string;
  confidence: number;
  /** Every label, sorted by score, descending. */
  scores: { label: string; score: number }[];
  /** Tokens that pushed the decision toward the predicted label, strongest first (up to 5). */
  explanation: { token: string; weight: number }[];
}

export interface TextClassifier {
  readonly labels: string[];
  readonly backend: string;
  predict(texts: string[]): Prediction[];
  dispose(): void;
}

export class InsufficientTrainingDataError extends Error {
  readonly classes: { label: string; count: number }[];
  constructor(message: string, classes: { label: string; count: number }[]) {
    super(message);
    this.name = 'InsufficientTrainingDataError';
    this.classes = classes;
  }
}

interface ArtifactHeader {
  format: 'text-classifier';
  version: 1;
  labels: string[];
  features: string[];
  tokenizer: ResolvedTokenizeOptions;
  sublinearTf: boolean;
  hidden: number;
  hyperparameters: ResolvedTextClassifierHyperparameters;
  trainedAt: string;
  backend: string;
}

const EXPLANATION_SIZE = 5;

function abortError(): Error {
  const e = new Error('training aborted');
  e.name = 'AbortError';
  return e;
}

function checkClasses(examples: readonly LabelledText[], minPerClass: number): string[] {
  const counts = new Map<string, number>();
  for (const e of examples) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  const classes = [...counts.entries()].map(([label, count]) => ({ label, count })).sort((a, b) => (a.label < b.label ? -1 : 1));
  if (classes.length < 2) {
    throw new InsufficientTrainingDataError(
      `need at least 2 classes, got ${classes.length}${classes.length ? ` (${classes.map((c) => `"${c.label}"`).join(', ')})` : ''}`,
      classes,
    );
  }
  const small = classes.filter((c) => c.count < minPerClass);
  if (small.length > 0) {
    throw new InsufficientTrainingDataError(`need at least ${minPerClass} examples per class; too few for ${small.map((c) => `"${c.label}" (${c.count})`).join(', ')}`, small);
  }
  return classes.map((c) => c.label);
}

/** One-vs-rest naive-Bayes log-count ratios on binarised features, as a per-(feature, class) scale 1 + |r|. */
function nbScaleMatrix(rows: readonly SparseVector[], y: Int32Array, features: number, classes: number): Float32Array {
  const alpha = 1;
  const cnt = new Float64Array(features * classes);
  rows.forEach((r, i) => {
    for (const j of r.indices) cnt[j * classes + y[i]] += 1;
  });
  const total = new Float64Array(features);
  const inSum = new Float64Array(classes);
  const outSum = new Float64Array(classes);
  for (let j = 0; j < features; j++) for (let c = 0; c < classes; c++) total[j] += cnt[j * classes + c];
  for (let j = 0; j < features; j++) {
    for (let c = 0; c < classes; c++) {
      inSum[c] += alpha + cnt[j * classes + c];
      outSum[c] += alpha + total[j] - cnt[j * classes + c];
    }
  }
  const scale = new Float32Array(features * classes);
  for (let j = 0; j < features; j++) {
    for (let c = 0; c < classes; c++) {
      const p = (alpha + cnt[j * classes + c]) / inSum[c];
      const q = (alpha + total[j] - cnt[j * classes + c]) / outSum[c];
      // 1 + |r| rather than r: every feature can still learn, informative ones learn faster / are penalised less.
      scale[j * classes + c] = 1 + Math.abs(Math.log(p / q));
    }
  }
  return scale;
}

function evaluate(net: SparseNet, rows: readonly SparseVector[], y: Int32Array, classes: number): { loss: number; accuracy: number; predicted: Int32Array } {
  const predicted = new Int32Array(rows.length);
  if (rows.length === 0) return { loss: 0, accuracy: 0, predicted };
  const p = net.predictProba(rows);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < rows.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (p[i * classes + c] > p[i * classes + best]) best = c;
    predicted[i] = best;
    if (best === y[i]) correct++;
    loss -= Math.log(Math.max(p[i * classes + y[i]], 1e-7));
  }
  return { loss: loss / rows.length, accuracy: correct / rows.length, predicted };
}

export async function trainTextClassifier(examples: LabelledText[], hp?: TextClassifierHyperparameters, opts?: TrainOptions): Promise<TrainResult> {
  const h = resolveTextClassifierHyperparameters(hp);
  const started = performance.now();
  const { name: backend } = await initTensorflowBackend(opts?.backend);

  let train: LabelledText[];
  let validation: LabelledText[];
  let test: LabelledText[];
  if (opts?.split) {
    checkClasses(opts.split.train, h.minExamplesPerClass);
    test = opts.split.test;
    if (opts.split.validation) {
      train = opts.split.train;
      validation = opts.split.validation;
    } else {
      const s = stratifiedSplit(opts.split.train, (e) => e.label, { validation: h.validationFraction, test: 0 }, h.seed);
      train = s.train;
      validation = s.validation;
    }
  } else {
    checkClasses(examples, h.minExamplesPerClass);
    ({ train, validation, test } = textClassifierSplit(examples, h));
  }
  const labels = checkClasses(train, 1);
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const classes = labels.length;
  const tokOpts = resolveTokenizeOptions(opts?.tokenizer);

  const trainTokens = train.map((e) => tokenize(e.text, tokOpts));
  const vectorizer = TfidfVectorizer.fit(trainTokens, { maxFeatures: h.maxFeatures, minDf: h.minDf });
  const xTrain = trainTokens.map((t) => vectorizer.transform(t));
  // Labels unseen in training cannot be predicted; map them to -1 (always wrong) for evaluation.
  const yOf = (xs: LabelledText[]): Int32Array => Int32Array.from(xs, (e) => labelIndex.get(e.label) ?? -1);
  const yTrain = yOf(train);
  const xVal = validation.map((e) => vectorizer.transform(tokenize(e.text, tokOpts)));
  const yVal = yOf(validation);

  // NB ratios are per class, so they only apply to the linear model's class columns.
  const scale = h.nbScale && h.hidden === 0 ? nbScaleMatrix(xTrain, yTrain, vectorizer.size, classes) : undefined;
  const net = SparseNet.create({ inputSize: vectorizer.size, hidden: h.hidden, classes }, h.seed, scale);

  const random = createRandom(h.seed + 1);
  const order = Array.from({ length: xTrain.length }, (_, i) => i);
  let best: { loss: number; epoch: number; weights: SparseNetWeights } | undefined;
  let epochsRun = 0;
  let sinceBest = 0;
  try {
    for (let epoch = 1; epoch <= h.epochs; epoch++) {
      shuffleInPlace(order, random);
      let lossSum = 0;
      let batches = 0;
      for (let i = 0; i < order.length; i += h.batchSize) {
        if (opts?.signal?.aborted) throw abortError();
        const idx = order.slice(i, i + h.batchSize);
        lossSum += net.trainBatch(
          idx.map((k) => xTrain[k]),
          Int32Array.from(idx, (k) => yTrain[k]),
          { learningRate: h.learningRate, l2: h.l2, dropout: h.dropout, seed: h.seed },
        );
        batches++;
        // Yield now and then so a server stays responsive and abort signals are seen.
        if (batches % 50 === 0) await new Promise<void>((r) => setImmediate(r));
      }
      epochsRun = epoch;
      // Without a validation split, the training loss stands in for early stopping.
      const v = xVal.length > 0 ? evaluate(net, xVal, yVal, classes) : { loss: lossSum / batches, accuracy: Number.NaN };
      await opts?.onEpoch?.({ epoch, epochs: h.epochs, loss: lossSum / batches, validationLoss: v.loss, validationAccuracy: v.accuracy });
      if (!best || v.loss < best.loss - 1e-4) {
        best = { loss: v.loss, epoch, weights: net.weights() };
        sinceBest = 0;
      } else if (++sinceBest >= h.patience) {
        break;
      }
    }
    if (best) net.setWeights(best.weights);

    const xTest = test.map((e) => vectorizer.transform(tokenize(e.text, tokOpts)));
    const t = evaluate(net, xTest, yOf(test), classes);
    const testLabels = test.map((e) => e.label);
    const allLabels = [...labels, ...[...new Set(testLabels)].filter((l) => !labelIndex.has(l)).sort()];
    const metrics = classificationMetrics(
      testLabels,
      Array.from(t.predicted, (p) => labels[p]),
      allLabels,
    );

    const header: ArtifactHeader = {
      format: 'text-classifier',
      version: 1,
      labels,
      features: vectorizer.features,
      tokenizer: tokOpts,
      sublinearTf: vectorizer.sublinearTf,
      hidden: h.hidden,
      hyperparameters: h,
      trainedAt: new Date().toISOString(),
      backend,
    };
    const w = net.weights();
    // Fold the fixed NB scale into W1 so serving needs no extra buffer.
    const w1 = w.w1;
    if (w.scale.length) for (let i = 0; i < w1.length; i++) w1[i] *= w.scale[i];
    const artifact = encodeArtifact(header, { idf: vectorizer.idf, w1, b1: w.b1, w2: w.w2, b2: w.b2 });
    return {
      artifact,
      labels,
      metrics,
      split: { train: train.length, validation: validation.length, test: test.length },
      trainingSeconds: (performance.now() - started) / 1000,
      backend,
      epochsRun,
      bestEpoch: best?.epoch ?? epochsRun,
      vocabularySize: vectorizer.size,
      hyperparameters: h,
    };
  } finally {
    net.dispose();
  }
}

/**
 * The seeded, stratified train / validation / test split of `examples` that training makes when
 * it is given no split: callers that need the test split afterwards (to score another version on
 * it) make it with this function and hand it in, rather than re-deriving it.
 */
export function textClassifierSplit(
  examples: readonly LabelledText[],
  hyperparameters: Pick<ResolvedTextClassifierHyperparameters, 'validationFraction' | 'testFraction' | 'seed'>,
): StratifiedSplit<LabelledText> {
  const { validationFraction, testFraction, seed } = hyperparameters;
  return stratifiedSplit(inContentOrder(examples), (e) => e.label, { validation: validationFraction, test: testFraction }, seed);
}

/**
 * Examples ordered by text, then label (code units): a seeded split of them is then the same
 * whichever order they were stored or read in. Equal pairs are interchangeable.
 */
function inContentOrder(examples: readonly LabelledText[]): LabelledText[] {
  return [...examples].sort((a, b) => compareCodeUnits(a.text, b.text) || compareCodeUnits(a.label, b.label));
}

class LoadedTextClassifier implements TextClassifier {
  readonly labels: string[];
  readonly backend: string;
  private net: SparseNet | undefined;

  constructor(
    private readonly header: ArtifactHeader,
    private readonly vectorizer: TfidfVectorizer,
    net: SparseNet,
    backend: string,
  ) {
    this.labels = header.labels;
    this.net = net;
    this.backend = backend;
  }

  predict(texts: string[]): Prediction[] {
    const net = this.net;
    if (!net) throw new Error('classifier has been disposed');
    const tokenLists = texts.map((t) => tokenize(t, this.header.tokenizer));
    const rows = tokenLists.map((tokens) => this.vectorizer.transform(tokens));
    const k = this.labels.length;
    const probs = net.predictProba(rows);
    return rows.map((row, i) => {
      const scores = this.labels.map((label, c) => ({ label, score: probs[i * k + c] })).sort((a, b) => b.score - a.score);
      const top = scores[0];
      const explanation = this.explain(net, row, this.labels.indexOf(top.label), tokenLists[i]);
      return { label: top.label, confidence: top.score, scores, explanation };
    });
  }

  /**
   * Features whose contribution favours the predicted class over the average of the others;
   * same display text merged. Sub-word n-grams ("<gre") mean nothing to a reader, so their
   * weight is credited to the words of the text that contain them.
   */
  private explain(net: SparseNet, row: SparseVector, predicted: number, tokens: readonly string[]): { token: string; weight: number }[] {
    const k = this.labels.length;
    const contrib = net.contributions(row);
    const byToken = new Map<string, number>();
    const wordsOfGram = subwordOwners(tokens, resolveTokenizeOptions(this.header.tokenizer).subwordNgrams[1]);
    for (let f = 0; f < row.indices.length; f++) {
      let others = 0;
      for (let c = 0; c < k; c++) if (c !== predicted) others += contrib[f * k + c];
      const margin = contrib[f * k + predicted] - others / (k - 1);
      const feature = this.vectorizer.features[row.indices[f]];
      if (feature.startsWith('s:')) {
        const owners = wordsOfGram.get(feature.slice(2)) ?? [];
        for (const owner of owners) byToken.set(owner, (byToken.get(owner) ?? 0) + margin / owners.length);
        if (owners.length) continue;
      }
      const token = displayFeature(feature);
      byToken.set(token, (byToken.get(token) ?? 0) + margin);
    }
    return [...byToken.entries()]
      .filter(([, w]) => w > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, EXPLANATION_SIZE)
      .map(([token, weight]) => ({ token, weight }));
  }

  dispose(): void {
    this.net?.dispose();
    this.net = undefined;
  }
}

export async function loadTextClassifier(artifact: Uint8Array, options: { backend?: BackendPreference } = {}): Promise<TextClassifier> {
  const { name: backend } = await initTensorflowBackend(options.backend);
  const { header, buffers } = decodeArtifact<ArtifactHeader>(artifact);
  if (header.format !== 'text-classifier' || header.version !== 1) throw new Error(`unsupported artifact ${header.format} v${header.version}`);
  const vectorizer = new TfidfVectorizer({ features: header.features, idf: buffers.idf, sublinearTf: header.sublinearTf });
  const net = SparseNet.fromWeights({
    inputSize: header.features.length,
    hidden: header.hidden,
    classes: header.labels.length,
    w1: buffers.w1,
    b1: buffers.b1,
    w2: buffers.w2,
    b2: buffers.b2,
    scale: new Float32Array(0),
  });
  return new LoadedTextClassifier(header, vectorizer, net, backend);
}

/** Maps each sub-word n-gram of the text's Latin words to the words containing it. */
function subwordOwners(tokens: readonly string[], maxGram: number): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const token of tokens) {
    if (!token.startsWith('w:') || seen.has(token) || !/[a-z]/.test(token)) continue;
    seen.add(token);
    const word = token.slice(2);
    const bounded = Array.from(`<${word}>`);
    for (let i = 0; i < bounded.length; i++) {
      let gram = '';
      for (let n = 1; n <= maxGram && i + n <= bounded.length; n++) {
        gram += bounded[i + n - 1];
        const list = owners.get(gram);
        if (!list) owners.set(gram, [word]);
        else if (list.at(-1) !== word) list.push(word);
      }
    }
  }
  return owners;
}
