/**
 * `marketing-ai`: the command-line client of the GraphQL API (`npm run import`, `npm run export`,
 * or the package's `marketing-ai` bin). It needs a URL and an API key, never the database.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { API_KEY_VARIABLE, ApiError, DEFAULT_URL, GraphQLClient, Interrupted, type WaitNotice } from './client.ts';
import { DEFAULT_AUDIENCE_SIZE, DEFAULT_EXPORT_CONCURRENCY, DEFAULT_RECOMMENDATIONS_PER_USER, EXPORT_KINDS, ExportUsageError, runExport, type ExportKind } from './export.ts';
import { DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY, ImportStopped, MAX_CONCURRENCY, runImport, type ImportSummary } from './import.ts';
import { IMPORT_ENTITIES, ImportFileError, type ImportEntity } from './rows.ts';

/** Exit codes (README "Import and export"). */
export const EXIT = {
  /** Done; every row accepted (export: the file is complete). */
  OK: 0,
  /** Done; some rows were refused and are listed in the error file. */
  ROWS_REFUSED: 1,
  /** Bad arguments, or the file was refused before anything was sent. Nothing written. */
  USAGE: 2,
  /** The server refused the run (key, role, limits) or could not be reached; an import's progress is saved (--resume). */
  API: 3,
  /** Interrupted (SIGINT/SIGTERM); an import's progress is saved (--resume). */
  INTERRUPTED: 130,
} as const;

const URL_VARIABLE = 'MARKETING_AI_URL';

const CONNECTION_HELP = `Connection:
  --url <url>         GraphQL endpoint (default $${URL_VARIABLE}, else ${DEFAULT_URL})
  --api-key <key>     API key (default $${API_KEY_VARIABLE}); import needs an ADMIN or INTEGRATION key
  -h, --help          this help`;

const EXIT_HELP = `Exit codes: 0 done; 1 done, some rows refused (see the error file); 2 bad arguments or
file, nothing sent; 3 refused by the server or unreachable (progress saved: --resume);
130 interrupted (progress saved: --resume).`;

export const MAIN_HELP = `marketing-ai: import and export files through the Marketing AI GraphQL API.

Usage:
  marketing-ai import <${IMPORT_ENTITIES.join('|')}> <file.csv|file.jsonl> [options]
  marketing-ai export <${EXPORT_KINDS.join('|')}> [options]
  marketing-ai <command> --help

${CONNECTION_HELP}

${EXIT_HELP}
`;

export const IMPORT_HELP = `Usage: marketing-ai import <${IMPORT_ENTITIES.join('|')}> <file.csv|file.jsonl> [options]

Streams the file into the API's bulk mutations (upsertUsers, upsertProducts, recordInteractions,
submitFeedback, recordCampaignMetrics) in batches. Columns are recognised by name and common
aliases (user_id, item_id, behavior, timestamp, rating, ...); a wide products or users file's
other columns become attributes, empty cells missing values.

Options:
  --map <column=field>   map a column to a field (repeatable); field "-" ignores the column,
                         attributes.<key> / labels.<task> are allowed where they apply
  --dry-run              read and check the file, send nothing (needs the server for its limits)
  --batch <n>            rows per request (default ${DEFAULT_BATCH_SIZE}, at most the server's maxBatchSize)
  --concurrency <n>      requests in flight (default ${DEFAULT_CONCURRENCY}, at most ${MAX_CONCURRENCY})
  --errors <path>        per-row error file (default <file>.errors.csv)
  --progress <path>      progress file (default <file>.progress.json; removed when the run completes)
  --resume               continue the run recorded in the progress file (same file and options)
  --task <name>          task of a plain "label" column of a feedback file (default sentiment)
  --quiet                no progress bar

${CONNECTION_HELP}

Examples:
  marketing-ai import interactions behaviour.csv        # user,product,behaviour,time
  marketing-ai import products features.csv             # wide feature file, empty cells = missing
  marketing-ai import users crm.csv --map "E-mail=email" --map "Notes=-"
  marketing-ai import interactions behaviour.csv --resume

${EXIT_HELP}
`;

