import type pg from 'pg';
import type { Prisma } from '../generated/prisma/client.ts';
import { poolOf, preparedStatementsUsable, type Db } from './prisma.ts';

/**
 * Raw SQL for the few paths where Prisma's raw-query handling is measurably slower than pg
 * (bulk ingestion, the recommendation hot path, streaming training data): through the pg pool
 * behind the Prisma client when there is one, else through Prisma itself. The one home of that
 * fallback; modules never touch the pool directly.
 */
export interface RawRunner {
  /** Rows as objects keyed by column name. */
  rows<T>(sql: string | Prepared, params?: readonly unknown[]): Promise<T[]>;
  /** Rows as arrays in column order (cheaper to build for wide or many rows). */
  arrays<T extends unknown[]>(sql: string | Prepared, params?: readonly unknown[]): Promise<T[]>;
}

/** A statement PostgreSQL parses and plans once per connection (see `prepared`). */
export interface Prepared {
  readonly name: string;
  readonly text: string;
}

const preparedTexts = new Map<string, string>();

/**
 * A hot statement of constant text, run as a named prepared statement through the pg pool:
 * parsed and planned once per connection instead of on every call (on the serving path that
 * was most of PostgreSQL's CPU per request: docs/benchmarks.md). Declare it once, at module
 * level; through Prisma (no pool) it runs as plain SQL. Needs session-level connections (a
 * transaction-mode pooler in front of PostgreSQL must support protocol-level prepared statements).
 */
export function prepared(name: string, text: string): Prepared {
  const known = preparedTexts.get(name);
  if (known !== undefined && known !== text) throw new Error(`prepared statement "${name}" declared twice with different text`);
  preparedTexts.set(name, text);
  return Object.freeze({ name, text });
}

function textOf(sql: string | Prepared): string {
  return typeof sql === 'string' ? sql : sql.text;
}

/** Outside a transaction: each statement on any pooled connection. */
export function raw(db: Db): RawRunner {
  const pool = poolOf(db);
  if (pool) return clientRunner(pool, pool);
  return prismaRunner((sql, params) => db.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params));
}

/** Inside a Prisma interactive transaction: statements of that transaction. */
export function rawIn(tx: Prisma.TransactionClient): RawRunner {
  return prismaRunner((sql, params) => tx.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params));
}

export interface RawTransactionOptions {
  /** e.g. `ISOLATION LEVEL REPEATABLE READ READ ONLY` for a consistent snapshot. */
  mode?: string;
}

export interface RawTransaction extends RawRunner {
  /**
   * Streams a query's rows (as arrays) in batches through a server-side cursor; without a pg
   * pool the rows arrive in one batch.
   */
  stream<T extends unknown[]>(sql: string, batchSize: number, onBatch: (rows: T[]) => void | Promise<void>): Promise<void>;
}

/** Runs `fn` in one transaction (committed when it returns, rolled back when it throws). */
export async function rawTransaction<T>(db: Db, fn: (tx: RawTransaction) => Promise<T>, options: RawTransactionOptions = {}): Promise<T> {
  const pool = poolOf(db);
  if (!pool) {
    return db.$transaction(async (tx) => {
      if (options.mode) await tx.$executeRawUnsafe(`SET TRANSACTION ${options.mode}`);
      const runner = rawIn(tx);
      return fn({
        ...runner,
        async stream(sql, _batchSize, onBatch) {
          await onBatch(await runner.arrays(sql));
        },
      });
    });
  }
  const client = await pool.connect();
  let broken: unknown;
  try {
    await client.query(options.mode ? `BEGIN ${options.mode}` : 'BEGIN');
    let cursors = 0;
    const runner = clientRunner(client, pool);
    const result = await fn({
      ...runner,
      async stream(sql, batchSize, onBatch) {
        const cursor = `raw_stream_${(cursors += 1)}`;
        await client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`);
        for (;;) {
          const batch = await client.query({ text: `FETCH ${Math.max(1, Math.floor(batchSize))} FROM ${cursor}`, rowMode: 'array' });
          await onBatch(batch.rows as never);
          if (batch.rows.length < batchSize) break;
        }
        await client.query(`CLOSE ${cursor}`);
      },
    });
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    // A connection whose ROLLBACK failed is discarded, not handed to the next caller.
    client.release(broken instanceof Error ? broken : undefined);
  }
}

function clientRunner(client: pg.Pool | pg.PoolClient, pool: pg.Pool): RawRunner {
  const statement = async (sql: string | Prepared) =>
    typeof sql === 'string' ? { text: sql } : (await preparedStatementsUsable(pool)) ? { name: sql.name, text: sql.text } : { text: sql.text };
  return {
    async rows<T>(sql: string | Prepared, params: readonly unknown[] = []) {
      return (await client.query({ ...(await statement(sql)), values: params as unknown[] })).rows as T[];
    },
    async arrays<T extends unknown[]>(sql: string | Prepared, params: readonly unknown[] = []) {
      return (await client.query({ ...(await statement(sql)), values: params as unknown[], rowMode: 'array' })).rows as T[];
    },
  };
}

function prismaRunner(query: (sql: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>): RawRunner {
  return {
    async rows<T>(sql: string | Prepared, params: readonly unknown[] = []) {
      return (await query(textOf(sql), params)) as T[];
    },
    async arrays<T extends unknown[]>(sql: string | Prepared, params: readonly unknown[] = []) {
      return (await query(textOf(sql), params)).map((row) => Object.values(row) as T);
    },
  };
}
