// Writes CSV for CRM upload:
//
//   npm run export -- <predictions|recommendations|audience> [--task sentiment] [--campaign <externalId>]
//     [--limit N] [--users N] [--out file.csv] [--api-key KEY]
//
// predictions: the model predictions of a task (default sentiment), one row per feedback item.
// audience: the campaign's users ranked by predicted affinity (needs --campaign and an active recommender).
// recommendations: the active recommender's top --limit (default 10) products per consenting user.
// Audiences and recommendations hold only consenting, non-erased users. email and name columns are
// written only with an ADMIN key (--api-key or the EXPORT_API_KEY variable), validated like the server
// does; otherwise only externalIds. Needs DATABASE_URL. Exit codes: 0 done, 2 refused (nothing exported).
import fs from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { ensureMigrated } from '../src/db/migrate.ts';
import { connectDatabase } from '../src/db/prisma.ts';
import { EXPORT_KINDS, ExportError, openOutput, runExport, type ExportKind } from '../src/io/export.ts';
import { createServices } from '../src/app/services.ts';

const USAGE = `Usage: npm run export -- <${EXPORT_KINDS.join('|')}> [--task sentiment] [--campaign <externalId>] [--limit N] [--users N] [--out file.csv] [--api-key KEY]`;
function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      task: { type: 'string' },
      campaign: { type: 'string' },
      limit: { type: 'string' },
      users: { type: 'string' },
      out: { type: 'string' },
      'api-key': { type: 'string' },
    },
  });
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
const { values, positionals } = parsed;
const kind = positionals[0] as ExportKind | undefined;
if (!kind || positionals.length > 1 || !EXPORT_KINDS.includes(kind)) fail(USAGE);

const config = loadConfig();
if (!config.DATABASE_URL) fail('DATABASE_URL is required: the PostgreSQL database to export from.');
const database = connectDatabase(config.DATABASE_URL, { poolSize: 4 });
const outPath = values.out && values.out !== '-' ? `${values.out}.partial` : undefined;
const out = openOutput(outPath);
try {
  await ensureMigrated(database.pool, config.DATABASE_URL);
  const summary = await runExport(createServices(database.prisma, config), database.prisma, {
    kind,
    task: values.task,
    campaign: values.campaign,
    limit: values.limit === undefined ? undefined : Number(values.limit),
    users: values.users === undefined ? undefined : Number(values.users),
    apiKey: values['api-key'] ?? process.env.EXPORT_API_KEY ?? null,
  }, out);
  if (outPath) {
    out.end();
    await once(out, 'close');
    fs.renameSync(outPath, values.out!); // the file appears only when complete
  }
  console.error(`Exported ${summary.rows} ${kind} rows${values.out && values.out !== '-' ? ` to ${values.out}` : ''}; personal fields ${summary.personalFields ? 'included (ADMIN key)' : 'left out (no ADMIN key)'}.`);
} catch (error) {
  if (outPath) {
    out.destroy();
    fs.rmSync(outPath, { force: true });
  }
  await database.close();
  if (error instanceof ExportError) fail(`Export refused: ${error.message}`);
  throw error;
}
await database.close();
