/**
 * `marketing-ai import`: a file streamed into the bulk mutations of the API, in batches sent as
 * variables, `concurrency` of them at a time. Validation, idempotency by externalId, roles, rate
 * limits and audit are the server's; this side maps columns, parses cells and keeps the books:
 * counts, the per-row error file (in line order) and a progress file from which `--resume`
 * continues after an interruption (re-sending a batch is safe: the mutations are idempotent).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ApiError, Interrupted, type GraphQLClient } from './client.ts';
import { csvLine } from './csv.ts';
import { PRODUCT_FEATURE_REPORT, RECORD_CAMPAIGN_METRICS, RECORD_INTERACTIONS, SERVICE_INFO, SUBMIT_FEEDBACK, UPSERT_PRODUCTS, UPSERT_USERS } from './documents.ts';
import type { CampaignMetricInput, CliProductFeatureReportQuery, FeedbackInput, InteractionInput, ProductInput, UserInput } from './generated/graphql.ts';
import { fileFormat, ImportFileError, importTask, readFileRows, scanFile, type FileFormat, type ImportEntity } from './rows.ts';

/** Rows per request when `--batch` is not given (cut to the server's maxBatchSize). */
export const DEFAULT_BATCH_SIZE = 1000;
/** Requests in flight at once when `--concurrency` is not given. */
export const DEFAULT_CONCURRENCY = 2;
export const MAX_CONCURRENCY = 16;
/** A batch also ends after this many rows refused by the file alone, so memory stays bounded. */
const MAX_LOCAL_ERRORS_PER_BATCH = 10_000;
const PROGRESS_VERSION = 1;

export interface ImportRunOptions {
  entity: ImportEntity;
  file: string;
  map: Record<string, string>;
  task?: string;
  dryRun: boolean;
  batchSize?: number;
  concurrency?: number;
  /** Default `<file>.errors.csv`. */
  errorsPath?: string;
  /** Default `<file>.progress.json`. */
  progressPath?: string;
  /** Continue the run recorded in the progress file. */
  resume: boolean;
  /** Called as batches complete: rows done (in file order) and the file's line count. */
  onProgress?: (rowsDone: number, totalLines: number) => void;
  signal?: AbortSignal;
}

export interface ImportSummary {
  entity: ImportEntity;
  file: string;
  format: FileFormat;
  dryRun: boolean;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  /** Dry runs: rows that passed the file's checks and would be sent. */
  valid: number;
  /** Rows of batches a resumed run found done by the earlier run (counted above, not sent again). */
  resumedRows: number;
  batchSize: number;
  requests: number;
  seconds: number;
  rowsPerSecond: number;
  errorsPath: string;
  progressPath: string;
  columns: Record<string, string>;
  ignoredColumns: string[];
  /** products: the service's feature report after the import; a string says why there is none. */
  featureReport?: CliProductFeatureReportQuery['productFeatureReport'] | string;
}

/** The run was stopped (the server refused it, or it was interrupted); the progress file holds how far it got. */
export class ImportStopped extends Error {
  constructor(
    readonly reason: ApiError | Interrupted,
    readonly summary: ImportSummary,
  ) {
    super(reason.message);
  }
}

interface RowError {
  line: number;
  externalId: string | null;
  code: string;
  message: string;
}
interface BatchRow {
  line: number;
  input: Record<string, unknown>;
  externalId: string | null;
}
interface Batch {
  number: number;
  rows: BatchRow[];
  /** Rows of the file read into this batch, sent or refused here. */
  sourceRows: number;
  localErrors: RowError[];
}
interface Counts {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}
interface Outcome {
  created: number;
  updated: number;
  unchanged: number;
  errors: RowError[];
}

/** What the progress file records: the run it belongs to, and the batches done in file order. */
interface Progress {
  version: number;
  entity: ImportEntity;
  file: string;
  sha256: string;
  batchSize: number;
  map: Record<string, string>;
  task: string;
  errorsPath: string;
  batchesDone: number;
  errorsBytes: number;
  counts: Counts;
  updatedAt: string;
}

