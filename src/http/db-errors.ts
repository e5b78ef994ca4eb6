import { GraphQLError } from 'graphql';
import { ErrorCode } from '../graphql/errors.ts';
import { DATABASE_MESSAGES, databaseErrorKind } from '../graphql/format-error.ts';

/**
 * Errors thrown while building the request context (API key lookup) bypass formatError's
 * mapping and would become HTTP 500; a database outage there is HTTP 503 DATABASE_UNAVAILABLE,
 * a value the database refuses (databaseErrorKind) HTTP 400 BAD_USER_INPUT.
 */
export function databaseUnavailableInContext(error: unknown): never {
  const kind = databaseErrorKind(error);
  if (kind === 'data') {
    throw new GraphQLError(DATABASE_MESSAGES.data, { extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } } });
  }
  if (kind === 'unavailable' || kind === 'timeout') {
    throw new GraphQLError(DATABASE_MESSAGES.unavailable, {
      extensions: { code: ErrorCode.DATABASE_UNAVAILABLE, retryable: true, http: { status: 503, headers: new Map([['retry-after', '5']]) } },
    });
  }
  throw error;
}
