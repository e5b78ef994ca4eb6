import { GraphQLError } from 'graphql';
import type { Config } from '../config.ts';
import type { Viewer } from '../modules/access/viewer.ts';

export const RATE_LIMITED = 'RATE_LIMITED';

type RateLimitConfig = Pick<Config, 'RATE_LIMIT_PER_MINUTE' | 'RATE_LIMIT_ADMIN_PER_MINUTE'>;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token bucket per API key, in this process's memory: a key may burst up to its per-minute
 * limit and refills at limit/60 tokens a second. Several server processes each keep their own
 * buckets (the effective limit is then per process).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly config: RateLimitConfig,
    private readonly now: () => number = () => Date.now(),
  ) {}

  limitFor(role: Viewer['role']): number {
    return role === 'ADMIN' ? this.config.RATE_LIMIT_ADMIN_PER_MINUTE : this.config.RATE_LIMIT_PER_MINUTE;
  }

  /**
   * Takes `cost` tokens from the viewer's bucket, or says how long to wait. `alreadyTaken`: tokens
   * this request took before (its first one), so a request dearer than a whole bucket still
   * passes when the bucket is full.
   */
  consume(viewer: Viewer, cost = 1, alreadyTaken = 0): { allowed: true } | { allowed: false; retryAfterSeconds: number; limit: number } {
    const limit = this.limitFor(viewer.role);
    if (limit <= 0) return { allowed: true };
    const key = viewer.keyId ?? `role:${viewer.role}`;
    const now = this.now();
    const perMs = limit / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: limit, updatedAt: now };
    bucket.tokens = Math.min(limit, bucket.tokens + (now - bucket.updatedAt) * perMs);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.prune(now);
    // A request dearer than a full bucket could never pass: it costs a full bucket instead.
    const needed = Math.min(cost, Math.max(0, limit - alreadyTaken));
    if (bucket.tokens >= needed) {
      bucket.tokens -= needed;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((needed - bucket.tokens) / perMs / 1000)), limit };
  }

  /** Forgets full buckets (idle keys), so memory stays bounded by the keys active in a minute. */
  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.updatedAt > 60_000) this.buckets.delete(key);
    }
  }
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
export function chargeRequest(limiter: RateLimiter, viewer: Viewer): void {
  const result = limiter.consume(viewer, 1);
  if (!result.allowed) throw rateLimitedError(result.retryAfterSeconds, result.limit);
}
