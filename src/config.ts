import { z } from 'zod';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  EMBEDDED_DB_DIR: z.string().min(1).default('.data/pglite'),
  EMBEDDED_DB_PORT: z.coerce.number().int().min(0).max(65535).default(54329),
  SEED_DEMO_DATA: booleanFromEnv.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(10_000),
  MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  ENABLE_SANDBOX: booleanFromEnv.optional(),
  ENABLE_INTROSPECTION: booleanFromEnv.optional(),
  /** in-process: this server also runs background jobs; off: only enqueue (run `npm run worker`). */
  WORKER_MODE: z.enum(['in-process', 'off']).default('in-process'),
  ADMIN_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
});

export type Config = z.infer<typeof ConfigSchema> & {
  /** Sandbox and introspection default to on outside production. */
  sandboxEnabled: boolean;
  introspectionEnabled: boolean;
};

export class ConfigError extends Error {}

/** Parses the environment once; a wrong value stops start-up with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const config = parsed.data;
  const production = config.NODE_ENV === 'production';
  return {
    ...config,
    sandboxEnabled: config.ENABLE_SANDBOX ?? !production,
    introspectionEnabled: config.ENABLE_INTROSPECTION ?? !production,
  };
}
