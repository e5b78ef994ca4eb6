import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import pg from 'pg';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Viewer } from '../modules/access/viewer.ts';

export const RATE_LIMITED = 'RATE_LIMITED';

type RateLimitConfig = Pick<Config, 'RATE_LIMIT_PER_MINUTE' | 'RATE_LIMIT_ADMIN_PER_MINUTE'>;
export type RateLimitStoreConfig = RateLimitConfig & Pick<Config, 'rateLimitStore' | 'RATE_LIMIT_STORE_TIMEOUT_MS'>;

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number; limit: number };

/**
 * The rule, one definition for both stores: a token bucket per API key of `limit` tokens that
 * refills evenly over a minute, kept as GCRA's "theoretical arrival time" (when the bucket is full
 * again). A request taking `needed` tokens fits when that time, moved on by needed × (60 s /
 * limit), lies at most a minute ahead; otherwise it waits for the difference.
 */
const WINDOW_MS = 60_000;
/** Float (memory) and microsecond (PostgreSQL) rounding of many small steps must not refuse a fitting request. */
const TOLERANCE_MS = 1;

function limitFor(config: RateLimitConfig, role: Viewer['role']): number {
  return role === 'ADMIN' ? config.RATE_LIMIT_ADMIN_PER_MINUTE : config.RATE_LIMIT_PER_MINUTE;
}

/** A request dearer than a full bucket could never pass: it costs a full bucket instead. */
function tokensNeeded(limit: number, cost: number, alreadyTaken: number): number {
  return Math.min(cost, Math.max(0, limit - alreadyTaken));
}

/** `backlogMs`: how far ahead of now the bucket's full time lies (0 when full). */
function retryAfterSeconds(backlogMs: number, neededMs: number): number {
  return Math.max(1, Math.ceil((backlogMs + neededMs - WINDOW_MS) / 1000));
}

const bucketKey = (viewer: Viewer): string => viewer.keyId ?? `role:${viewer.role}`;

export interface RateLimiter {
  /**
   * Takes `cost` tokens from the viewer's bucket, or says how long to wait. `alreadyTaken`: tokens
   * this request took before (its first one), so a request dearer than a whole bucket still
   * passes when the bucket is full.
   */
  consume(viewer: Viewer, cost?: number, alreadyTaken?: number): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

/**
 * The buckets in this process's memory (RATE_LIMIT_STORE=memory, and the fallback of the
 * PostgreSQL store): several server processes each keep their own.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly fullAt = new Map<string, number>();

  constructor(
    private readonly config: RateLimitConfig,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The decision, synchronously. */
  take(viewer: Viewer, cost = 1, alreadyTaken = 0): RateLimitDecision {
    const limit = limitFor(this.config, viewer.role);
    if (limit <= 0) return { allowed: true };
    const key = bucketKey(viewer);
    const now = this.now();
    const neededMs = (tokensNeeded(limit, cost, alreadyTaken) * WINDOW_MS) / limit;
    const backlogMs = Math.max(0, (this.fullAt.get(key) ?? now) - now);
    if (backlogMs + neededMs > WINDOW_MS + TOLERANCE_MS) return { allowed: false, retryAfterSeconds: retryAfterSeconds(backlogMs, neededMs), limit };
    this.fullAt.set(key, now + backlogMs + neededMs);
    if (this.fullAt.size > 10_000) this.prune(now);
    return { allowed: true };
  }

  async consume(viewer: Viewer, cost = 1, alreadyTaken = 0): Promise<RateLimitDecision> {
    return this.take(viewer, cost, alreadyTaken);
  }

  async close(): Promise<void> {}

  /** Forgets full buckets (idle keys), so memory stays bounded by the keys active in a minute. */
  private prune(now: number): void {
    for (const [key, fullAt] of this.fullAt) if (fullAt <= now) this.fullAt.delete(key);
  }
}

/** After the store failed or was slow, this process decides alone for this long before asking it again. */
const STORE_RETRY_MS = 5_000;

/**
 * One statement decides and records (GCRA on the database's clock, so servers' clocks need not
 * agree): the bucket's full time moves on by the request's tokens when that fits, and the full
 * time read before tells a refused request how long to wait. `$2`: the tokens' time in ms;
 * `$3`: the window plus tolerance in ms.
 */
const TAKE_SQL = `
  WITH prior AS (SELECT full_at FROM rate_limit_buckets WHERE key = $1),
  taken AS (
    INSERT INTO rate_limit_buckets AS b (key, full_at) VALUES ($1, now() + $2::float8 * interval '1 millisecond')
    ON CONFLICT (key) DO UPDATE SET full_at = GREATEST(b.full_at, now()) + $2::float8 * interval '1 millisecond'
      WHERE GREATEST(b.full_at, now()) + $2::float8 * interval '1 millisecond' <= now() + $3::float8 * interval '1 millisecond'
    RETURNING full_at
  )
  SELECT EXISTS (SELECT 1 FROM taken) AS allowed,
         GREATEST(0, extract(epoch FROM (SELECT full_at FROM prior) - now()) * 1000)::float8 AS backlog_ms`;

