import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatError } from '../../src/graphql/format-error.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Automatic persisted queries (Apollo's APQ, on by default) sent wrong by a careless or hostile
// client: every answer is a client error with a stable code, never a 5xx or INTERNAL_SERVER_ERROR.

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer({ RATE_LIMIT_ADMIN_PER_MINUTE: '0', WORKER_MODE: 'off' });
}, 120_000);
afterAll(async () => {
  await api?.stop();
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function send(body: unknown): Promise<Answer> {
  const response = await api.post(JSON.stringify(body));
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const codes = (answer: Answer) => (answer.body.errors ?? []).map((error) => error.extensions?.code);

describe('automatic persisted queries sent wrong', () => {
  it('refuses a hash that does not match the query text: HTTP 400, PERSISTED_QUERY_HASH_MISMATCH, nothing run', async () => {
    const query = 'mutation PersistedMismatch { ping }';
    const answer = await send({ query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256('mutation Other { ping }') } } });
    expect(answer.status).toBe(400);
    expect(codes(answer)).toEqual(['PERSISTED_QUERY_HASH_MISMATCH']);
    expect(answer.body.errors![0]!.message).toMatch(/^provided sha does not match query/);
    expect(answer.body.data).toBeUndefined();
    // Not registered under the wrong hash either.
    const lookup = await send({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256('mutation Other { ping }') } } });
    expect(codes(lookup)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('refuses a hash that is not a string (number, object, empty) beside a query the same way', async () => {
    for (const sha256Hash of [12345, { hash: 'x' }, '', sha256('{ __typename }').toUpperCase()]) {
      const answer = await send({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash } } });
      expect({ sha256Hash, status: answer.status, codes: codes(answer) }).toEqual({ sha256Hash, status: 400, codes: ['PERSISTED_QUERY_HASH_MISMATCH'] });
    }
  });

  it("answers an unknown hash sent alone with PERSISTED_QUERY_NOT_FOUND (Apollo's HTTP 200), then runs it once registered", async () => {
    const query = '{ serviceInfo { version } }';
    const hash = sha256(query);
    const miss = await send({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(miss.status).toBe(200);
    expect(codes(miss)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const register = await send({ query, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(register.status).toBe(200);
    expect(register.body.errors).toBeUndefined();
    const hit = await send({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(hit.status).toBe(200);
    expect(hit.body).toEqual(register.body);
  });

  it('answers a malformed hash sent alone (number, object, missing) with PERSISTED_QUERY_NOT_FOUND, not a server error', async () => {
    for (const persistedQuery of [{ version: 1, sha256Hash: 12345 }, { version: 1, sha256Hash: { a: 1 } }, { version: 1 }]) {
      const answer = await send({ extensions: { persistedQuery } });
      expect({ persistedQuery, status: answer.status, codes: codes(answer) }).toEqual({ persistedQuery, status: 200, codes: ['PERSISTED_QUERY_NOT_FOUND'] });
    }
  });

  it('refuses an unknown persisted-query version, or a persistedQuery that is no object, with HTTP 400 BAD_REQUEST', async () => {
    const query = '{ __typename }';
    for (const persistedQuery of [{ version: 2, sha256Hash: sha256(query) }, { version: '1', sha256Hash: sha256(query) }, { sha256Hash: sha256(query) }, 'yes', 1]) {
      const answer = await send({ query, extensions: { persistedQuery } });
      expect({ persistedQuery, status: answer.status, codes: codes(answer) }).toEqual({ persistedQuery, status: 400, codes: ['BAD_REQUEST'] });
      expect(answer.body.errors![0]!.message).toBe('Unsupported persisted query version');
    }
  });

  it('keeps answering after all of it', async () => {
    const answer = await send({ query: 'mutation PersistedPing { ping }' });
    expect(answer).toEqual({ status: 200, body: { data: { ping: true } } });
  });
});

describe("formatError on errors of Apollo's request pipeline", () => {
  const enriched = (error: GraphQLError) => ({ message: error.message, extensions: { code: error.extensions.code ?? 'INTERNAL_SERVER_ERROR' } });

  it('keeps the code Apollo gave (PERSISTED_QUERY_NOT_SUPPORTED, when persisted queries are off)', () => {
    // As Apollo's PersistedQueryNotSupportedError builds it (internalErrorClasses.js).
    const error = new GraphQLError('PersistedQueryNotSupported', {
      extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED', http: { status: 200, headers: new Map([['cache-control', 'private, no-cache, must-revalidate']]) } },
    });
    expect(formatError(enriched(error), error)).toEqual({ message: 'PersistedQueryNotSupported', extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' } });
  });

  it('gives a code-less error Apollo raised with an HTTP 4xx the code BAD_REQUEST, keeping its message', () => {
    const error = new GraphQLError('Some request Apollo refused', { extensions: { http: { status: 400, headers: new Map() } } });
    expect(formatError(enriched(error), error)).toEqual({ message: 'Some request Apollo refused', extensions: { code: 'BAD_REQUEST' } });
  });

  it('leaves a code-less error of a resolver (it has a path) INTERNAL_SERVER_ERROR without details', () => {
    const error = new GraphQLError('secret detail', { path: ['field'], extensions: { http: { status: 400, headers: new Map() } } });
    expect(formatError(enriched(error), error)).toMatchObject({ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });
});
