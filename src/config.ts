import { createHash } from 'node:crypto';
import { z } from 'zod';
import { booleanFromEnv, hardeningConfigShape } from './config.hardening.ts';
import { DEFAULT_RATING_SCALE, type RatingScale } from './ml/recommender/ratings.ts';
import { MAX_INTERACTION_VALUE, ratingScaleConfigProblem } from './modules/interactions/interaction-values.ts';

const ratingBound = z.coerce.number().min(-MAX_INTERACTION_VALUE).max(MAX_INTERACTION_VALUE);

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /**
   * Longest one SQL statement of a server or worker process may run (PostgreSQL's
   * statement_timeout, in ms); a request whose statement runs longer fails with QUERY_TIMEOUT and
   * its statement is cancelled. Training data is read through a cursor in short statements.
   * 0 = no limit. (The embedded database does not enforce it.)
   */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(20_000),
  /**
   * Hot queries (a recommendation's) as named prepared statements, planned once per connection.
   * Turn off behind a transaction-mode pooler without prepared-statement support (PgBouncer
   * before 1.21). The embedded database never uses them.
   */
  DATABASE_PREPARED_STATEMENTS: booleanFromEnv.default(true),
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
  /**
   * worker: a training job's compute runs on a worker thread, so the event loop (GraphQL requests
   * of an in-process worker, pg-boss heartbeats) stays responsive; main: inline, as before.
   */
  TRAINING_THREAD: z.enum(['worker', 'main']).default('worker'),
  ADMIN_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * AES-256-GCM key(s) for personal data at rest: `<key>` or a keyring `id:key,id:key` (first =
   * current; older ones only decrypt). Keys are 32 bytes as base64/base64url (44/43 chars) or hex (64).
   */
  DATA_ENCRYPTION_KEY: z
    .string()
    .refine((value) => parseKeyring(value) !== null, 'must be a 32-byte key (base64 or hex) or a keyring "id:key,id:key" of such keys')
    .optional(),
  /** HMAC-SHA256 key for the email lookup hash: 32 bytes (base64 or hex). */
  DATA_HASH_KEY: z
    .string()
    .refine((value) => decodeKey(value) !== null, 'must be a 32-byte key (base64 or hex)')
    .optional(),
  /** Where a development key pair is generated and kept when the two keys above are unset (not in production). */
  DATA_KEY_FILE: z.string().min(1).default('.data/dev-data-keys.json'),
  /** Keys of User.attributes that are not personal data, shown to ANALYST and INTEGRATION keys. */
  NON_PERSONAL_ATTRIBUTE_KEYS: z
    .string()
    .default('segment,tier,ageBand,tasteCluster,loyaltyTier,channel,language,country')
    .transform((value) =>
      value
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean),
    ),
  /** Seconds an API key lookup is cached in memory; a revoked key stops working within this time. */
  API_KEY_CACHE_SECONDS: z.coerce.number().min(0).max(300).default(5),
  /**
   * The scale RATING interactions are given on: values from RATING_MIN to RATING_MAX, a whole
   * number of RATING_STEPs from RATING_MIN (default 0.5 to 5 in halves, MovieLens' scale).
   */
  RATING_MIN: ratingBound.default(DEFAULT_RATING_SCALE.min),
  RATING_MAX: ratingBound.default(DEFAULT_RATING_SCALE.max),
  RATING_STEP: z.coerce
    .number()
    .positive()
    .max(2 * MAX_INTERACTION_VALUE)
    .default(DEFAULT_RATING_SCALE.step),
  /**
   * A file the job worker rewrites every 10 s while it runs and reaches its database, for a
   * container healthcheck (`src/health/check-liveness.ts`); unset: no file.
   */
  LIVENESS_FILE: z.string().min(1).optional(),
  /** TensorFlow.js backend for training and scoring: auto prefers tfjs-node, then wasm, then cpu. */
  TFJS_BACKEND: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  /**
   * OpenTelemetry (OTLP/HTTP, JSON): traces of HTTP requests, GraphQL operations and SQL are sent
   * to `<endpoint>/v1/traces` when set; unset, no tracing code is loaded. The exporter reads the
   * other standard OTEL_EXPORTER_OTLP_* and OTEL_BSP_* variables itself (src/tracing/tracing.ts).
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** service.name of the traces (OTEL_RESOURCE_ATTRIBUTES may add more attributes). */
  OTEL_SERVICE_NAME: z.string().min(1).default('marketing-ai'),
  /** Query limits, rate limits, CORS, metrics, job expiry, shutdown: see config.hardening.ts. */
  ...hardeningConfigShape,
});

