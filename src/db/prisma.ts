import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
// @prisma/adapter-pg 7.10 beside @prisma/client 6.19 on purpose: the adapter is the one the
// migration CLI needs (prisma.config.ts), and the 6.19 client runs queries through it unchanged.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Db = PrismaClient;

/** Counts SQL statements per request, for the N+1 guard test and the metrics endpoint. */
export interface StatementCounter {
  statements: number;
}
const statementScope = new AsyncLocalStorage<StatementCounter>();

export function withStatementCounter<T>(counter: StatementCounter, fn: () => T): T {
  return statementScope.run(counter, fn);
}

class CountingClient extends pg.Client {
  // pg's overloads make a typed override awkward; this only counts and delegates.
  override query(...args: unknown[]): never {
    const counter = statementScope.getStore();
    if (counter) counter.statements += 1;
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  close(): Promise<void>;
}

const poolsOfClients = new WeakMap<PrismaClient, pg.Pool>();

/**
 * The pg pool behind a client made by connectDatabase. For the few hot paths where Prisma's
 * raw-query parameter handling is measurably slower than pg (bulk ingestion); undefined otherwise.
 */
export function poolOf(prisma: PrismaClient): pg.Pool | undefined {
  return poolsOfClients.get(prisma);
}

const poolsWithoutPreparedStatements = new WeakSet<pg.Pool>();
const preparedStatementsChecked = new WeakMap<pg.Pool, Promise<boolean>>();

/**
 * Whether this pool's connections may keep named statements (src/db/raw.ts `prepared`): not when
 * made with `preparedStatements: false` (DATABASE_PREPARED_STATEMENTS), and not on the embedded
 * database (PGlite), whose one session all connections share — a name prepared by one would
 * already exist for the next. Asked once per pool, outside any request's statement count.
 */
export function preparedStatementsUsable(pool: pg.Pool): Promise<boolean> {
  let known = preparedStatementsChecked.get(pool);
  if (!known) {
    known = poolsWithoutPreparedStatements.has(pool)
      ? Promise.resolve(false)
      : statementScope.exit(() =>
          pool.query<{ version: string }>('SELECT version() AS version').then(
            ({ rows }) => !String(rows[0]?.version).includes('PGlite'),
            () => {
              // Unknown (database unreachable): plain statements now, ask again next time.
              preparedStatementsChecked.delete(pool);
              return false;
            },
          ),
        );
    preparedStatementsChecked.set(pool, known);
  }
  return known;
}

export function connectDatabase(
  url: string,
  options: {
    poolSize: number;
    statementTimeoutMs?: number;
    /** Named prepared statements for hot queries (src/db/raw.ts `prepared`); default true. */
    preparedStatements?: boolean;
  },
): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    // Sent at connection start-up: every statement on these connections is cancelled after it.
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    Client: CountingClient,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its server (restart, network) must not crash the process.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  poolsOfClients.set(prisma, pool);
  if (options.preparedStatements === false) poolsWithoutPreparedStatements.add(pool);
  return {
    prisma,
    pool,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