export const EXPORT_HELP = `Usage: marketing-ai export <${EXPORT_KINDS.join('|')}> [options]

Writes CSV read through the API; personal fields are what the server shows the key's role
(ADMIN complete, ANALYST masked, INTEGRATION none).
  predictions      model predictions of a task, one row per feedback item (ADMIN, ANALYST)
  recommendations  the top products of every consenting customer (ADMIN, ANALYST)
  audience         a campaign's customers ranked by predicted affinity (needs --campaign)

Options:
  --out <file>        output file (default standard output); written as <file>.partial, renamed when complete
  --task <name>       predictions: the task (default sentiment)
  --campaign <id>     audience: the campaign's externalId
  --limit <n>         predictions: at most n rows; audience: its size (default ${DEFAULT_AUDIENCE_SIZE});
                      recommendations: per customer (default ${DEFAULT_RECOMMENDATIONS_PER_USER})
  --users <n>         recommendations: at most n customers (default all consenting)
  --concurrency <n>   recommendations: customers asked at once (default ${DEFAULT_EXPORT_CONCURRENCY})

${CONNECTION_HELP}

Examples:
  marketing-ai export audience --campaign spring-sale --limit 500 --out audience.csv
  marketing-ai export predictions --task sentiment --out predictions.csv

${EXIT_HELP}
`;

const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  quiet: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

class UsageError extends Error {
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, help: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, help);
  }
}

function integerOption(value: string | undefined, name: string, help: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < 1) throw new UsageError(`${name} must be a positive integer, got "${value}".`, help);
  return number;
}

interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