/** The variables the configuration reads (for .env.example and its test). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ConfigSchema.shape);

/**
 * Whether to trace and as what service, read before anything else loads (src/tracing/tracing.ts);
 * null when no endpoint is set or the value is invalid (loadConfig then stops start-up naming it).
 */
export function tracingConfig(env: NodeJS.ProcessEnv = process.env): { serviceName: string } | null {
  const parsed = ConfigSchema.pick({ OTEL_EXPORTER_OTLP_ENDPOINT: true, OTEL_SERVICE_NAME: true }).safeParse(nonEmpty(env));
  return parsed.success && parsed.data.OTEL_EXPORTER_OTLP_ENDPOINT ? { serviceName: parsed.data.OTEL_SERVICE_NAME } : null;
}

/** An empty variable counts as unset (compose passes `${X:-}` through). */
function nonEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

/** Decodes a 32-byte key given as hex (64 chars) or base64/base64url; null when it is not one. */
export function decodeKey(text: string): Buffer | null {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return bytes.length === 32 ? bytes : null;
  }
  return null;
}

/** Parses `key` or `id:key,id:key` (first = current). A bare key's id is a fingerprint of it. */
export function parseKeyring(text: string): { id: string; key: Buffer }[] | null {
  const entries = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (entries.length === 0) return null;
  const ring: { id: string; key: Buffer }[] = [];
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : null;
    const key = decodeKey(colon > 0 ? entry.slice(colon + 1) : entry);
    if (!key || (id !== null && !/^[A-Za-z0-9_.-]{1,32}$/.test(id))) return null;
    ring.push({ id: id ?? keyFingerprint(key), key });
  }
  return new Set(ring.map((entry) => entry.id)).size === ring.length ? ring : null;
}

export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export type Config = z.infer<typeof ConfigSchema> & {
  /** Sandbox and introspection default to on outside production. */
  sandboxEnabled: boolean;
  introspectionEnabled: boolean;
  /** RATING_MIN, RATING_MAX and RATING_STEP, checked together. */
  ratingScale: RatingScale;
  /** RATE_LIMIT_STORE with `auto` resolved: postgres with DATABASE_URL, memory on the embedded database. */
  rateLimitStore: 'postgres' | 'memory';
};

export class ConfigError extends Error {}

/** Parses the environment once; a wrong value stops start-up with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(nonEmpty(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const config = parsed.data;
  const production = config.NODE_ENV === 'production';
  if (production) {
    const missing = (['DATA_ENCRYPTION_KEY', 'DATA_HASH_KEY'] as const).filter((name) => !config[name]);
    if (missing.length) {
      throw new ConfigError(
        `Invalid configuration:\n${missing.map((name) => `  ${name}: required when NODE_ENV=production (32 random bytes, e.g. \`openssl rand -base64 32\`)`).join('\n')}`,
      );
    }
  }
  const ratingScale: RatingScale = { min: config.RATING_MIN, max: config.RATING_MAX, step: config.RATING_STEP };
  const scaleProblem = ratingScaleConfigProblem(ratingScale);
  if (scaleProblem) throw new ConfigError(`Invalid configuration:\n  RATING_MIN, RATING_MAX, RATING_STEP: ${scaleProblem}`);
  return {
    ...config,
    sandboxEnabled: config.ENABLE_SANDBOX ?? !production,
    introspectionEnabled: config.ENABLE_INTROSPECTION ?? !production,
    ratingScale,
    rateLimitStore: config.RATE_LIMIT_STORE === 'auto' ? (config.DATABASE_URL ? 'postgres' : 'memory') : config.RATE_LIMIT_STORE,
  };
}
