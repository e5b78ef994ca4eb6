// Imports a CSV or JSONL file through the same services as the GraphQL bulk mutations:
//
//   npm run import -- <users|products|interactions|feedback|campaign-metrics> <file.csv|file.jsonl>
//     [--map column=field ...] [--dry-run] [--batch N] [--errors report.csv] [--task sentiment]
//
// Streams the file (csv-parse / line by line), writes batches of N rows (default 1000), each one
// transaction in its service, awaiting each before reading on. Needs DATABASE_URL.
// Exit codes: 0 all rows written, 1 some rows refused (see the error report), 2 nothing done
// (usage, unreadable file, invalid UTF-8, missing required columns). Details: src/io/import.ts
// and docs/analytics.md.
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { loadConfig } from '../src/config.ts';
import { ensureMigrated } from '../src/db/migrate.ts';
import { connectDatabase } from '../src/db/prisma.ts';
import { IMPORT_ENTITIES, ImportFileError, runImport, type ImportEntity, type ImportSummary } from '../src/io/import.ts';
import { createServices } from '../src/app/services.ts';

const USAGE = `Usage: npm run import -- <${IMPORT_ENTITIES.join('|')}> <file.csv|file.jsonl> [--map column=field ...] [--dry-run] [--batch N] [--errors path] [--task name]`;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      map: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
      batch: { type: 'string' },
      errors: { type: 'string' },
      task: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [entity, file] = positionals;
if (!entity || !file || positionals.length > 2) fail(USAGE);
if (!IMPORT_ENTITIES.includes(entity as ImportEntity)) fail(`Unknown entity "${entity}". ${USAGE}`);
const map: Record<string, string> = {};
for (const pair of values.map ?? []) {
  const at = pair.indexOf('=');
  if (at <= 0) fail(`--map expects column=field, got "${pair}".`);
  map[pair.slice(0, at)] = pair.slice(at + 1);
}
const batch = values.batch === undefined ? undefined : Number(values.batch);

const config = loadConfig();
if (!config.DATABASE_URL) fail('DATABASE_URL is required: the PostgreSQL database to import into.');
const database = connectDatabase(config.DATABASE_URL, { poolSize: 4 });
const bar = new SingleBar(
  { format: ` ${entity} [{bar}] {percentage}% | {value}/{total} lines | {rate} rows/s`, hideCursor: true, stream: process.stderr },
  Presets.shades_classic,
);
const started = Date.now();
let summary: ImportSummary;
try {
  await ensureMigrated(database.pool, config.DATABASE_URL);
  let barStarted = false;
  summary = await runImport(createServices(database.prisma, config), database.prisma, {
    entity: entity as ImportEntity,
    file,
    map,
    dryRun: values['dry-run'],
    batchSize: batch,
    errorsPath: values.errors,
    task: values.task,
    onProgress: (rows, total) => {
      if (!barStarted) {
        bar.start(total, 0, { rate: 0 });
        barStarted = true;
      }
      bar.update(Math.min(rows, total), { rate: Math.round(rows / Math.max(0.001, (Date.now() - started) / 1000)) });
    },
  });
  bar.stop();
} catch (error) {
  bar.stop();
  await database.close();
  if (error instanceof ImportFileError) fail(`Import refused: ${error.message}`);
  throw error;
}
await database.close();

const s = summary;
console.log(`\n${s.dryRun ? 'Dry run (nothing written)' : 'Imported'} ${s.file} as ${s.entity} (${s.format}) in ${s.seconds.toFixed(1)} s, ${s.rowsPerSecond} rows/s`);
console.log(`  columns: ${Object.entries(s.columns).map(([column, field]) => (column === field ? column : `${column}→${field}`)).join(', ')}`);
if (s.ignoredColumns.length) console.log(`  ignored columns: ${s.ignoredColumns.join(', ')}`);
console.log(`  rows: ${s.rows}`);
if (s.dryRun) console.log(`  valid (would be sent): ${s.valid}`);
else console.log(`  created: ${s.created}  updated: ${s.updated}  unchanged: ${s.unchanged}`);
console.log(`  failed: ${s.failed}${s.failed ? `  (per-row errors: ${s.errorsPath})` : ''}`);
if (s.featureReport) {
  console.log(`\nProduct feature data quality (${s.featureReport.products} products; the recommender's handling of missing values):`);
  console.table(
    s.featureReport.features.map((f) => ({
      feature: f.name,
      kind: f.kind,
      present: f.present,
      missing: f.missing,
      'missing %': Math.round(f.missingRate * 1000) / 10,
      fill: f.median ?? f.mostFrequent ?? '',
      imputation: f.imputation,
    })),
  );
}
process.exit(s.failed > 0 ? 1 : 0);
