import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('configuration', () => {
  it('has working defaults for a fresh machine', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(4000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.sandboxEnabled).toBe(true);
    expect(config.MAX_BATCH_SIZE).toBe(10_000);
    expect(config.TRAINING_THREAD).toBe('worker');
    expect(loadConfig({ TRAINING_THREAD: 'main' }).TRAINING_THREAD).toBe('main');
  });

  it('turns Sandbox and introspection off in production unless enabled', () => {
    const production = { NODE_ENV: 'production', DATA_ENCRYPTION_KEY: 'a'.repeat(64), DATA_HASH_KEY: 'b'.repeat(64) };
    expect(loadConfig(production).sandboxEnabled).toBe(false);
    expect(loadConfig(production).introspectionEnabled).toBe(false);
    expect(loadConfig({ ...production, ENABLE_SANDBOX: 'true' }).sandboxEnabled).toBe(true);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['MAX_BATCH_SIZE', '0'],
    ['LOG_LEVEL', 'loud'],
    ['WORKER_MODE', 'sometimes'],
    ['TRAINING_THREAD', 'process'],
  ])('stops with a message naming %s when it is %s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('reads the rating scale: 0.5 to 5 in halves by default, or RATING_MIN / RATING_MAX / RATING_STEP', () => {
    expect(loadConfig({}).ratingScale).toEqual({ min: 0.5, max: 5, step: 0.5 });
    expect(loadConfig({ RATING_MIN: '1', RATING_MAX: '10', RATING_STEP: '1' }).ratingScale).toEqual({ min: 1, max: 10, step: 1 });
    expect(loadConfig({ RATING_MIN: '0', RATING_MAX: '1', RATING_STEP: '0.1' }).ratingScale).toEqual({ min: 0, max: 1, step: 0.1 });
  });

  it.each([
    [{ RATING_MIN: '5', RATING_MAX: '1' }, /RATING_MIN, RATING_MAX, RATING_STEP: min \(5\) must be below max \(1\)/],
    [{ RATING_MIN: '3', RATING_MAX: '3' }, /must be below max/],
    [{ RATING_STEP: '0' }, /RATING_STEP/],
    [{ RATING_STEP: '-0.5' }, /RATING_STEP/],
    [{ RATING_STEP: '2' }, /RATING_MIN, RATING_MAX, RATING_STEP: step \(2\) must divide the range from 0.5 to 5 into whole steps/],
    [{ RATING_MAX: 'ten' }, /RATING_MAX/],
    [{ RATING_MAX: '2000000' }, /RATING_MAX/],
  ])('stops on an unusable rating scale %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