/**
 * Buckets in PostgreSQL (table rate_limit_buckets), shared by every server process and machine:
 * one round trip per request on a small pool of its own (its statements are not the request's,
 * and a request pool busy with slow queries does not hold the limiter up). Two guards keep it off
 * the critical path:
 * - a key refused recently is refused from memory until a token can be free again (a flood of
 *   refused requests costs no SQL; the database would refuse them too);
 * - when PostgreSQL does not answer within RATE_LIMIT_STORE_TIMEOUT_MS, or fails, this process
 *   decides with its own in-memory buckets (the full limit per process) for STORE_RETRY_MS.
 */
export class PostgresRateLimiter implements RateLimiter {
  private readonly pool: pg.Pool;
  private readonly fallback: MemoryRateLimiter;
  /** Key → local time from which a one-token request may fit again. */
  private readonly blockedUntil = new Map<string, number>();
  private storeDownUntil = 0;

  constructor(
    private readonly config: RateLimitStoreConfig,
    databaseUrl: string,
    private readonly logger?: Logger,
  ) {
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      max: 2,
      connectionTimeoutMillis: 5_000,
      // A statement stuck behind a lock must not keep the connection (its answer is long ignored).
      statement_timeout: 5_000,
    });
    // An idle client losing its server (restart, network) must not crash the process.
    this.pool.on('error', () => undefined);
    this.fallback = new MemoryRateLimiter(config);
  }

  async consume(viewer: Viewer, cost = 1, alreadyTaken = 0): Promise<RateLimitDecision> {
    const limit = limitFor(this.config, viewer.role);
    if (limit <= 0) return { allowed: true };
    const needed = tokensNeeded(limit, cost, alreadyTaken);
    if (needed === 0) return { allowed: true };
    const key = bucketKey(viewer);
    const tokenMs = WINDOW_MS / limit;
    const neededMs = needed * tokenMs;
    const now = Date.now();
    const blocked = this.blockedUntil.get(key);
    if (blocked !== undefined) {
      if (blocked > now) return { allowed: false, retryAfterSeconds: retryAfterSeconds(blocked - now + WINDOW_MS - tokenMs, neededMs), limit };
      this.blockedUntil.delete(key);
    }
    if (now < this.storeDownUntil) return this.fallback.take(viewer, cost, alreadyTaken);
    let row: { allowed: boolean; backlog_ms: number | null };
    try {
      row = await this.take(key, neededMs);
    } catch (error) {
      this.storeDownUntil = Date.now() + STORE_RETRY_MS;
      this.logger?.warn({ err: error, retryInMs: STORE_RETRY_MS }, 'rate-limit store unavailable or slow: this process limits alone meanwhile');
      return this.fallback.take(viewer, cost, alreadyTaken);
    }
    if (row.allowed) return { allowed: true };
    const backlogMs = row.backlog_ms ?? 0;
    // A one-token request fits once the backlog is down to a minute less one token.
    this.blockedUntil.set(key, now + backlogMs - WINDOW_MS + tokenMs);
    if (this.blockedUntil.size > 10_000) this.pruneBlocked(now);
    return { allowed: false, retryAfterSeconds: retryAfterSeconds(backlogMs, neededMs), limit };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async take(key: string, neededMs: number): Promise<{ allowed: boolean; backlog_ms: number | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.config.RATE_LIMIT_STORE_TIMEOUT_MS} ms`)), this.config.RATE_LIMIT_STORE_TIMEOUT_MS);
    });
    // A late answer after the timeout still counts in the store.
    const query = this.pool.connect().then(async (client) => {
      try {
        return await client.query<{ allowed: boolean; backlog_ms: number | null }>({
          name: statementName(client),
          text: TAKE_SQL,
          values: [key, neededMs, WINDOW_MS + TOLERANCE_MS],
        });
      } finally {
        client.release();
      }
    });
    query.catch(() => undefined);
    try {
      const result = await Promise.race([query, timeout]);
      return result.rows[0]!;
    } finally {
      clearTimeout(timer);
    }
  }

  private pruneBlocked(now: number): void {
    for (const [key, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(key);
  }
}

/**
 * Prepared once per connection (parse and plan once: measurably cheaper per call), under a name
 * of that connection alone: the embedded database serves all connections from one session, where
 * a second connection preparing the same name would fail.
 */
const statementNames = new WeakMap<pg.PoolClient, string>();
function statementName(client: pg.PoolClient): string {
  let name = statementNames.get(client);
  if (!name) statementNames.set(client, (name = `rate-limit-take-${randomUUID()}`));
  return name;
}

/** The limiter RATE_LIMIT_STORE asks for (`auto` resolved by loadConfig). */
export function createRateLimiter(config: RateLimitStoreConfig, databaseUrl: string, logger?: Logger): RateLimiter {
  return config.rateLimitStore === 'postgres' ? new PostgresRateLimiter(config, databaseUrl, logger) : new MemoryRateLimiter(config);
}

export function rateLimitedError(retryAfterSeconds: number, limit: number): GraphQLError {
  return new GraphQLError(`Rate limit exceeded: this API key may send ${limit} requests a minute. Retry in ${retryAfterSeconds} s.`, {
    extensions: {
      code: RATE_LIMITED,
      retryAfterSeconds,
      limitPerMinute: limit,
      http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}

/** One token per request (charged when the API key is known, in the context function). */
export async function chargeRequest(limiter: RateLimiter, viewer: Viewer): Promise<void> {
  const result = await limiter.consume(viewer, 1);
  if (!result.allowed) throw rateLimitedError(result.retryAfterSeconds, result.limit);
}
