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
});
