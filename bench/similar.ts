/**
 * Similar-products benchmark: the next-item protocol of issue 16 on the synthetic shapes.
 *
 *   npm run bench:similar                       # all shapes
 *   npm run bench:similar -- --shape=ml         # one shape and its calibrated twin (demo | funnel | ml | wide; ml+series alone)
 *   npm run bench:similar -- --calibrate=ml --locality=none,100:0.86:2   # baselines only, per candidate locality
 *   npm run bench:similar -- --shrinkage=25     # another similar.* hyperparameter (also --min-customers, --neighbours, --pearson-over=ALL_CUSTOMERS)
 *
 * Per customer (temporal split: the latest 20 % of each customer's events are test), the item
 * of their last training event is the anchor; the shelf is its 20 most similar items; the score
 * is Recall@20 of the items they engaged with next (not already in their training history),
 * normalised by min(20, |next|), averaged over customers. The model is trained on the training
 * part only (no tuning, fixed blend: the neighbour lists do not depend on it), and the
 * baselines come from the same rows in the same run: popularity (the 20 items most customers
 * engaged with positively) and item-kNN co-occurrence cosine (binary, the model's kNN lists);
 * "factors" is what similarProducts answered before, the metric on the learned ALS factors.
 * Category and planted-cluster agreement of the top 10 are over the distinct anchors.
 *
 * Every shape runs twice: as generated before (each pick independent of the previous one) and
 * with item-to-item locality ("+series", calibrated so that the baselines' ratio matches the
 * public ratings set's; see LOCALITY). The floors are judged on the "+series" shapes; the others
 * stay in the report so the ruler's change is visible.
 */
import { generateSyntheticBehaviour, MOVIELENS_LIKE, MOVIELENS_LIKE_LOCALITY, type SyntheticBehaviourOptions, type SyntheticLocality } from '../src/ml/synthetic/behaviour.js';
import { syntheticToTrainingData } from '../src/ml/synthetic/training-data.js';
import {
  BEHAVIOUR_METRICS,
  buildInteractionMatrix,
  buildItemKnn,
  DEFAULT_NEIGHBOURS,
  DEFAULT_SIGNALS,
  labelAgreement,
  nextItemCases,
  nextItemRecall,
  relevantItems,
  temporalSplit,
  topK,
  trainRecommender,
  type SimilarityMetric,
} from '../src/ml/recommender/index.js';
import { DEMO_SIZE, generateSeedDataset } from '../src/seed/generator.js';
import type { InteractionInput, ItemFeatureInput } from '../src/ml/recommender/index.js';
import { transpose } from '../src/ml/recommender/signals.js';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { latency, percentile } from './support.ts';

interface Shape {
  name: string;
  description: string;
  opts: SyntheticBehaviourOptions;
  /** With item-to-item locality calibrated to the public set's baselines: the floors are judged on these. */
  calibrated: boolean;
}

const BASE_SHAPES: Omit<Shape, 'calibrated'>[] = [
  {
    name: 'funnel',
    description: 'e-commerce funnel, 10k users × 10k products × 100k events, 8 taste clusters',
    opts: { users: 10_000, products: 10_000, interactions: 100_000, seed: 3 },
  },
  { name: 'ml', description: 'ratings (MovieLens-like, long histories), 610 users × 9k items × 100k ratings, 12 clusters', opts: MOVIELENS_LIKE },
  {
    name: 'wide',
    description: 'sparse funnel, 30k users × 10k products × 150k events, 16 clusters, 30% missing',
    opts: { users: 30_000, products: 10_000, interactions: 150_000, clusters: 16, categories: 12, missingRate: 0.3, seed: 9 },
  },
];

/**
 * Locality per shape. ml: calibrated to the public set's popularity (0.0612) and item-kNN ÷
 * popularity (1.34). funnel, wide: the same series (100 products, popularity² inside a series),
 * only `stay` set so that item-kNN ÷ popularity ≈ 1.34 (their popularity level is the shape's, not
 * the ratings set's); nothing tuned on the behaviour metrics.
 */