/** Request-level refusals that one row can cause, or the size of the request: sent again in halves. */
const SPLIT_CODES: ReadonlySet<string> = new Set(['BAD_USER_INPUT', 'PAYLOAD_TOO_LARGE', 'BATCH_TOO_LARGE', 'QUERY_TOO_COMPLEX', 'RESPONSE_TOO_LARGE']);

async function mutate(client: GraphQLClient, entity: ImportEntity, inputs: Record<string, unknown>[]) {
  // The inputs were built and parsed by field kind in rows.ts; the server validates them in full.
  switch (entity) {
    case 'users':
      return (await client.request(UPSERT_USERS, { input: inputs as unknown as UserInput[] })).result;
    case 'products':
      return (await client.request(UPSERT_PRODUCTS, { input: inputs as unknown as ProductInput[] })).result;
    case 'interactions':
      return (await client.request(RECORD_INTERACTIONS, { input: inputs as unknown as InteractionInput[] })).result;
    case 'feedback':
      return (await client.request(SUBMIT_FEEDBACK, { input: inputs as unknown as FeedbackInput[] })).result;
    case 'campaign-metrics':
      return (await client.request(RECORD_CAMPAIGN_METRICS, { input: inputs as unknown as CampaignMetricInput[] })).result;
  }
}

const positiveInteger = (value: number | undefined, name: string, max: number, fallback: number) => {
  if (value === undefined) return Math.min(fallback, max);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new ImportFileError(`${name} must be an integer from 1 to ${max}.`);
  return value;
};

function readProgress(progressPath: string): Progress {
  let progress: Progress;
  try {
    progress = JSON.parse(fs.readFileSync(progressPath, 'utf8')) as Progress;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ImportFileError(
      missing
        ? `--resume: there is no progress file ${progressPath} (a run that completed removes it; start the import without --resume).`
        : `--resume: ${progressPath} is not a progress file of this client.`,
    );
  }
  if (progress.version !== PROGRESS_VERSION)
    throw new ImportFileError(`--resume: ${progressPath} was written by another version of this client; start the import again without --resume (re-sending is safe).`);
  return progress;
}

function writeProgress(progressPath: string, progress: Progress): void {
  // Written whole and renamed, so a run killed at any moment leaves the last complete record.
  const temporary = `${progressPath}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(progress, null, 2)}\n`);
  fs.renameSync(temporary, progressPath);
}

