import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { ErrorCode } from './errors.ts';

const DATABASE_DOWN =
  /ECONNREFUSED|ECONNRESET|Connection terminated|connect ETIMEDOUT|Can't reach database|Server has closed the connection|timeout exceeded when trying to connect|the database system is (shutting down|starting up|in recovery mode)|terminating connection due to administrator command|57P01|57P03/i;

/** Whether an error means PostgreSQL cannot be reached (down, restarting, connection lost). */
export function isDatabaseUnavailable(error: unknown): boolean {
  return (
    error instanceof Error &&
    DATABASE_DOWN.test(`${error.message} ${(error as { code?: string }).code ?? ''} ${String((error as { cause?: { originalCode?: string } }).cause?.originalCode ?? '')}`)
  );
}

/**
 * The SQLSTATE of a PostgreSQL error however it arrives: pg's DatabaseError (`code`), a driver
 * adapter error (`cause.originalCode`), or a Prisma error wrapping one
 * (`meta.driverAdapterError.cause.originalCode`, e.g. P2010 of a raw query).
 */
export function sqlStateOf(error: unknown): string | null {
  if (!error || typeof error !== 'object') return null;
  const e = error as { code?: unknown; cause?: { originalCode?: unknown }; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } };
  const candidates = [e.meta?.driverAdapterError?.cause?.originalCode, e.cause?.originalCode, e.code];
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && /^[0-9A-Z]{5}$/.test(candidate)) return candidate;
  }
  return null;
}

/**
 * Prisma's codes for a value the database refused: too long (P2000), invalid (P2005–P2007,
 * P2023), missing or null (P2011, P2012), a broken reference or constraint (P2003, P2004),
 * out of range (P2020, P2033).
 */
const PRISMA_DATA_ERRORS: ReadonlySet<string> = new Set(['P2000', 'P2003', 'P2004', 'P2005', 'P2006', 'P2007', 'P2011', 'P2012', 'P2019', 'P2020', 'P2023', 'P2033']);

/** What a database error means for the caller, or null when it is not one we can explain. */
export type DatabaseErrorKind = 'unavailable' | 'conflict' | 'data' | 'timeout';

/**
 * The one classification of database errors: unreachable (DATABASE_UNAVAILABLE), a unique value
 * taken (23505, P2002: CONFLICT), or a value the database cannot store or compare (SQLSTATE class
 * 22 data exceptions: invalid text, numbers or dates out of range, values too long; class 23
 * integrity violations other than unique: null, foreign key, check, exclusion; and Prisma's
 * codes for the same: BAD_USER_INPUT).
 */
export function databaseErrorKind(error: unknown): DatabaseErrorKind | null {
  if (!(error instanceof Error)) return null;
  const state = sqlStateOf(error);
  const code = (error as { code?: unknown }).code;
  const prismaCode = typeof code === 'string' ? code : null;
  // The SQLSTATE first: a refused value's message may quote text that reads like an outage.
  if (state === '23505' || prismaCode === 'P2002') return 'conflict';
  // query_canceled: the statement timeout (DATABASE_STATEMENT_TIMEOUT_MS) cut it short.
  if (state === '57014') return 'timeout';
  if (state && /^2[23]/.test(state)) return 'data';
  if (isDatabaseUnavailable(error)) return 'unavailable';
  if (prismaCode && PRISMA_DATA_ERRORS.has(prismaCode)) return 'data';
  return null;
}

export const DATABASE_MESSAGES: Record<DatabaseErrorKind, string> = {
  unavailable: 'The database is unavailable; retry shortly.',
  conflict: 'The write conflicts with a stored row (a unique value is already taken); re-read and retry.',
  timeout:
    'A database statement of this request took longer than the service allows (DATABASE_STATEMENT_TIMEOUT_MS) and was cancelled; narrow the request (filters, fewer items) or retry later.',
  data: 'A value cannot be stored or compared by the database (invalid text, a number or date out of range, a value too long, or a reference or rule of the stored data broken).',
};

