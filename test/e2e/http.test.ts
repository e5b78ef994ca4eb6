import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../support/graphql.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer();
});
afterAll(async () => {
  await api?.stop();
});

describe('HTTP surface', () => {
  it('answers /healthz and /readyz, with the TensorFlow.js backend in readiness', async () => {
    const base = api.url.replace('/graphql', '');
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; migrations: string; tensorflowBackend: string };
    expect(body).toMatchObject({ status: 'ready', migrations: 'applied' });
    expect(['tensorflow', 'wasm', 'cpu']).toContain(body.tensorflowBackend);
  });

  it('reports pending migrations on /readyz', async () => {
    await api.database.pool.query(`UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = (SELECT max(migration_name) FROM _prisma_migrations)`);
    try {
      const ready = await fetch(api.url.replace('/graphql', '/readyz'));
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { pendingMigrations: string[] }).pendingMigrations).toHaveLength(1);
    } finally {
      await api.database.pool.query(`UPDATE _prisma_migrations SET rolled_back_at = NULL`);
    }
  });

  it('serves the Sandbox landing page on GET /graphql outside production', async () => {
    const page = await fetch(api.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/sandbox|apollo/i);
  });

  it('answers malformed JSON with a 400 and an error code, not a stack trace', async () => {
    const response = await api.post('{"query": "{ serviceInfo { version } }"');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBeTruthy();
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('gives parse and validation errors their Apollo codes', async () => {
    const parse = await api.gql('{ users { ');
    expect(parse.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const validation = await api.gql('{ users { noSuchField } }');
    expect(validation.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const missingVariable = await api.gql('query($n: Int!) { users(first: $n) { totalCount } }', {});
    expect(missingVariable.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('marks every GraphQL answer, data and errors alike, as not to be cached', async () => {
    const answered = await api.post(JSON.stringify({ query: '{ serviceInfo { version } }' }));
    expect(answered.status).toBe(200);
    expect(answered.headers.get('cache-control')).toBe('no-store');
    const refused = await api.post(JSON.stringify({ query: '{ users { noSuchField } }' }));
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });

  it('tells integrations its limits', async () => {
    const info = await api.gql(graphql(`query HttpServiceInfo { serviceInfo { version maxBatchSize maxPageSize } }`));
    expect(info.data!.serviceInfo).toMatchObject({ maxBatchSize: 10_000, maxPageSize: 100 });
  });
});
