import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

// What a production server shows a prober: no schema names in error hints (introspection is off
// there) and no open /metrics.
const BAD_ENUM = '{ models(kind: TEXT_CLASSIFIR) { id } }';
const BAD_FIELD = '{ serviceInf { version } }';

describe('a production server', () => {
  let production: TestServer;
  let development: TestServer;
  beforeAll(async () => {
    production = await startTestServer({ NODE_ENV: 'production' });
    development = await startTestServer({ NODE_ENV: 'development' });
  });
  afterAll(async () => {
    await production?.stop();
    await development?.stop();
  });

  it('gives validation errors without "Did you mean" hints that spell out the schema', async () => {
    for (const query of [BAD_ENUM, BAD_FIELD]) {
      const refused = await production.gql(query);
      expect(refused.errors?.[0]?.extensions?.code, query).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(refused.errors?.[0]?.message, query).not.toMatch(/Did you mean|TEXT_CLASSIFIER|serviceInfo/);
      // Outside production (introspection on) the hint stays: it helps analysts in Sandbox.
      const hinted = await development.gql(query);
      expect(hinted.errors?.[0]?.message, query).toMatch(/Did you mean/);
    }
  });

  it('does not serve /metrics without METRICS_TOKEN', async () => {
    const metrics = await fetch(production.url.replace('/graphql', '/metrics'));
    expect(metrics.status).toBe(404);
    expect(((await metrics.json()) as { error: string }).error).toMatch(/METRICS_TOKEN/);
    expect((await fetch(development.url.replace('/graphql', '/metrics'))).status).toBe(200);
  });

  it('serves /metrics behind the token once METRICS_TOKEN is set', async () => {
    const tokened = await startTestServer({ NODE_ENV: 'production', METRICS_TOKEN: 'metrics-token-123' });
    try {
      const url = tokened.url.replace('/graphql', '/metrics');
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer metrics-token-123' } })).status).toBe(200);
    } finally {
      await tokened.stop();
    }
  });
});
