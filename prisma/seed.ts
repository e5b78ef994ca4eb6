// Seeds a database through the services: `npm run db:seed -- [demo|large] [--users N --products N
// --interactions N --feedback N --campaigns N]`. Idempotent; needs DATABASE_URL (or the
// embedded default). The large size (100k users, 1M interactions) is what the benchmarks use.
import { parseArgs } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../src/config.ts';
import { ensureMigrated } from '../src/db/migrate.ts';
import { connectDatabase } from '../src/db/prisma.ts';
import { seedDataset } from '../src/seed/demo.ts';
import { DEMO_SIZE, LARGE_SIZE, type SeedSize } from '../src/seed/generator.ts';
import { createServices } from '../src/app/services.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    users: { type: 'string' },
    products: { type: 'string' },
    interactions: { type: 'string' },
    feedback: { type: 'string' },
    campaigns: { type: 'string' },
    seed: { type: 'string' },
  },
});
const base: SeedSize = positionals[0] === 'large' ? LARGE_SIZE : DEMO_SIZE;
const size: SeedSize = {
  users: Number(values.users ?? base.users),
  products: Number(values.products ?? base.products),
  interactions: Number(values.interactions ?? base.interactions),
  feedback: Number(values.feedback ?? base.feedback),
  campaigns: Number(values.campaigns ?? base.campaigns),
};

const config = loadConfig();
if (!config.DATABASE_URL) {
  console.error('DATABASE_URL is required for db:seed (npm start seeds the embedded database by itself).');
  process.exit(2);
}
const database = connectDatabase(config.DATABASE_URL, { poolSize: 4 });
await ensureMigrated(database.pool, config.DATABASE_URL);
const bar = new SingleBar({ format: ' {stage} [{bar}] {value}/{total} rows | {rate} rows/s', hideCursor: true }, Presets.shades_classic);
let stage = '';
let stageStart = Date.now();
bar.start(1, 0, { stage: '', rate: 0 });
const report = await seedDataset(createServices(database.prisma, config), size, {
  seed: values.seed ? Number(values.seed) : undefined,
  onProgress: (name, done, total) => {
    if (name !== stage) {
      stage = name;
      stageStart = Date.now();
      bar.setTotal(total);
    }
    bar.update(done, { stage: name.padEnd(16), rate: Math.round(done / Math.max(0.001, (Date.now() - stageStart) / 1000)) });
  },
});
bar.stop();
console.log(report);
await database.close();