const LOCALITY: Record<string, SyntheticLocality> = {
  funnel: { seriesSize: 100, stay: 0.63, popularityExponent: 2 },
  ml: MOVIELENS_LIKE_LOCALITY,
  wide: { seriesSize: 100, stay: 0.52, popularityExponent: 2 },
};

const SHAPES: Shape[] = BASE_SHAPES.flatMap((s) => [
  { ...s, calibrated: false },
  {
    name: `${s.name}+series`,
    description: `${s.description}; item-to-item locality ${JSON.stringify(LOCALITY[s.name])}`,
    opts: { ...s.opts, locality: LOCALITY[s.name] },
    calibrated: true,
  },
]);

const K = 20;
const FLOOR_KNN = 1.1;
const FLOOR_POPULARITY = 1.2;

function arg(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

interface Row {
  name: string;
  recall: number;
  category: number;
  cluster: number;
  series: number;
}

async function runShape(shape: Shape, similar: Record<string, number | string>): Promise<{ lines: string[]; ok: boolean; summary: string }> {
  const synthetic = generateSyntheticBehaviour(shape.opts);
  const data = syntheticToTrainingData(synthetic);
  const split = temporalSplit(data.interactions, 0.2);
  const cases = nextItemCases(split, relevantItems(split, DEFAULT_SIGNALS));
  const anchors = [...new Set(cases.map((c) => c.anchor))];

  let similarSeconds = 0;
  let similarStart = 0;
  const t0 = performance.now();
  const { model } = await trainRecommender(
    { ...data, interactions: split.train },
    { evaluate: false, tuneAls: false, tuneEase: false, blend: { collaborative: 1, knn: 0.5, content: 0.2, popularity: 0.2 }, similar },
    {
      onProgress: (p) => {
        if (p.stage === 'similar' && similarStart === 0) similarStart = performance.now();
        else if (p.stage !== 'similar' && similarStart > 0 && similarSeconds === 0) similarSeconds = (performance.now() - similarStart) / 1000;
      },
    },
  );
  const trainSeconds = (performance.now() - t0) / 1000;
  const cat = (i: number) => synthetic.products[i].category;
  const clu = (i: number) => synthetic.products[i].cluster;

  const popular = topK(model.arrays.popularity, K + 1).items;
  const methods: { name: string; listOf: (a: number) => ArrayLike<number> }[] = [
    {
      name: 'popularity (baseline)',
      listOf: (a) =>
        Array.from(popular)
          .filter((j) => j !== a)
          .slice(0, K),
    },
    {
      name: 'item-kNN co-occurrence cosine (baseline)',
      listOf: (a) => {
        const k = model.header.knnK;
        const out: number[] = [];
        for (let t = 0; t < Math.min(k, K); t++) if (model.arrays.knnIndices[a * k + t] >= 0) out.push(model.arrays.knnIndices[a * k + t]);
        return out;
      },
    },
    ...BEHAVIOUR_METRICS.map((metric) => ({
      name: `factors ${metric} (before)`,
      listOf: (a: number) => (model.collaborative.itemNorms[a] > 0 ? topK(model.collaborative.itemSimilarities(a, metric), K, (j) => j === a).items : []),
    })),
    ...BEHAVIOUR_METRICS.map((metric) => ({ name: `**${metric}**`, listOf: (a: number) => model.similarItems(a, K, metric).map((s) => s.item) })),
  ];
  // Not a method (it reads the planted clusters): how far any list built from the anchor alone can go here.
  const byCluster = new Map<number, number[]>();
  for (const j of topK(model.arrays.popularity, model.itemCount).items) {
    const c = clu(j);
    if (!byCluster.has(c)) byCluster.set(c, []);
    byCluster.get(c)!.push(j);
  }
  methods.push({
    name: "oracle: most popular items of the anchor's planted cluster",
    listOf: (a) =>
      byCluster
        .get(clu(a))!
        .filter((j) => j !== a)
        .slice(0, K),
  });
  const ser = (i: number) => synthetic.products[i].series ?? -1;
  if (shape.opts.locality !== undefined) {
    // The anchor's planted series by popularity, then its cluster: what the generator's locality makes reachable.
    const bySeries = new Map<number, number[]>();
    for (const j of topK(model.arrays.popularity, model.itemCount).items) {
      if (!bySeries.has(ser(j))) bySeries.set(ser(j), []);
      bySeries.get(ser(j))!.push(j);
    }
    methods.push({
      name: "oracle: the anchor's planted series, then its cluster, by popularity",
      listOf: (a) => [...new Set([...bySeries.get(ser(a))!, ...byCluster.get(clu(a))!])].filter((j) => j !== a).slice(0, K),
    });
  }
  const rows: Row[] = methods.map((m) => ({
    name: m.name,
    recall: nextItemRecall(cases, m.listOf, K),
    category: labelAgreement(anchors, m.listOf, cat, 10),
    cluster: labelAgreement(anchors, m.listOf, clu, 10),
    series: labelAgreement(anchors, m.listOf, ser, 10),
  }));
  const pop = rows[0].recall;
  const knn = rows[1].recall;
  const behaviour = rows.slice(2 + BEHAVIOUR_METRICS.length, 2 + 2 * BEHAVIOUR_METRICS.length);
  const best = Math.max(...behaviour.map((r) => r.recall));
  const ok = best >= FLOOR_KNN * knn && behaviour.every((r) => r.recall >= FLOOR_POPULARITY * pop);

  const lists = model.similarLists!;
  const listBytes = lists.indptr.byteLength + lists.items.byteLength + lists.scores.byteLength + lists.shared.byteLength;
  let withList = 0;
  // Row i of the first metric (COSINE): every metric lists the same items (those with enough customers).
  for (let i = 0; i < model.itemCount; i++) if (lists.indptr[i + 1] > lists.indptr[i]) withList++;
  const shortAnchors = anchors.filter((a) => lists.indptr[a + 1] - lists.indptr[a] < K).length;
  const sample = anchors.slice(0, 1000);
  const lat = (metric: SimilarityMetric) => latency((i) => model.similarItems(sample[i % sample.length], 10, metric), 1000);

  const lines: string[] = [`### ${shape.name}: ${shape.description}`, ''];
  lines.push(
    `${cases.length} customers (next-item cases), ${anchors.length} distinct anchors; train events ${split.train.length}; similar ${JSON.stringify(model.header.similar?.config)}`,
  );
  lines.push('');
  const withSeries = shape.opts.locality !== undefined;
  lines.push(
    `| method | next-item Recall@20 | ÷ popularity | ÷ item-kNN | category agreement @10 | planted-cluster agreement @10 |${withSeries ? ' planted-series agreement @10 |' : ''}`,
  );
  lines.push(`|---|---|---|---|---|---|${withSeries ? '---|' : ''}`);
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${r.recall.toFixed(4)} | ${(r.recall / pop).toFixed(2)}× | ${(r.recall / knn).toFixed(2)}× | ${r.category.toFixed(3)} | ${r.cluster.toFixed(3)} |${withSeries ? ` ${r.series.toFixed(3)} |` : ''}`,
    );
  }
  lines.push('');
  const lowest = Math.min(...behaviour.map((r) => r.recall)) / pop;
  lines.push(
    `floors${shape.calibrated ? '' : ' (judged on the calibrated +series shape; shown for the record)'}: best metric ≥ ${FLOOR_KNN} × item-kNN (${(best / knn).toFixed(2)}×), every metric ≥ ${FLOOR_POPULARITY} × popularity (lowest ${lowest.toFixed(2)}×): **${ok ? 'met' : 'NOT met'}**`,
  );
  lines.push('');
  lines.push('| measure | value |');
  lines.push('|---|---|');
  lines.push(`| training on the training part (no tuning, no evaluation) | ${trainSeconds.toFixed(1)} s wall, of which the behaviour lists ${similarSeconds.toFixed(1)} s |`);
  lines.push(
    `| behaviour lists (3 metrics) | ${(listBytes / 1024 / 1024).toFixed(2)} MB for ${model.itemCount} items (${withList} items with a COSINE list, ${lists.items.length} entries); artifact ${(model.serialize().length / 1024 / 1024).toFixed(1)} MB |`,
  );
  lines.push(`| anchors with fewer than ${K} behaviour neighbours (factor filler / fallback) | ${shortAnchors} of ${anchors.length} |`);
  for (const metric of BEHAVIOUR_METRICS) {
    const l = lat(metric);
    lines.push(`| similarItems ${metric} limit 10 p50 / p95 (1000 q) | ${l.p50.toFixed(3)} / ${l.p95.toFixed(3)} ms |`);
  }
  lines.push('');
  const summary = `| ${shape.name} | ${pop.toFixed(4)} | ${knn.toFixed(4)} | ${(knn / pop).toFixed(2)}× | ${behaviour.map((r) => r.recall.toFixed(4)).join(' | ')} | ${(best / knn).toFixed(2)}× | ${lowest.toFixed(2)}× | ${shape.calibrated ? (ok ? 'met' : 'NOT met') : '(not judged)'} |`;
  return { lines, ok, summary };
}

/**
 * Calibration of the locality (`--calibrate=<shape> --locality=size:stay:exponent,...`): the two
 * same-run baselines only (popularity, item-kNN co-occurrence cosine from the training rows, as
 * the model builds them), without training a model, for each candidate locality ("none": without).
 */
function calibrate(base: Omit<Shape, 'calibrated'>, candidates: string[]): string[] {
  const lines = [
    `### calibration of the locality on ${base.name} (baselines only)`,
    '',
    '| locality (series size : stay : exponent) | popularity | item-kNN | item-kNN ÷ popularity |',
    '|---|---|---|---|',
  ];
  for (const c of candidates) {
    const [size, stay, exponent] = c.split(':').map(Number);
    const locality = c === 'none' ? undefined : { seriesSize: size, stay, popularityExponent: exponent ?? 1 };
    const synthetic = generateSyntheticBehaviour({ ...base.opts, locality });
    const data = syntheticToTrainingData(synthetic);
    const split = temporalSplit(data.interactions, 0.2);
    const cases = nextItemCases(split, relevantItems(split, DEFAULT_SIGNALS));
    const r = buildInteractionMatrix(split.train, data.userCount, data.itemCount, DEFAULT_SIGNALS);
    const knn = buildItemKnn(r, transpose(r), DEFAULT_NEIGHBOURS);
    const popularity = new Float32Array(data.itemCount);
    for (let p = 0; p < r.indices.length; p++) if (r.values[p] > 0) popularity[r.indices[p]]++;
    const popular = Array.from(topK(popularity, K + 1).items);
    const pop = nextItemRecall(cases, (a) => popular.filter((j) => j !== a).slice(0, K), K);
    const kn = nextItemRecall(
      cases,
      (a) => {
        const out: number[] = [];
        for (let t = 0; t < Math.min(K, knn.k); t++) if (knn.indices[a * knn.k + t] >= 0) out.push(knn.indices[a * knn.k + t]);
        return out;
      },
      K,
    );
    lines.push(`| ${c} | ${pop.toFixed(4)} | ${kn.toFixed(4)} | ${(kn / pop).toFixed(2)}× |`);
  }
  lines.push('');
  return lines;
}

