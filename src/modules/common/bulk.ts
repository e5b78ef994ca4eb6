import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Db } from '../../db/prisma.ts';
import { retryableSqlState } from '../../db/row-locks.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { appError, batchTooLargeError, ErrorCode } from '../../graphql/errors.ts';
import { describeFirstIssue } from './zod-issues.ts';
import { DATE_RANGE_MESSAGE, inDateRange } from './days.ts';
import { ATTRIBUTE_LIMITS, findInvalidText, formatJsonPath, INVALID_TEXT_MESSAGE, jsonProblem } from './json-input.ts';

/** A row that was refused, with its position in the submitted batch. */
export interface RowError {
  index: number;
  externalId: string | null;
  code: string;
  message: string;
  field: string | null;
}

export interface BulkWriteResult {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  errors: RowError[];
}

/** The configured limits every module applies: MAX_BATCH_SIZE rows per bulk write, MAX_PAGE_SIZE per page, QUERY_MAX_COST per operation. */
export interface ServiceLimits {
  maxBatchSize: number;
  maxPageSize: number;
  maxQueryCost: number;
}

export interface IndexedRow<T> {
  index: number;
  value: T;
}

export function assertBatchSize(rows: readonly unknown[], max: number): void {
  if (rows.length > max) throw batchTooLargeError(rows.length, max);
}

/**
 * Validates every row; rows that fail are reported (not written) and the rest carry on.
 * The policy for the whole service: valid rows are written in one transaction, refused rows
 * are listed with their index, so a retry of the corrected rows is safe.
 */
export function validateRows<S extends z.ZodType>(
  rows: readonly unknown[],
  schema: S,
  externalIdOf: (row: unknown) => string | null = defaultExternalId,
): { valid: IndexedRow<z.output<S>>[]; errors: RowError[] } {
  const valid: IndexedRow<z.output<S>>[] = [];
  const errors: RowError[] = [];
  rows.forEach((row, index) => {
    const invalid = invalidTextError(row, index, externalIdOf);
    if (invalid) {
      errors.push(invalid);
      return;
    }
    const parsed = schema.safeParse(row);
    if (parsed.success) {
      valid.push({ index, value: parsed.data });
    } else {
      const { field, message } = describeFirstIssue(parsed.error);
      errors.push({ index, externalId: externalIdOf(row), code: ErrorCode.BAD_USER_INPUT, message, field });
    }
  });
  return { valid, errors };
}

/**
 * The text rule of every bulk row, before any other check: a string anywhere in the row (values
 * and object keys, at any depth) with a NUL character or an unpaired surrogate refuses the row,
 * naming the field, instead of failing the batch's statement in the database.
 */
export function invalidTextError(row: unknown, index: number, externalIdOf: (row: unknown) => string | null = defaultExternalId): RowError | null {
  const path = findInvalidText(row);
  if (!path) return null;
  const field = path.length ? formatJsonPath(path) : 'input';
  const externalId = externalIdOf(row);
  return {
    index,
    externalId: externalId !== null && findInvalidText(externalId) ? null : externalId,
    code: ErrorCode.BAD_USER_INPUT,
    message: `${field}: ${INVALID_TEXT_MESSAGE}`,
    field,
  };
}

/**
 * The start of every bulk write: the batch-size limit (MAX_BATCH_SIZE), each row validated, and
 * rows repeating an earlier row's `unique` field (e.g. externalId) refused. The rows to write
 * come back with the errors so far.
 */
export function checkBatch<S extends z.ZodType>(
  input: readonly unknown[],
  schema: S,
  options: { maxBatchSize: number; unique?: keyof z.output<S> & string; externalIdOf?: (row: unknown) => string | null },
): { rows: IndexedRow<z.output<S>>[]; errors: RowError[] } {
  assertBatchSize(input, options.maxBatchSize);
  const validated = validateRows(input, schema, options.externalIdOf);
  const key = options.unique;
  if (!key) return { rows: validated.valid, errors: validated.errors };
  const fieldText = (row: z.output<S>, field: string) => {
    const value = (row as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : null;
  };
  const unique = rejectDuplicateKeys(
    validated.valid,
    (row) => fieldText(row, key),
    key,
    (row) => fieldText(row, 'externalId'),
  );
  return { rows: unique.unique, errors: [...validated.errors, ...unique.errors] };
}

/** The result of a batch of which no row was written. */
export function nothingWritten(errors: RowError[]): BulkWriteResult {
  return bulkResult({ created: 0, updated: 0, unchanged: 0 }, errors);
}

/** The first row with a key wins; later rows with the same key in one batch are refused. */
export function rejectDuplicateKeys<T>(
  rows: IndexedRow<T>[],
  keyOf: (row: T) => string | null,
  field: string,
  externalIdOf: (row: T) => string | null,
): { unique: IndexedRow<T>[]; errors: RowError[] } {
  const seen = new Map<string, number>();
  const unique: IndexedRow<T>[] = [];
  const errors: RowError[] = [];
  for (const row of rows) {
    const key = keyOf(row.value);
    if (key === null) {
      unique.push(row);
      continue;
    }
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, row.index);
      unique.push(row);
    } else {
      errors.push({
        index: row.index,
        externalId: externalIdOf(row.value),
        code: ErrorCode.CONFLICT,
        message: `${field} "${key}" appears more than once in this batch (first at index ${first}).`,
        field,
      });
    }
  }
  return { unique, errors };
}

