import { Writable } from 'node:stream';
import { print } from 'graphql';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { graphql } from '../support/graphql.ts';
import { startTestServer, TEST_ADMIN_API_KEY, TEST_DATA_ENCRYPTION_KEY, TEST_DATA_HASH_KEY, type TestServer } from '../support/server.ts';

// Rate limits, request ids, JSON logs and /metrics on a real server.
let database: TestDatabase;
let limited: TestServer;

beforeAll(async () => {
  database = await createTestDatabase();
  limited = await startTestServer({ RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_ROWS_PER_TOKEN: '2' }, { database });
});
afterAll(async () => {
  await limited?.stop();
  await database?.destroy();
});

const INFO = graphql(`query OperationsServiceInfo { serviceInfo { version } }`);

describe('rate limits per API key', () => {
  it('refuses a key past its limit with RATE_LIMITED, HTTP 429 and Retry-After; another key is unaffected', async () => {
    const a = await limited.createKey('INTEGRATION', 'rate a');
    const b = await limited.createKey('INTEGRATION', 'rate b');
    for (let i = 0; i < 5; i += 1) expect((await limited.gqlAs(a.secret, INFO)).errors).toBeUndefined();
    const response = await limited.post(JSON.stringify({ query: print(INFO) }), { 'x-api-key': a.secret });
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(12); // 5 a minute: one token every 12 s
    const body = (await response.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: retryAfter, limitPerMinute: 5 });
    expect(body.errors[0]!.message).toMatch(/rate limit/i);
    // Another key has its own bucket, and the ADMIN limit is separate.
    expect((await limited.gqlAs(b.secret, INFO)).errors).toBeUndefined();
    expect((await limited.gql(INFO)).errors).toBeUndefined();
  });

  it('charges bulk mutations 1 + rows / RATE_LIMIT_ROWS_PER_TOKEN tokens', async () => {
    const c = await limited.createKey('INTEGRATION', 'rate c');
    const rows = Array.from({ length: 8 }, (_, i) => ({ externalId: `rl-${i}`, name: 'Rate Limit' }));
    // 8 rows at 2 rows a token: 1 + 4 = 5 tokens, the whole bucket.
    const bulk = await limited.gqlAs(c.secret, graphql(`mutation OperationsUpsertProducts($input: [ProductInput!]!) { upsertProducts(input: $input) { created } }`), {
      input: rows,
    });
    expect(bulk.errors).toBeUndefined();
    const next = await limited.gqlAs(c.secret, INFO);
    expect(next.status).toBe(429);
    expect(next.errors![0]!.extensions!.code).toBe('RATE_LIMITED');
  });
});

describe('request ids, logs and metrics', () => {
  let server: RunningServer;
  let url: string;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    });
    const config = loadConfig({
      NODE_ENV: 'test',
      ADMIN_API_KEY: TEST_ADMIN_API_KEY,
      DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY,
      DATA_HASH_KEY: TEST_DATA_HASH_KEY,
      METRICS_TOKEN: 'metrics-secret-token',
    });
    server = await startServer({ config, database, databaseUrl: database.url, logger: pino({ level: 'info' }, stream), port: 0, host: '127.0.0.1' });
    url = server.url;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const send = (body: string, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': TEST_ADMIN_API_KEY, ...headers }, body });

  it('echoes a well-formed x-request-id and makes one otherwise', async () => {
    const given = await send(JSON.stringify({ query: print(INFO) }), { 'x-request-id': 'req-123.abc' });
    expect(given.headers.get('x-request-id')).toBe('req-123.abc');
    const made = await send(JSON.stringify({ query: print(INFO) }), { 'x-request-id': 'bad id with spaces {}' });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs one JSON line per request with id, operation, status, duration, SQL count and error codes, never variables', async () => {
    const secret = 'very.private.person@example.com';
    await send(
      JSON.stringify({
        query: `query FindUser($email: String!) { user(email: $email) { id } }`,
        operationName: 'FindUser',
        variables: { email: secret },
      }),
      { 'x-request-id': 'log-test-1' },
    );
    await send(JSON.stringify({ query: `query Broken { nope }` }), { 'x-request-id': 'log-test-2' });
    await send('{"query": ', { 'x-request-id': 'log-test-3' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const entry = lines.find((line) => line.requestId === 'log-test-1' && line.msg === 'graphql request');
    expect(entry).toMatchObject({ operation: 'FindUser', operationType: 'query', rootFields: ['user'], status: 200 });
    expect(entry!.durationMs).toBeTypeOf('number');
    expect(entry!.sqlStatements).toBeGreaterThan(0);
    expect(lines.find((line) => line.requestId === 'log-test-2')).toMatchObject({ status: 400, errorCodes: ['GRAPHQL_VALIDATION_FAILED'] });
    expect(lines.find((line) => line.requestId === 'log-test-3')).toMatchObject({ status: 400, errorCodes: ['BAD_REQUEST'] });
    expect(JSON.stringify(lines)).not.toContain(secret);
    expect(JSON.stringify(lines)).not.toContain('very.private');
  });

  it('serves Prometheus metrics on /metrics behind METRICS_TOKEN', async () => {
    await send(JSON.stringify({ query: `query Dashboard { campaigns(first: 2) { totalCount } }`, operationName: 'Dashboard' }));
    await send(JSON.stringify({ query: `{ serviceInfo { version } }` }));
    const metricsUrl = url.replace('/graphql', '/metrics');
    expect((await fetch(metricsUrl)).status).toBe(401);
    expect((await fetch(metricsUrl, { headers: { authorization: 'Bearer wrong-token-xxxxx' } })).status).toBe(401);
    const response = await fetch(metricsUrl, { headers: { authorization: 'Bearer metrics-secret-token' } });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/graphql_request_duration_seconds_bucket\{[^}]*operation="Dashboard"/);
    expect(text).toMatch(/graphql_request_duration_seconds_count\{operation="\(anonymous query\)",status="200"\} \d+/);
    expect(text).toMatch(/graphql_errors_total\{code="GRAPHQL_VALIDATION_FAILED"\} [1-9]/);
    expect(text).toMatch(/graphql_sql_statements_per_request_count [1-9]/);
    expect(text).toMatch(/training_jobs\{status="QUEUED"\} 0/);
    expect(text).toMatch(/model_versions_active/);
    expect(text).toMatch(/process_cpu_user_seconds_total/);
    expect(text).toMatch(/nodejs_eventloop_lag_seconds/);
  });
});
