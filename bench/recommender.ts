/**
 * Recommender benchmark: quality (temporal 20% hold-out), training time, serving
 * latency and model memory on synthetic data shapes with planted structure.
 *
 *   npx tsx bench/recommender.ts              # all shapes
 *   npx tsx bench/recommender.ts --shape=ml   # one shape (funnel | ml | wide)
 *
 * CPU seconds are reported next to wall seconds: on a shared machine wall time
 * is inflated by other processes, CPU time is not.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSyntheticBehaviour, MOVIELENS_LIKE, type SyntheticBehaviourOptions } from '../src/ml/synthetic/behaviour.js';
import { syntheticToTrainingData } from '../src/ml/synthetic/training-data.js';
import { RecommenderModel, trainRecommender, type RankingMetrics } from '../src/ml/recommender/index.js';
import { createRng } from '../src/ml/shared/random.js';
import { latency } from './support.ts';

interface Shape {
  name: string;
  description: string;
  opts: SyntheticBehaviourOptions;
}

const SHAPES: Shape[] = [
  {
    name: 'funnel',
    description: 'e-commerce funnel, 10k users × 10k products × 100k events, 8 taste clusters',
    opts: { users: 10_000, products: 10_000, interactions: 100_000, seed: 3 },
  },
  { name: 'ml', description: 'MovieLens-like ratings, 610 users × 9k items × 100k ratings, 12 clusters', opts: MOVIELENS_LIKE },
  {
    name: 'wide',
    description: 'sparse funnel, 30k users × 10k products × 150k events, 16 clusters, 30% missing',
    opts: { users: 30_000, products: 10_000, interactions: 150_000, clusters: 16, categories: 12, missingRate: 0.3, seed: 9 },
  },
];

const fmt = (x: number, d = 4): string => x.toFixed(d);
const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;

async function runShape(shape: Shape): Promise<string[]> {
  const lines: string[] = [];
  const tGen = performance.now();
  const synthetic = generateSyntheticBehaviour(shape.opts);
  const data = syntheticToTrainingData(synthetic);
  const genSeconds = (performance.now() - tGen) / 1000;

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let lastLoss: number | undefined;
  // Wall seconds per progress stage (time until the next report is charged to the current stage).
  const stageSeconds: Record<string, number> = {};
  let stageAt = performance.now();
  let stage = 'prepare';
  const result = await trainRecommender(
    data,
    {},
    {
      onProgress: (p) => {
        if (p.loss !== undefined) lastLoss = p.loss;
        const now = performance.now();
        stageSeconds[stage] = (stageSeconds[stage] ?? 0) + (now - stageAt) / 1000;
        stageAt = now;
        stage = p.stage;
      },
    },
  );
  stageSeconds[stage] = (stageSeconds[stage] ?? 0) + (performance.now() - stageAt) / 1000;
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const m = result.metrics;
  if (m === null) throw new Error('metrics missing');

  // Serving: load the model from its artifact, as the service would.
  const bytes = result.model.serialize();
  const model = RecommenderModel.deserialize(bytes);
  const rssDelta = measureLoadRss(bytes);
  const rng = createRng(1);
  const users = Array.from({ length: 1000 }, () => rng.int(model.userCount));
  const items = Array.from({ length: 1000 }, () => rng.int(model.itemCount));
  const rec = latency((i) => model.recommendForUser(users[i % users.length], undefined, { limit: 20, strategy: 'HYBRID' }));
  const recCold = latency((i) => model.recommendForUser(null, [{ item: items[i % items.length], type: 'CLICK' }], { limit: 20, strategy: 'HYBRID' }), 300);
  const sim = latency((i) => model.similarItems(items[i % items.length], 20, 'COSINE'));
  const aud = latency((i) => model.scoreUsersForItems(items.slice(i % 900, (i % 900) + 5), 1000), 100);

  const row = (name: string, r: RankingMetrics): string => `| ${name} | ${fmt(r.ndcgAt10)} | ${fmt(r.recallAt20)} | ${fmt(r.mapAt10)} | ${fmt(r.coverageAt20, 3)} |`;
  lines.push(`### ${shape.name}: ${shape.description}`);
  lines.push('');
  lines.push(
    `generated in ${genSeconds.toFixed(2)} s; ${data.interactions.length} events; eval users ${m.model.users}; train/test events ${m.trainInteractions}/${m.testInteractions}`,
  );
  lines.push('');
  lines.push('| strategy | NDCG@10 | Recall@20 | MAP@10 | coverage@20 |');
  lines.push('|---|---|---|---|---|');
  lines.push(row('**HYBRID (default)**', m.model));
  lines.push(row('COLLABORATIVE (iALS)', m.collaborative));
  lines.push(row('EASE alone (blend component)', m.ease));
  lines.push(row('CONTENT', m.content));
  lines.push(row('item-kNN cosine (baseline)', m.itemKnn));
  lines.push(row('popularity (baseline)', m.popularity));
  lines.push('');
  lines.push(`| measure | value |`);
  lines.push('|---|---|');
  lines.push(`| default / popularity NDCG@10 | ${(m.model.ndcgAt10 / m.popularity.ndcgAt10).toFixed(2)}× |`);
  lines.push(`| default / item-kNN NDCG@10 | ${(m.model.ndcgAt10 / m.itemKnn.ndcgAt10).toFixed(2)}× |`);
  lines.push(`| EASE / popularity, EASE / item-kNN NDCG@10 | ${(m.ease.ndcgAt10 / m.popularity.ndcgAt10).toFixed(2)}×, ${(m.ease.ndcgAt10 / m.itemKnn.ndcgAt10).toFixed(2)}× |`);
  lines.push(`| training (tune + hold-out eval + final fit) | ${wall.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU, backend ${result.backend} |`);
  lines.push(`| chosen | ALS λ=${result.chosen.als.regularization}, k=${result.chosen.als.factors}; blend ${JSON.stringify(result.chosen.blend)} |`);
  const easeHeader = model.header.ease;
  const easeTuning = result.tuning?.easeCandidates ?? [];
  lines.push(
    `| EASE (final fit) | ${easeHeader === null ? 'not used' : `${easeHeader.items} items, λ=${easeHeader.lambda.toFixed(1)} (relative ${easeHeader.config.regularization}), ${easeHeader.config.neighbours} weights/item`} |`,
  );
  lines.push(
    `| EASE λ candidates (validation NDCG@10, solve s) | ${easeTuning.map((c) => `${c.regularization}: ${c.ndcgAt10.toFixed(4)} (${c.seconds.toFixed(1)} s)`).join('; ') || 'n/a'} |`,
  );
  lines.push(
    `| stage wall seconds | ${Object.entries(stageSeconds)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')} |`,
  );
  lines.push(`| final ALS loss | ${lastLoss === undefined ? 'n/a' : lastLoss.toFixed(1)} |`);
  lines.push(`| recommendForUser HYBRID p50 / p95 (1000 q) | ${rec.p50.toFixed(2)} / ${rec.p95.toFixed(2)} ms |`);
  lines.push(`| anonymous fold-in HYBRID p50 / p95 (300 q) | ${recCold.p50.toFixed(2)} / ${recCold.p95.toFixed(2)} ms |`);
  lines.push(`| similarItems COSINE p50 / p95 (1000 q) | ${sim.p50.toFixed(2)} / ${sim.p95.toFixed(2)} ms |`);
  lines.push(`| scoreUsersForItems top-1000 p50 / p95 (100 q) | ${aud.p50.toFixed(2)} / ${aud.p95.toFixed(2)} ms |`);
  lines.push(`| model arrays / artifact / heap+buffers delta of loading it (fresh process) | ${mb(model.arrayBytes)} / ${mb(bytes.length)} / ${mb(rssDelta)} |`);
  lines.push('');
  return lines;
}

/** Heap + ArrayBuffer growth of loading the artifact in a fresh process (in-process numbers are swamped by training garbage; RSS is too coarse). */
function measureLoadRss(bytes: Uint8Array): number {
  const dir = mkdtempSync(join(tmpdir(), 'recm-'));
  const file = join(dir, 'model.recm');
  writeFileSync(file, bytes);
  try {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), `--load=${file}`], { encoding: 'utf8' });
    return Number(out.trim().split('\n').pop());
  } catch {
    return Number.NaN;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function loadMode(file: string): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const used = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  gc?.();
  const before = used();
  let bytes: Uint8Array | null = new Uint8Array(readFileSync(file));
  const model = RecommenderModel.deserialize(bytes);
  bytes = null; // the artifact buffer is not kept by the model
  model.recommendForUser(0, undefined, { limit: 10, strategy: 'HYBRID' });
  gc?.();
  console.log(used() - before);
}

async function main(): Promise<void> {
  const load = process.argv.find((a) => a.startsWith('--load='))?.slice('--load='.length);
  if (load) return loadMode(load);
  const arg = process.argv.find((a) => a.startsWith('--shape='))?.slice('--shape='.length);
  const shapes = arg ? SHAPES.filter((s) => s.name === arg) : SHAPES;
  if (shapes.length === 0) throw new Error(`unknown shape ${arg}; use ${SHAPES.map((s) => s.name).join(' | ')}`);
  const out: string[] = [`## Recommender benchmark (${new Date().toISOString()}, node ${process.version})`, ''];
  for (const shape of shapes) {
    const lines = await runShape(shape);
    console.log(lines.join('\n'));
    out.push(...lines);
  }
  // Generator scale check: 1M events streamed.
  const t = performance.now();
  const big = generateSyntheticBehaviour({ users: 100_000, products: 10_000, interactions: 1_000_000, seed: 1 });
  console.log(`generator: 100k users × 10k products × ${big.interactions.length} events in ${((performance.now() - t) / 1000).toFixed(2)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
