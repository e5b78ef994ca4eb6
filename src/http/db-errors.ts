import { GraphQLError } from 'graphql';
import { ErrorCode } from '../graphql/errors.ts';
import { isDatabaseUnavailable } from '../graphql/format-error.ts';

/**
 * Errors thrown while building the request context (API key lookup) bypass formatError's
 * mapping and would become HTTP 500; a database outage there is HTTP 503 DATABASE_UNAVAILABLE.
 */
export function databaseUnavailableInContext(error: unknown): never {
  if (isDatabaseUnavailable(error)) {
    throw new GraphQLError('The database is unavailable; retry shortly.', {
      extensions: { code: ErrorCode.DATABASE_UNAVAILABLE, retryable: true, http: { status: 503, headers: new Map([['retry-after', '5']]) } },
    });
  }
  throw error;
}