/** Codes of the answers to a request Apollo's pipeline refused before running it. */
export const REQUEST_ERROR_CODES = {
  /** Automatic persisted query: `sha256Hash` is not the SHA-256 of the `query` sent with it. */
  PERSISTED_QUERY_HASH_MISMATCH: 'PERSISTED_QUERY_HASH_MISMATCH',
  /** Any other request Apollo refuses with an HTTP 4xx but no code (e.g. a persisted-query version other than 1). */
  BAD_REQUEST: ApolloServerErrorCode.BAD_REQUEST,
} as const;

/** Apollo's message for a persisted query whose hash does not match its text (requestPipeline). */
const HASH_MISMATCH_MESSAGE = 'provided sha does not match query';

/**
 * The code of an error Apollo's request pipeline raised with an HTTP 4xx status but no code
 * ("provided sha does not match query", "Unsupported persisted query version"), or null. Apollo
 * fills a missing code with INTERNAL_SERVER_ERROR; the status it meant (400) is its intent, so
 * such an error is the client's, not ours. Errors of resolvers carry a path and never match.
 */
export function requestErrorCode(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const { path, originalError, extensions } = error as Partial<GraphQLError>;
  if (path || originalError || !extensions || extensions.code !== undefined) return null;
  const status = (extensions.http as { status?: unknown } | undefined)?.status;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  return error.message === HASH_MISMATCH_MESSAGE ? REQUEST_ERROR_CODES.PERSISTED_QUERY_HASH_MISMATCH : REQUEST_ERROR_CODES.BAD_REQUEST;
}

/**
 * Every error leaves with a stable code and never a stack trace. Errors we did not raise on
 * purpose are logged by the caller and reported as INTERNAL_SERVER_ERROR without details.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, options: { schemaHidden?: boolean } = {}): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  const original = unwrapResolverError(error);
  const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
  if (typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    // With introspection off, graphql-js's "Did you mean ...?" hints would still spell out the
    // schema (field, type and enum value names) to anyone probing it.
    const message = options.schemaHidden ? withoutSuggestions(formatted.message) : formatted.message;
    return { ...formatted, message, extensions };
  }
  const requestCode = requestErrorCode(error);
  if (requestCode) {
    const message =
      requestCode === REQUEST_ERROR_CODES.PERSISTED_QUERY_HASH_MISMATCH
        ? `${HASH_MISMATCH_MESSAGE}: extensions.persistedQuery.sha256Hash must be the SHA-256 (hex) of the query text sent with it.`
        : formatted.message;
    return { message, extensions: { ...extensions, code: requestCode } };
  }
  const where = { locations: formatted.locations, path: formatted.path };
  // graphql-js stops coercing variables after 50 errors with an error of no code of its own
  // (Apollo recognises only the per-variable ones as BAD_USER_INPUT): it is the caller's input.
  if (original instanceof Error && original.message === VARIABLE_ERROR_LIMIT) {
    return { message: original.message, ...where, extensions: { code: ErrorCode.BAD_USER_INPUT } };
  }
  switch (databaseErrorKind(original)) {
    case 'unavailable':
      return { message: DATABASE_MESSAGES.unavailable, ...where, extensions: { code: ErrorCode.DATABASE_UNAVAILABLE, retryable: true } };
    case 'data':
      return { message: DATABASE_MESSAGES.data, ...where, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    case 'conflict':
      return { message: DATABASE_MESSAGES.conflict, ...where, extensions: { code: ErrorCode.CONFLICT } };
    case 'timeout':
      return { message: DATABASE_MESSAGES.timeout, ...where, extensions: { code: ErrorCode.QUERY_TIMEOUT, retryable: true } };
    default:
      return { message: 'Internal server error.', ...where, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  }
}

/** graphql-js' message (execution/values.js) when a request's variables hold more than 50 errors. */
export const VARIABLE_ERROR_LIMIT = 'Too many errors processing variables, error limit reached. Execution aborted.';

/** A validation or coercion message without graphql-js's name suggestions. */
export function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '');
}
