import { z } from 'zod';

/** A yes/no setting: true, false, 1, 0, yes or no. */
export const booleanFromEnv = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => value === 'true' || value === '1' || value === 'yes');

/**
 * Production-hardening settings (query limits, rate limits, CORS, metrics, jobs, shutdown),
 * merged into the configuration schema of config.ts. Every default keeps the README's queries,
 * Sandbox introspection and the test suite working.
 */
export const hardeningConfigShape = {
  /** Deepest field nesting of an operation (introspection's `__schema` field is exempt). 0 = off. */
  QUERY_MAX_DEPTH: z.coerce.number().int().min(0).max(1000).default(10),
  /** Aliases in one operation. 0 = off. */
  QUERY_MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(30),
  /**
   * Most an operation may cost under the request cost model (src/graphql/cost.ts; README
   * "Request cost"): about one unit per object it may return, list sizes multiplied, plus the
   * declared weights of compute-heavy fields. 0 = off.
   */
  QUERY_MAX_COST: z.coerce.number().int().min(0).max(10_000_000).default(100_000),
  /** Lexical tokens of a document (parser aborts beyond). 0 = off. */
  QUERY_MAX_TOKENS: z.coerce.number().int().min(0).max(10_000_000).default(10_000),
  /** Directives in one operation. 0 = off. */
  QUERY_MAX_DIRECTIVES: z.coerce.number().int().min(0).max(10_000).default(50),
  /** Request tokens per API key and minute (token bucket, bursts up to the same number). 0 = off. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(600),
  /** The same for ADMIN keys (automation, CI). 0 = off. */
  RATE_LIMIT_ADMIN_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(6000),
  /**
   * Where the rate-limit buckets live: `postgres` (table rate_limit_buckets: one limit per key
   * across every server process and machine, one SQL round trip per request) or `memory` (each
   * process its own; with WEB_CONCURRENCY the limits are split between the processes). `auto`:
   * postgres with DATABASE_URL, memory on the embedded database (one server process only, and
   * there the round trip costs the process itself ~1.7 ms of CPU: the database runs inside it).
   */
  RATE_LIMIT_STORE: z.enum(['auto', 'postgres', 'memory']).default('auto'),
  /**
   * Longest a request waits for the PostgreSQL store (ms); past it, or when the store fails, the
   * process decides with its own in-memory buckets for 5 s, so a slow database never stalls requests on the limiter.
   */
  RATE_LIMIT_STORE_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(50),
  /** Extra tokens a bulk mutation costs: one per this many input rows (all bulk mutations of a request together). */
  RATE_LIMIT_ROWS_PER_TOKEN: z.coerce.number().int().min(1).max(10_000_000).default(1000),
  /** Tokens a request costs: one per this many cost units (at least one), so aliasing an expensive field costs accordingly. */
  RATE_LIMIT_COST_PER_TOKEN: z.coerce.number().int().min(1).max(10_000_000).default(1000),
  /** Allowed browser origins, comma-separated, or `*`. Default: `*` outside production, none in production. */
  CORS_ORIGINS: z.string().optional(),
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  METRICS_TOKEN: z.string().min(8, 'must be at least 8 characters').optional(),
  /** Largest request body, e.g. `20mb`; bigger → HTTP 413 PAYLOAD_TOO_LARGE. */
  MAX_BODY_SIZE: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must be a size like 512kb or 20mb')
    .default('20mb'),
  /**
   * Most JSON values (objects, arrays, members, elements) a request body may hold; more → HTTP 413
   * PAYLOAD_TOO_LARGE before parsing (src/http/json-values.ts: parse time grows with values).
   * 12,500 bulk rows of 20 fields fit. 0 = off.
   */
  MAX_BODY_VALUES: z.coerce.number().int().min(0).max(100_000_000).default(250_000),
  /** Largest GraphQL answer sent, e.g. `16mb`; a bigger one is replaced by HTTP 400 RESPONSE_TOO_LARGE. */
  MAX_RESPONSE_SIZE: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must be a size like 512kb or 16mb')
    .default('16mb'),
  /** A training job whose worker stops answering (killed) is retried after this many seconds. */
  TRAINING_JOB_EXPIRE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(23 * 3600)
    .default(3600),
  /** How often the job queue looks for expired jobs (seconds). */
  JOB_MAINTENANCE_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** Attempts a training job gets when its worker dies mid-training; then it is marked FAILED. */
  TRAINING_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2),
  /**
   * Jobs one API key may have QUEUED or RUNNING at once; another trainModel fails with
   * TOO_MANY_TRAINING_JOBS (retryable) until one of them ends. Identical requests that are
   * coalesced into a queued job do not count.
   */
  TRAINING_MAX_QUEUED_PER_KEY: z.coerce.number().int().min(1).max(1000).default(3),
  /**
   * A RUNNING training job whose worker has not written its heartbeat for this many seconds is
   * taken over: its attempt counts as interrupted and it is queued again (FAILED after
   * TRAINING_MAX_ATTEMPTS). Workers write the heartbeat every sixth of this (at most every 10 s)
   * and look for stale jobs as often. TRAINING_JOB_EXPIRE_SECONDS stays the outer bound. With
   * TRAINING_THREAD=main the heartbeat stalls with the training: set this above the longest one.
   */
  TRAINING_HEARTBEAT_STALE_SECONDS: z.coerce
    .number()
    .int()
    .min(3)
    .max(23 * 3600)
    .default(30),
  /**
   * HTTP server processes (node:cluster, sharing the port). One Node process uses one core for
   * GraphQL execution and model scoring; set this to the cores the service may use. Needs
   * DATABASE_URL (the embedded database serves one process). With RATE_LIMIT_STORE=memory the
   * per-key rate limits are split evenly between the processes.
   */
  WEB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /**
   * `npm start` and `npm run worker` run as a supervisor that forks the serving (or job) processes
   * and replaces one that dies (a crash, an exhausted heap, a kill); more than 5 deaths a minute
   * stop the supervisor with exit code 1, for an outer supervisor to see. `false`: one process,
   * for platforms that restart it themselves and should see every crash.
   */
  SUPERVISOR: booleanFromEnv.default(true),
  /** Longest a graceful shutdown may take before the process exits anyway (code 1). */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().min(1).max(600).default(30),
};
