import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { MemoryRateLimiter } from '../../src/http/rate-limit.ts';

describe('hardening configuration', () => {
  it('has defaults that leave room for normal use', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      QUERY_MAX_DEPTH: 10,
      QUERY_MAX_ALIASES: 30,
      QUERY_MAX_COST: 100_000,
      QUERY_MAX_TOKENS: 10_000,
      RATE_LIMIT_COST_PER_TOKEN: 1000,
      MAX_RESPONSE_SIZE: '16mb',
      DATABASE_STATEMENT_TIMEOUT_MS: 20_000,
      RATE_LIMIT_PER_MINUTE: 600,
      RATE_LIMIT_ADMIN_PER_MINUTE: 6000,
      MAX_BODY_SIZE: '20mb',
      TRAINING_JOB_EXPIRE_SECONDS: 3600,
      TRAINING_MAX_ATTEMPTS: 2,
      TRAINING_MAX_QUEUED_PER_KEY: 3,
      TRAINING_HEARTBEAT_STALE_SECONDS: 30,
      RATE_LIMIT_STORE: 'auto',
      rateLimitStore: 'memory',
      RATE_LIMIT_STORE_TIMEOUT_MS: 50,
    });
    expect(config.CORS_ORIGINS).toBeUndefined();
    expect(config.METRICS_TOKEN).toBeUndefined();
  });

  it.each([
    ['QUERY_MAX_DEPTH', '-1'],
    ['RATE_LIMIT_PER_MINUTE', 'lots'],
    ['MAX_BODY_SIZE', '20 gigabytes'],
    ['METRICS_TOKEN', 'short'],
    ['TRAINING_JOB_EXPIRE_SECONDS', '0'],
    ['TRAINING_MAX_QUEUED_PER_KEY', '0'],
    ['TRAINING_HEARTBEAT_STALE_SECONDS', '1'],
  ])('stops with a message naming %s when it is %s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('refills a token bucket evenly and tells how long to wait', () => {
    let now = 0;
    const limiter = new MemoryRateLimiter({ RATE_LIMIT_PER_MINUTE: 60, RATE_LIMIT_ADMIN_PER_MINUTE: 0 }, () => now);
    const viewer = { keyId: 'k', keyName: 'k', role: 'INTEGRATION' as const };
    for (let i = 0; i < 60; i += 1) expect(limiter.take(viewer).allowed).toBe(true);
    expect(limiter.take(viewer)).toEqual({ allowed: false, retryAfterSeconds: 1, limit: 60 });
    now += 1000;
    expect(limiter.take(viewer).allowed).toBe(true);
    // A request dearer than the bucket costs a full bucket, so it can still pass after a minute.
    now += 60_000;
    expect(limiter.take(viewer, 500).allowed).toBe(true);
    expect(limiter.take(viewer, 500)).toMatchObject({ allowed: false, retryAfterSeconds: 60 });
    // ADMIN limit 0: unlimited.
    expect(limiter.take({ ...viewer, role: 'ADMIN' }, 1e9).allowed).toBe(true);
  });
});
