import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ErrorCode } from './errors.ts';

const DATABASE_DOWN = /ECONNREFUSED|ECONNRESET|Connection terminated|connect ETIMEDOUT|Can't reach database|Server has closed the connection|timeout exceeded when trying to connect|the database system is (shutting down|starting up|in recovery mode)|terminating connection due to administrator command|57P01|57P03/i;

/** Whether an error means PostgreSQL cannot be reached (down, restarting, connection lost). */
export function isDatabaseUnavailable(error: unknown): boolean {
  return error instanceof Error && DATABASE_DOWN.test(`${error.message} ${(error as { code?: string }).code ?? ''} ${String((error as { cause?: { originalCode?: string } }).cause?.originalCode ?? '')}`);
}

/**
 * Every error leaves with a stable code and never a stack trace. Errors we did not raise on
 * purpose are logged by the caller and reported as INTERNAL_SERVER_ERROR without details.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  const original = unwrapResolverError(error);
  const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
  if (typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    return { ...formatted, extensions };
  }
  if (isDatabaseUnavailable(original)) {
    return {
      message: 'The database is unavailable; retry shortly.',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.DATABASE_UNAVAILABLE, retryable: true },
    };
  }
  // PostgreSQL data exceptions (SQLSTATE class 22: bad encoding, out-of-range values, …) are the
  // caller's input, not a server fault.
  const sqlState = (original as { cause?: { originalCode?: unknown }; code?: unknown } | null)?.cause?.originalCode ?? (original as { code?: unknown } | null)?.code;
  if (original instanceof Error && typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState)) {
    return {
      message: 'A value cannot be stored or compared by the database (invalid text or a number out of range).',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.BAD_USER_INPUT },
    };
  }
  if (original instanceof Error && 'code' in original && (original as { code?: string }).code === 'P2002') {
    return {
      message: 'The write conflicts with a stored row (a unique value is already taken); re-read and retry.',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.CONFLICT },
    };
  }
  return {
    message: 'Internal server error.',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}
