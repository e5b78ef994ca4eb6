import { GraphQLError } from 'graphql';

/**
 * Stable `extensions.code` values. Clients switch on these; never rename one.
 * Apollo's own codes (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT for
 * variable coercion) pass through unchanged.
 */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  MODEL_NOT_READY: 'MODEL_NOT_READY',
  /** The model version was purged (trained on a customer erased since): it cannot be activated or loaded. */
  MODEL_PURGED: 'MODEL_PURGED',
  INSUFFICIENT_TRAINING_DATA: 'INSUFFICIENT_TRAINING_DATA',
  TOO_MANY_TRAINING_JOBS: 'TOO_MANY_TRAINING_JOBS',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  /** A write kept colliding with concurrent writes of the same rows; nothing was written, retrying is safe. */
  WRITE_CONFLICT: 'WRITE_CONFLICT',
  /** A statement of the request ran longer than DATABASE_STATEMENT_TIMEOUT_MS and was cancelled; narrow the request or retry later. */
  QUERY_TIMEOUT: 'QUERY_TIMEOUT',
  /** The answer would be larger than MAX_RESPONSE_SIZE; ask for fewer items or fields. */
  RESPONSE_TOO_LARGE: 'RESPONSE_TOO_LARGE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function userInputError(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...extensions } });
}

export function notFoundError(entity: string, reference: string): GraphQLError {
  return new GraphQLError(`${entity} ${reference} was not found.`, {
    extensions: { code: ErrorCode.NOT_FOUND, entity },
  });
}

export function conflictError(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.CONFLICT, ...extensions } });
}

export function batchTooLargeError(size: number, max: number): GraphQLError {
  return new GraphQLError(`A batch may hold at most ${max} rows; this one has ${size}. Split it into smaller batches.`, {
    extensions: { code: ErrorCode.BATCH_TOO_LARGE, maxBatchSize: max, batchSize: size },
  });
}

export function appError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}