/** Imports one file through the API. Throws ImportFileError (nothing sent) or ImportStopped. */
export async function runImport(client: GraphQLClient, options: ImportRunOptions): Promise<ImportSummary> {
  const started = Date.now();
  const format = fileFormat(options.file);
  if (!fs.existsSync(options.file) || !fs.statSync(options.file).isFile()) throw new ImportFileError(`${options.file}: no such file.`);
  const task = importTask(options.task);
  const concurrency = positiveInteger(options.concurrency, '--concurrency', MAX_CONCURRENCY, DEFAULT_CONCURRENCY);
  const scan = await scanFile(options.file);

  // The server's limits: batches are cut to its maxBatchSize, ratings checked on its scale.
  const { serviceInfo } = await client.request(SERVICE_INFO, {});
  if (options.batchSize !== undefined && options.batchSize > serviceInfo.maxBatchSize && Number.isInteger(options.batchSize)) {
    throw new ImportFileError(`--batch ${options.batchSize} is more than the server accepts in one request (serviceInfo.maxBatchSize = ${serviceInfo.maxBatchSize}).`);
  }
  const batchSize = positiveInteger(options.batchSize, '--batch', serviceInfo.maxBatchSize, DEFAULT_BATCH_SIZE);

  const errorsPath = options.errorsPath ?? `${options.file}.errors.csv`;
  const progressPath = options.progressPath ?? `${options.file}.progress.json`;
  const fingerprint = { entity: options.entity, file: path.resolve(options.file), sha256: scan.sha256, batchSize, map: options.map, task };
  let resumed: Progress | null = null;
  if (options.resume) {
    if (options.dryRun) throw new ImportFileError('--resume and --dry-run do not go together: a dry run sends nothing, so there is nothing to resume.');
    resumed = readProgress(progressPath);
    const differs = (['entity', 'sha256', 'batchSize', 'task'] as const).filter((key) => resumed![key] !== fingerprint[key]);
    if (JSON.stringify(resumed.map) !== JSON.stringify(options.map)) differs.push('map' as never);
    if (differs.length) {
      throw new ImportFileError(
        `--resume: the progress file ${progressPath} belongs to another run (${differs.map((key) => (key === 'sha256' ? 'the file content' : `--${key}`)).join(', ')} differ${differs.length === 1 ? 's' : ''}). Resume with the same file and options, or start again without --resume (re-sending is safe).`,
      );
    }
  }

  // The error file: header, or on resume the rows the earlier run wrote up to its last record.
  let errorsFd: number;
  let errorsBytes: number;
  if (resumed && fs.existsSync(errorsPath)) {
    errorsFd = fs.openSync(errorsPath, 'r+');
    fs.ftruncateSync(errorsFd, resumed.errorsBytes);
    errorsBytes = resumed.errorsBytes;
  } else {
    errorsFd = fs.openSync(errorsPath, 'w');
    errorsBytes = fs.writeSync(errorsFd, csvLine(['line', 'externalId', 'code', 'message']), 0);
  }

  const counts: Counts = resumed ? { ...resumed.counts } : { rows: 0, created: 0, updated: 0, unchanged: 0, failed: 0 };
  const resumedRows = resumed?.counts.rows ?? 0;
  const batchesAlreadyDone = resumed?.batchesDone ?? 0;
  let valid = 0;
  let requests = 1;
  const reader = readFileRows({ entity: options.entity, file: options.file, format, map: options.map, task, ratingScale: serviceInfo.ratingScale });

  const summary = (): ImportSummary => {
    const seconds = (Date.now() - started) / 1000;
    const { columns, ignored } = reader.columns();
    return {
      entity: options.entity,
      file: options.file,
      format,
      dryRun: options.dryRun,
      ...counts,
      valid,
      resumedRows,
      batchSize,
      requests,
      seconds,
      rowsPerSecond: Math.round((counts.rows - resumedRows) / Math.max(0.001, seconds)),
      errorsPath,
      progressPath,
      columns,
      ignoredColumns: ignored,
    };
  };

  /** Sends rows; a request refused as a whole is split until the row at fault is found. */
  const send = async (rows: BatchRow[]): Promise<Outcome> => {
    requests += 1;
    let result;
    try {
      result = await mutate(
        client,
        options.entity,
        rows.map((row) => row.input),
      );
    } catch (error) {
      if (!(error instanceof ApiError) || !SPLIT_CODES.has(error.code)) throw error;
      if (rows.length === 1) {
        const row = rows[0]!;
        return { created: 0, updated: 0, unchanged: 0, errors: [{ line: row.line, externalId: row.externalId, code: error.code, message: error.message }] };
      }
      const half = Math.ceil(rows.length / 2);
      const [a, b] = [await send(rows.slice(0, half)), await send(rows.slice(half))];
      return { created: a.created + b.created, updated: a.updated + b.updated, unchanged: a.unchanged + b.unchanged, errors: [...a.errors, ...b.errors] };
    }
    const outcome: Outcome = { created: result.created, updated: result.updated, unchanged: result.unchanged, errors: [] };
    const unnamed: BatchRow[] = [];
    for (const error of result.errors) {
      const row = rows[error.index];
      if (!row) continue;
      // A feature file without names: a new product is named by its externalId (stored names are kept).
      if (options.entity === 'products' && error.field === 'name' && row.input.name === undefined && typeof row.input.externalId === 'string') {
        unnamed.push({ ...row, input: { ...row.input, name: row.input.externalId } });
        continue;
      }
      outcome.errors.push({ line: row.line, externalId: error.externalId ?? row.externalId, code: error.code, message: error.message });
    }
    if (unnamed.length) {
      const named = await send(unnamed);
      outcome.created += named.created;
      outcome.updated += named.updated;
      outcome.unchanged += named.unchanged;
      outcome.errors.push(...named.errors);
    }
    return outcome;
  };

  // Batches complete in any order; their results are booked in file order.
  const completed = new Map<number, { batch: Batch; outcome: Outcome }>();
  let nextToBook = batchesAlreadyDone;
  const book = () => {
    for (let entry = completed.get(nextToBook); entry; entry = completed.get(nextToBook)) {
      completed.delete(nextToBook);
      const { batch, outcome } = entry;
      const errors = [...batch.localErrors, ...outcome.errors].sort((a, b) => a.line - b.line);
      // At the recorded length: a resumed run continues the file where the last record left it.
      for (const error of errors) errorsBytes += fs.writeSync(errorsFd, csvLine([error.line, error.externalId, error.code, error.message]), errorsBytes);
      counts.rows += batch.sourceRows;
      counts.created += outcome.created;
      counts.updated += outcome.updated;
      counts.unchanged += outcome.unchanged;
      counts.failed += errors.length;
      nextToBook += 1;
      if (!options.dryRun) {
        writeProgress(progressPath, { version: PROGRESS_VERSION, ...fingerprint, errorsPath, batchesDone: nextToBook, errorsBytes, counts, updatedAt: new Date().toISOString() });
      }
      options.onProgress?.(counts.rows, scan.lines);
    }
  };

  let stop: ApiError | Interrupted | null = null;
  const inFlight = new Set<Promise<void>>();
  const dispatch = async (batch: Batch) => {
    if (batch.number < batchesAlreadyDone) return; // booked by the earlier run
    const empty: Outcome = { created: 0, updated: 0, unchanged: 0, errors: [] };
    if (options.dryRun || batch.rows.length === 0) {
      valid += batch.rows.length;
      completed.set(batch.number, { batch, outcome: empty });
      book();
      return;
    }
    const task = (async () => {
      try {
        const outcome = await send(batch.rows);
        completed.set(batch.number, { batch, outcome });
        book();
      } catch (error) {
        if (error instanceof ApiError || error instanceof Interrupted) stop ??= error;
        else throw error;
      }
    })();
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
  };

  let batch: Batch = { number: 0, rows: [], sourceRows: 0, localErrors: [] };
  const close = async () => {
    const current = batch;
    batch = { number: current.number + 1, rows: [], sourceRows: 0, localErrors: [] };
    await dispatch(current);
  };
  try {
    for await (const row of reader.rows) {
      if (stop || options.signal?.aborted) break;
      batch.sourceRows += 1;
      if (row.input === null) batch.localErrors.push({ line: row.line, externalId: row.externalId, code: row.code, message: row.message });
      else batch.rows.push({ line: row.line, input: row.input, externalId: row.externalId });
      if (batch.rows.length >= batchSize || batch.localErrors.length >= MAX_LOCAL_ERRORS_PER_BATCH) await close();
    }
    if (!stop && !options.signal?.aborted && (batch.sourceRows > 0 || batch.number === 0)) await close();
    await Promise.all(inFlight);
  } catch (error) {
    await Promise.allSettled(inFlight);
    fs.closeSync(errorsFd);
    throw error;
  }
  fs.closeSync(errorsFd);
  if (!stop && options.signal?.aborted) stop = new Interrupted();
  if (stop) throw new ImportStopped(stop, summary());
  if (!options.dryRun) fs.rmSync(progressPath, { force: true });

  const done = summary();
  if (options.entity === 'products' && !options.dryRun) {
    try {
      done.featureReport = (await client.request(PRODUCT_FEATURE_REPORT, {})).productFeatureReport;
      requests += 1;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      done.featureReport = error.code === 'FORBIDDEN' ? 'the feature report needs an ADMIN or ANALYST key' : `the feature report was refused: ${error.message} (${error.code})`;
    }
  }
  done.requests = requests;
  return done;
}