/**
 * The demo data set of `npm start` (400 customers, 300 products, 8,000 events), trained with the
 * defaults but no tuning: how the top-5 scores spread and whether they stay in the product's category.
 */
async function demoScores(): Promise<string[]> {
  const seed = generateSeedDataset(DEMO_SIZE);
  const users = new Map(seed.users.map((u, i) => [u.externalId, i]));
  const products = new Map(seed.products.map((p, i) => [p.externalId, i]));
  const interactions: InteractionInput[] = [];
  for (const chunk of seed.interactionChunks(5000)) {
    for (const it of chunk)
      interactions.push({ user: users.get(it.userExternalId)!, item: products.get(it.productExternalId)!, type: it.type, value: it.value, occurredAt: it.occurredAt });
  }
  const { model } = await trainRecommender(
    {
      userCount: seed.users.length,
      itemCount: seed.products.length,
      interactions,
      items: seed.products.map((p) => ({ category: p.category, tags: p.tags, price: p.price, attributes: p.attributes as ItemFeatureInput['attributes'] })),
    },
    { evaluate: false, tuneAls: false, tuneEase: false, blend: { collaborative: 1, knn: 0.5, content: 0.2, popularity: 0.2 } },
  );
  const category = (i: number) => seed.products[i].category;
  const lines = ['### demo data (`npm start`): top-5 scores and category agreement over all 300 products', ''];
  lines.push('| method | top-5 score min / median / max | top-1 minus top-5 (median) | same category in top 5 |');
  lines.push('|---|---|---|---|');
  const row = (name: string, listOf: (i: number) => { item: number; score: number }[]) => {
    const all: number[] = [];
    const gaps: number[] = [];
    let same = 0;
    let total = 0;
    for (let i = 0; i < model.itemCount; i++) {
      const top = listOf(i).slice(0, 5);
      for (const s of top) {
        all.push(s.score);
        total++;
        if (category(s.item) === category(i)) same++;
      }
      if (top.length === 5) gaps.push(top[0].score - top[4].score);
    }
    all.sort((a, b) => a - b);
    gaps.sort((a, b) => a - b);
    lines.push(
      `| ${name} | ${all[0].toFixed(3)} / ${percentile(all, 50).toFixed(3)} / ${all[all.length - 1].toFixed(3)} | ${percentile(gaps, 50).toFixed(3)} | ${(same / total).toFixed(3)} |`,
    );
  };
  for (const metric of BEHAVIOUR_METRICS) {
    row(`factors ${metric} (before)`, (i) => {
      if (!(model.collaborative.itemNorms[i] > 0)) return [];
      const top = topK(model.collaborative.itemSimilarities(i, metric), 5, (j) => j === i);
      return Array.from(top.items, (item, r) => ({ item, score: top.scores[r] }));
    });
  }
  for (const metric of BEHAVIOUR_METRICS) row(`**${metric}**`, (i) => model.similarItems(i, 5, metric));
  lines.push('');
  return lines;
}