function connect(values: { url?: string; 'api-key'?: string }, io: Io, help: string, onWait: (notice: WaitNotice) => void): GraphQLClient {
  const url = values.url ?? io.env[URL_VARIABLE] ?? DEFAULT_URL;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url "${url}" is not a URL (e.g. ${DEFAULT_URL}).`, help);
  }
  const apiKey = values['api-key'] ?? io.env[API_KEY_VARIABLE];
  if (!apiKey)
    throw new UsageError(`An API key is needed: --api-key <key> or the ${API_KEY_VARIABLE} variable (create one with createApiKey, or use the key npm start printed).`, help);
  return new GraphQLClient({ url, apiKey, onWait, ...(io.signal ? { signal: io.signal } : {}) });
}

const say = (stream: NodeJS.WritableStream, text: string) => stream.write(`${text}\n`);

function describeApiError(error: ApiError): string {
  const hints: Record<string, string> = {
    UNAUTHENTICATED: 'check --api-key / MARKETING_AI_API_KEY',
    FORBIDDEN: "this key's role may not do this (import: ADMIN or INTEGRATION; predictions and recommendations exports: ADMIN or ANALYST)",
    NETWORK_ERROR: 'is the server running? (npm start serves http://localhost:4000/graphql)',
    RATE_LIMITED: 'the server asked for a longer wait than this client accepts; run again later',
  };
  const hint = hints[error.code];
  return `${error.message} (${error.code}${error.status ? `, HTTP ${error.status}` : ''})${hint ? `: ${hint}` : ''}`;
}

async function importCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      ...CONNECTION_OPTIONS,
      map: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
      errors: { type: 'string' },
      progress: { type: 'string' },
      resume: { type: 'boolean' },
      task: { type: 'string' },
    },
    IMPORT_HELP,
  );
  if (values.help) {
    io.stdout.write(IMPORT_HELP);
    return EXIT.OK;
  }
  const [entity, file, ...rest] = positionals;
  if (!entity || !file) throw new UsageError('import needs an entity and a file.', IMPORT_HELP);
  if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}".`, IMPORT_HELP);
  if (!IMPORT_ENTITIES.includes(entity as ImportEntity)) throw new UsageError(`Unknown entity "${entity}"; use one of ${IMPORT_ENTITIES.join(', ')}.`, IMPORT_HELP);
  const map: Record<string, string> = {};
  for (const pair of values.map ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--map expects column=field, got "${pair}".`, IMPORT_HELP);
    map[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const batch = integerOption(values.batch, '--batch', IMPORT_HELP);
  const concurrency = integerOption(values.concurrency, '--concurrency', IMPORT_HELP);

  const showBar = !values.quiet && io.stderr.isTTY === true;
  const bar = new SingleBar(
    { format: ` ${entity} [{bar}] {percentage}% | {value}/{total} lines | {rate} rows/s`, hideCursor: true, stream: io.stderr as NodeJS.WriteStream },
    Presets.shades_classic,
  );
  let barStarted = false;
  const started = Date.now();
  const client = connect(values, io, IMPORT_HELP, (notice) => {
    const what =
      notice.reason === 'RATE_LIMITED'
        ? `rate limited by the server (RATE_LIMITED); waiting ${notice.seconds} s as its Retry-After says`
        : `${notice.code}; retry ${notice.attempt} in ${notice.seconds} s`;
    if (barStarted) bar.stop();
    barStarted = false;
    say(io.stderr, `  ${what}`);
  });
  let summary: ImportSummary;
  try {
    summary = await runImport(client, {
      entity: entity as ImportEntity,
      file,
      map,
      dryRun: !!values['dry-run'],
      resume: !!values.resume,
      ...(values.task !== undefined ? { task: values.task } : {}),
      ...(batch !== undefined ? { batchSize: batch } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(values.errors !== undefined ? { errorsPath: values.errors } : {}),
      ...(values.progress !== undefined ? { progressPath: values.progress } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
      onProgress: (rows, total) => {
        if (!showBar) return;
        const rate = Math.round(rows / Math.max(0.001, (Date.now() - started) / 1000));
        if (!barStarted) {
          bar.start(total, 0, { rate });
          barStarted = true;
        }
        bar.update(Math.min(rows, total), { rate });
      },
    });
  } catch (error) {
    if (barStarted) bar.stop();
    if (error instanceof ImportFileError) {
      say(io.stderr, `Import refused: ${error.message}`);
      return EXIT.USAGE;
    }
    if (error instanceof ImportStopped) {
      const s = error.summary;
      const done = `${s.rows} rows done (created ${s.created}, updated ${s.updated}, unchanged ${s.unchanged}, failed ${s.failed})`;
      if (error.reason instanceof Interrupted) {
        say(io.stderr, `Interrupted: ${done}. Continue with the same command and --resume (progress: ${s.progressPath}).`);
        return EXIT.INTERRUPTED;
      }
      say(io.stderr, `Import stopped: ${describeApiError(error.reason)}.\n${done}; continue with the same command and --resume (progress: ${s.progressPath}).`);
      return EXIT.API;
    }
    if (error instanceof ApiError) {
      say(io.stderr, `Import refused by the server: ${describeApiError(error)}. Nothing was sent.`);
      return EXIT.API;
    }
    if (error instanceof Interrupted) return EXIT.INTERRUPTED;
    throw error;
  }
  if (barStarted) bar.stop();
  printImportSummary(io.stdout, summary);
  return summary.failed > 0 ? EXIT.ROWS_REFUSED : EXIT.OK;
}

function printImportSummary(out: NodeJS.WritableStream, s: ImportSummary): void {
  say(
    out,
    `${s.dryRun ? 'Dry run (nothing sent)' : 'Imported'} ${s.file} as ${s.entity} (${s.format}) in ${s.seconds.toFixed(1)} s, ${s.rowsPerSecond} rows/s, ${s.requests} requests of at most ${s.batchSize} rows`,
  );
  say(
    out,
    `  columns: ${Object.entries(s.columns)
      .map(([column, field]) => (column === field ? column : `${column}→${field}`))
      .join(', ')}`,
  );
  if (s.ignoredColumns.length) say(out, `  ignored columns: ${s.ignoredColumns.join(', ')}`);
  say(out, `  rows: ${s.rows}${s.resumedRows ? `  (resumed: ${s.resumedRows} rows done by the earlier run, not sent again)` : ''}`);
  if (s.dryRun) say(out, `  valid (would be sent): ${s.valid}`);
  else say(out, `  created: ${s.created}  updated: ${s.updated}  unchanged: ${s.unchanged}`);
  say(out, `  failed: ${s.failed}${s.failed ? `  (per-row errors: ${s.errorsPath})` : ''}`);
  if (typeof s.featureReport === 'string') say(out, `\nProduct feature data quality: not shown, ${s.featureReport}.`);
  else if (s.featureReport) {
    say(out, `\nProduct feature data quality (${s.featureReport.products} products; the recommender's handling of missing values):`);
    const rows = s.featureReport.features.map((f) => [
      f.name,
      f.kind,
      f.present,
      f.missing,
      `${Math.round(f.missingRate * 1000) / 10}%`,
      f.median ?? f.mostFrequent ?? '',
      f.imputation,
    ]);
    const header = ['feature', 'kind', 'present', 'missing', 'missing %', 'fill', 'imputation'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
    for (const line of [header, ...rows]) say(out, `  ${line.map((cell, i) => String(cell).padEnd(widths[i]!)).join('  ')}`.trimEnd());
  }
}

async function exportCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      ...CONNECTION_OPTIONS,
      out: { type: 'string' },
      task: { type: 'string' },
      campaign: { type: 'string' },
      limit: { type: 'string' },
      users: { type: 'string' },
      concurrency: { type: 'string' },
    },
    EXPORT_HELP,
  );
  if (values.help) {
    io.stdout.write(EXPORT_HELP);
    return EXIT.OK;
  }
  const [kind, ...rest] = positionals;
  if (!kind) throw new UsageError('export needs what to export.', EXPORT_HELP);
  if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}".`, EXPORT_HELP);
  if (!EXPORT_KINDS.includes(kind as ExportKind)) throw new UsageError(`Unknown export "${kind}"; use one of ${EXPORT_KINDS.join(', ')}.`, EXPORT_HELP);
  const limit = integerOption(values.limit, '--limit', EXPORT_HELP);
  const users = integerOption(values.users, '--users', EXPORT_HELP);
  const concurrency = integerOption(values.concurrency, '--concurrency', EXPORT_HELP);
  const client = connect(values, io, EXPORT_HELP, (notice) => {
    say(
      io.stderr,
      notice.reason === 'RATE_LIMITED'
        ? `  rate limited by the server; waiting ${notice.seconds} s as its Retry-After says`
        : `  ${notice.code}; retry ${notice.attempt} in ${notice.seconds} s`,
    );
  });
  const toFile = values.out !== undefined && values.out !== '-';
  const partial = toFile ? `${values.out}.partial` : null;
  const out = partial ? fs.createWriteStream(partial, { encoding: 'utf8' }) : io.stdout;
  try {
    const summary = await runExport(
      client,
      {
        kind: kind as ExportKind,
        ...(values.task !== undefined ? { task: values.task } : {}),
        ...(values.campaign !== undefined ? { campaign: values.campaign } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(users !== undefined ? { users } : {}),
        ...(concurrency !== undefined ? { concurrency } : {}),
      },
      out as NodeJS.WritableStream as import('node:stream').Writable,
    );
    if (partial) {
      (out as fs.WriteStream).end();
      await once(out, 'close');
      fs.renameSync(partial, values.out!); // the file appears only when complete
    }
    if (summary.fallbackUsers > 0)
      say(io.stderr, `Note: no recommender is active, so ${summary.fallbackUsers} customers got the POPULAR fallback (train one: trainModel(kind: RECOMMENDER)).`);
    say(
      io.stderr,
      `Exported ${summary.rows} ${kind} rows${toFile ? ` to ${values.out}` : ''} in ${summary.seconds.toFixed(1)} s (${summary.requests} requests); personal fields as the server shows them to this key.`,
    );
    return EXIT.OK;
  } catch (error) {
    if (partial) {
      (out as fs.WriteStream).destroy();
      fs.rmSync(partial, { force: true });
    }
    if (error instanceof ExportUsageError) throw new UsageError(error.message, EXPORT_HELP);
    if (error instanceof ApiError) {
      say(io.stderr, `Export refused by the server: ${describeApiError(error)}. Nothing was exported.`);
      return EXIT.API;
    }
    if (error instanceof Interrupted) return EXIT.INTERRUPTED;
    throw error;
  }
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (command === 'import') return await importCommand(args, io);
    if (command === 'export') return await exportCommand(args, io);
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      const topic = args[0];
      io.stdout.write(topic === 'import' ? IMPORT_HELP : topic === 'export' ? EXPORT_HELP : MAIN_HELP);
      return command === undefined ? EXIT.USAGE : EXIT.OK;
    }
    throw new UsageError(`Unknown command "${command}"; use import or export.`, MAIN_HELP);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // The message and the usage line; the whole help only on --help.
    const usage = error.help.split('\n').find((line) => line.startsWith('Usage')) ?? '';
    const command = error.help === IMPORT_HELP ? 'import ' : error.help === EXPORT_HELP ? 'export ' : '';
    say(io.stderr, `marketing-ai: ${error.message}\n${usage}\nMore: marketing-ai ${command}--help`);
    return EXIT.USAGE;
  }
}

/** The process entry (src/cli/bin.ts): signals, exit code. */
export async function runProcess(argv: string[]): Promise<void> {
  // The first SIGINT/SIGTERM stops sending and saves the progress; a second one ends at once.
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(EXIT.INTERRUPTED);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A reader that stopped early (`| head`) is not an error of the run.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.OK);
    throw error;
  });
  process.exitCode = await main(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
