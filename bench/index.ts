// `npm run bench`: every benchmark in turn, each in its own process so one's memory and JIT
// state does not colour the next. Pass names to run a subset: `npm run bench -- ingest classifier`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const benches = ['ingest', 'classifier', 'recommender', 'similar', 'analytics', 'serving', 'fuzz'].filter((name) => fs.existsSync(path.join(import.meta.dirname, `${name}.ts`)));
const selected = process.argv.slice(2).length ? process.argv.slice(2) : benches;
const summary: { bench: string; seconds: number; status: string }[] = [];
for (const name of selected) {
  if (!benches.includes(name)) {
    console.error(`unknown benchmark "${name}"; choose from: ${benches.join(', ')}`);
    process.exit(2);
  }
  console.log(`\n===== bench:${name} =====`);
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, `${name}.ts`)], { stdio: 'inherit' });
  summary.push({ bench: name, seconds: Math.round((Date.now() - started) / 100) / 10, status: run.status === 0 ? 'ok' : `exit ${run.status}` });
}
console.log('\n===== summary =====');
console.table(summary);
if (summary.some((row) => row.status !== 'ok')) process.exit(1);