async function main(): Promise<void> {
  const name = arg('shape');
  // --shape=ml runs ml and ml+series; --shape=ml+series only the calibrated one.
  const shapes = name ? SHAPES.filter((s) => s.name === name || s.name === `${name}+series`) : SHAPES;
  if (shapes.length === 0 && name !== 'demo') throw new Error(`unknown shape ${name}; use demo | ${SHAPES.map((s) => s.name).join(' | ')}`);
  const similar: Record<string, number | string> = {};
  for (const [flag, key] of [
    ['shrinkage', 'shrinkage'],
    ['min-customers', 'minCustomers'],
    ['neighbours', 'neighbours'],
  ] as const) {
    const v = arg(flag);
    if (v !== undefined) similar[key] = Number(v);
  }
  const pearsonOver = arg('pearson-over');
  if (pearsonOver !== undefined) similar.pearsonOver = pearsonOver;
  const calibrateShape = arg('calibrate');
  if (calibrateShape !== undefined) {
    const base = BASE_SHAPES.find((s) => s.name === calibrateShape);
    if (!base) throw new Error(`unknown shape ${calibrateShape}; use ${BASE_SHAPES.map((s) => s.name).join(' | ')}`);
    console.log(calibrate(base, (arg('locality') ?? 'none').split(',')).join('\n'));
    return;
  }
  let uptime = loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
  try {
    uptime = execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    // keep the load averages
  }
  console.log(`## Similar products benchmark (${new Date().toISOString()}, node ${process.version}; ${uptime})\n`);
  if (name === undefined || name === 'demo') console.log((await demoScores()).join('\n'));
  if (name === 'demo') return;
  let allOk = true;
  const summaries: string[] = [];
  for (const shape of shapes) {
    const { lines, ok, summary } = await runShape(shape, similar);
    if (shape.calibrated) allOk &&= ok;
    summaries.push(summary);
    console.log(lines.join('\n'));
  }
  console.log('### summary (floors judged on the +series shapes)\n');
  console.log(`| shape | popularity | item-kNN | item-kNN ÷ popularity | ${BEHAVIOUR_METRICS.join(' | ')} | best ÷ item-kNN | lowest ÷ popularity | floors |`);
  console.log(`|---|---|---|---|${BEHAVIOUR_METRICS.map(() => '---|').join('')}---|---|---|`);
  console.log(summaries.join('\n') + '\n');
  if (!allOk) console.log('At least one floor is not met on a calibrated shape.');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
