import { generateSyntheticBehaviour } from '../src/ml/synthetic/behaviour.js';
import { syntheticToTrainingData } from '../src/ml/synthetic/training-data.js';
import { trainRecommender } from '../src/ml/recommender/train.js';
const d = syntheticToTrainingData(generateSyntheticBehaviour({ users: 10_000, products: 10_000, interactions: 100_000, seed: 3 }));
let last = process.cpuUsage(); let key = 'start';
const acc = new Map<string, number>();
await trainRecommender(d, {}, { onProgress: (p) => { const c = process.cpuUsage(last); acc.set(key, (acc.get(key) ?? 0) + (c.user + c.system) / 1e6); last = process.cpuUsage(); key = `${p.stage}:${p.message ?? ''}`.replace(/λ=.*/, 'cand'); } });
const c = process.cpuUsage(last); acc.set(key, (acc.get(key) ?? 0) + (c.user + c.system) / 1e6);
console.log([...acc].map(([k, v]) => `${k} ${v.toFixed(2)}`).join('\n'));