export function bulkResult(counts: { created: number; updated: number; unchanged: number }, errors: RowError[]): BulkWriteResult {
  const sorted = [...errors].sort((a, b) => a.index - b.index);
  return { ...counts, failed: sorted.length, errors: sorted };
}

function defaultExternalId(row: unknown): string | null {
  if (row && typeof row === 'object' && 'externalId' in row) {
    const value = (row as { externalId: unknown }).externalId;
    return typeof value === 'string' ? value : null;
  }
  return null;
}

/** Longest externalId any entity accepts. */
export const MAX_EXTERNAL_ID = 200;

/** How far in the future a client may stamp an event or feedback (clients' clock skew). */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
export const FUTURE_MESSAGE = 'must not be more than one day in the future';

/** Whether a timestamp is at most MAX_FUTURE_MS after `now`. */
export function notTooFarInFuture(date: Date, now = Date.now()): boolean {
  return date.getTime() <= now + MAX_FUTURE_MS;
}

/**
 * The problem of an event's timestamp (an interaction's occurredAt, feedback's createdAt), or
 * null: within the date range of days.ts and not more than a day in the future.
 */
export function eventTimeProblem(date: Date, now = Date.now()): string | null {
  if (Number.isNaN(date.getTime())) return 'must be an ISO-8601 timestamp';
  if (!inDateRange(date)) return DATE_RANGE_MESSAGE;
  return notTooFarInFuture(date, now) ? null : FUTURE_MESSAGE;
}

/** Shared field rules, so every module validates the same way. */
/** Refinement arguments refusing an explicit null for a column that cannot be cleared. */
export const notCleared = (what: string) => [(value: unknown) => value !== null, `cannot be cleared; ${what}`] as const;

export const fields = {
  /** The display name of a product or campaign: required for a new row, never cleared. */
  entityName: (entity: string) =>
    z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(500, 'must be at most 500 characters')
      .nullish()
      .refine(...notCleared(`a ${entity} always has a name`)),
  /** Free-text description of a product or campaign. */
  description: z.string().trim().max(5000, 'must be at most 5000 characters').nullish(),
  externalId: z.string().trim().min(1, 'must not be empty').max(MAX_EXTERNAL_ID, `must be at most ${MAX_EXTERNAL_ID} characters`),
  /** A timestamp of an event (feedback's createdAt): eventTimeProblem's rule. */
  eventTime: z.coerce.date('must be an ISO-8601 timestamp').superRefine((date, ctx) => {
    const problem = eventTimeProblem(date);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** Any other timestamp (a campaign's schedule): the date range of days.ts. */
  timestamp: z.date('must be a timestamp').refine((date) => inDateRange(date), DATE_RANGE_MESSAGE),
  /** A calendar day (YYYY-MM-DD) in the date range of days.ts. */
  day: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a YYYY-MM-DD date')
    .refine((day) => inDateRange(day), DATE_RANGE_MESSAGE),
  shortText: (max: number) => z.string().trim().max(max, `must be at most ${max} characters`),
  /**
   * Free-form attributes of users and products: a JSON object within ATTRIBUTE_LIMITS (depth,
   * keys and elements, key length, serialised size), checked by an iterative walk that stops at
   * the first limit crossed; the issue names the path inside the object.
   */
  attributes: z
    .custom<Record<string, unknown>>((value) => value !== null && typeof value === 'object' && !Array.isArray(value), 'must be a JSON object')
    .superRefine((value, ctx) => {
      const problem = jsonProblem(value, ATTRIBUTE_LIMITS);
      if (problem)
        ctx.addIssue({
          code: 'custom',
          path: problem.path.slice(0, 8).map((segment) => (typeof segment === 'string' ? formatJsonPath([segment]) : segment)),
          message: problem.message,
        });
    }),
};

/**
 * Transaction options for bulk writes: Prisma's 5 s default is too short for a full batch on a
 * busy machine (10,000 rows, each validated, some encrypted), and a timeout would refuse the
 * whole batch. maxWait bounds the wait for a pooled connection.
 */
export const BULK_TRANSACTION = { timeout: 120_000, maxWait: 15_000 } as const;

/** How often a bulk transaction is attempted when it collides with a concurrent one (deadlock, unique race). */
export const BULK_WRITE_ATTEMPTS = 5;

/**
 * Runs one bulk write (a whole transaction, rolled back when it throws) and re-runs it when it
 * failed only because of a concurrent write of the same rows (see `retryableSqlState`), after a
 * short random pause. Every attempt starts from scratch (reads the stored rows anew), so the
 * counts it reports are those of the attempt that committed. When every attempt collided,
 * WRITE_CONFLICT (retryable; nothing was written) instead of an internal error.
 */
export async function retryBulkWrite<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      const sqlState = retryableSqlState(error);
      if (!sqlState) throw error;
      if (attempt >= BULK_WRITE_ATTEMPTS) {
        throw appError(ErrorCode.WRITE_CONFLICT, `This batch collided ${attempt} times with concurrent writes of the same rows and was not written; send it again.`, {
          retryable: true,
          attempts: attempt,
        });
      }
      await sleep(Math.random() * 20 * 2 ** attempt);
    }
  }
}

/** A bulk write in one Prisma transaction (BULK_TRANSACTION), retried as `retryBulkWrite` says. */
export function bulkTransaction<T>(db: Db, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  return retryBulkWrite(() => db.$transaction(fn, BULK_TRANSACTION));
}
