import type { IncomingHttpHeaders } from 'node:http';
import { GraphQLError } from 'graphql';
import type { Viewer } from './viewer.ts';
import { ErrorCode } from '../../graphql/errors.ts';

/** The API key of a request: `x-api-key: <key>` or `Authorization: Bearer <key>`. */
export function apiKeyFromHeaders(headers: IncomingHttpHeaders): string | null {
  const direct = headers['x-api-key'];
  const value = Array.isArray(direct) ? direct[0] : direct;
  if (value?.trim()) return value.trim();
  const authorization = headers.authorization;
  const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  return bearer ? bearer[1]! : null;
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: ErrorCode.UNAUTHENTICATED,
      http: { status: 401, headers: new Map([['www-authenticate', 'Bearer realm="graphql", charset="UTF-8"']]) },
    },
  });
}

/**
 * Authenticates a GraphQL request by its API key (thrown from Apollo's context function, so the
 * response is HTTP 401 with code UNAUTHENTICATED and nothing is executed).
 */
export async function authenticateRequest(headers: IncomingHttpHeaders, apiKeys: { authenticate(secret: string): Promise<Viewer | null> }): Promise<Viewer> {
  const secret = apiKeyFromHeaders(headers);
  if (!secret) {
    throw unauthenticated('An API key is required: send it as the `x-api-key` header (or `Authorization: Bearer <key>`).');
  }
  if (secret.length > 200) throw unauthenticated('The API key is not valid.');
  const viewer = await apiKeys.authenticate(secret);
  if (!viewer) throw unauthenticated('The API key is not valid: it is unknown or has been revoked.');
  return viewer;
}
