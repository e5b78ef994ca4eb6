import { getIntrospectionQuery, parse, type IntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_ADMIN_API_KEY, type TestServer } from '../support/server.ts';
import { graphql, type TypedDocumentNode } from '../support/graphql.ts';
import { README_QUERIES } from './readme-queries.ts';

// Built at run time, so typed by graphql-js rather than generated.
const INTROSPECTION: TypedDocumentNode<IntrospectionQuery, Record<string, never>> = parse(getIntrospectionQuery());
const SCHEMA_TYPES = graphql(`query LimitsSchemaTypes { __schema { types { name } } }`);

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer();
});
afterAll(async () => {
  await api?.stop();
});

/** Product → feedback → product → … : `levels` levels of fields below the root. */
function deepQuery(levels: number): string {
  let inner = 'name';
  let depth = 4; // products > edges > node > name
  while (depth < levels) {
    inner = `feedback(first: 1) { product { ${inner} } }`;
    depth += 2;
  }
  return `{ products(first: 1) { edges { node { ${inner} } } } }`;
}

const codes = (errors: { extensions?: Record<string, unknown> }[] | undefined) => (errors ?? []).map((error) => error.extensions?.code);

describe('query limits (defaults)', () => {
  it.each(Object.entries(README_QUERIES))('lets the README query %s through', async (_name, query) => {
    const result = await api.gql(query, { id: 'VHJhaW5pbmdKb2I6bm9uZQ', first: 25 });
    expect(codes(result.errors)).not.toContain('QUERY_TOO_COMPLEX');
    expect(codes(result.errors)).not.toContain('GRAPHQL_VALIDATION_FAILED');
  });

  it('lets the Sandbox introspection query through', async () => {
    const result = await api.gql(INTROSPECTION);
    expect(result.errors).toBeUndefined();
    expect(result.data!.__schema.types.length).toBeGreaterThan(20);
  });

  it('refuses a query deeper than QUERY_MAX_DEPTH with QUERY_TOO_COMPLEX (HTTP 400), and allows one at the limit', async () => {
    const ok = await api.gql(deepQuery(10));
    expect(codes(ok.errors)).not.toContain('QUERY_TOO_COMPLEX');
    const deep = await api.gql(deepQuery(12));
    expect(deep.status).toBe(400);
    expect(deep.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', queryLimit: 'depth', max: 10 });
    expect(deep.errors![0]!.message).toMatch(/depth limit of 10 exceeded/i);
    expect(deep.data).toBeUndefined();
  });

  it('refuses too many aliases', async () => {
    const query = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: serviceInfo { version }`).join(' ')} }`;
    const result = await api.gql(query);
    expect(result.status).toBe(400);
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', queryLimit: 'aliases' });
    const fine = await api.gql(`{ ${Array.from({ length: 30 }, (_, i) => `a${i}: serviceInfo { version }`).join(' ')} }`);
    expect(fine.errors).toBeUndefined();
  });

  it('refuses a too costly query (wide and nested), also when disguised as introspection (GHSA-733v-p3h5-qpq7)', async () => {
    // A campaign's products (maxPageSize) × their feedback (5) × product: ~1,100 units per repetition, 300 of them.
    const wide = `campaigns(first: 1) { edges { node { ${'products { feedback { product { name } } } '.repeat(300)} } } }`;
    for (const query of [`{ ${wide} }`, `query __schema { ${wide} }`, `{ ...__schema } fragment __schema on Query { ${wide} }`]) {
      const result = await api.gql(query);
      expect(result.status, query.slice(0, 60)).toBe(400);
      expect(codes(result.errors)).toContain('QUERY_TOO_COMPLEX');
      expect(result.errors!.find((error) => error.extensions?.code === 'QUERY_TOO_COMPLEX')!.extensions!.queryLimit).toBe('cost');
    }
  });

  it('refuses a depth bypass through a fragment named __schema', async () => {
    const query = `{ products(first: 1) { edges { node { feedback { product { feedback { ...__schema } } } } } } }
      fragment __schema on Feedback { product { feedback { product { feedback { product { name } } } } } }`;
    const result = await api.gql(query);
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', queryLimit: 'depth' });
  });

  it('refuses a document of more than QUERY_MAX_TOKENS tokens', async () => {
    const result = await api.gql(`{ ${'__typename '.repeat(10_001)} }`);
    expect(result.status).toBe(400);
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', queryLimit: 'tokens', max: 10_000 });
  });

  it('refuses too many directives', async () => {
    const result = await api.gql(`{ __typename ${'@include(if: true) '.repeat(51)} }`);
    expect(codes(result.errors)).toContain('QUERY_TOO_COMPLEX');
  });
});

describe('configurable limits', () => {
  it('follows QUERY_MAX_* from the configuration', async () => {
    const strict = await startTestServer({ QUERY_MAX_DEPTH: '3', QUERY_MAX_ALIASES: '1', QUERY_MAX_COST: '50', QUERY_MAX_TOKENS: '60' }, { database: api.database });
    try {
      expect((await strict.gql(`{ a: serviceInfo { version } b: serviceInfo { version } }`)).errors![0]!.extensions).toMatchObject({ queryLimit: 'aliases', max: 1 });
      expect((await strict.gql(`{ products { edges { node { name } } } }`)).errors![0]!.extensions).toMatchObject({ queryLimit: 'depth', max: 3 });
      expect((await strict.gql(`{ serviceInfo { ${'version '.repeat(60)} } }`)).errors![0]!.extensions).toMatchObject({ queryLimit: 'tokens', max: 60 });
      // The request cost model: 51 nodes cost 51 units.
      const ids = Array.from({ length: 51 }, (_, i) => `id${i}`);
      expect((await strict.gql(`query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids })).errors![0]!.extensions).toMatchObject({ queryLimit: 'cost', max: 50, cost: 51 });
      expect(codes((await strict.gql(`query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: ids.slice(0, 50) })).errors)).not.toContain('QUERY_TOO_COMPLEX');
      expect((await strict.gql(`{ __typename }`)).errors).toBeUndefined();
    } finally {
      await strict.stop();
    }
  });
});

describe('introspection, Sandbox, CSRF and CORS', () => {
  it('turns introspection and Sandbox off in production unless enabled', async () => {
    const production = await startTestServer({ NODE_ENV: 'production' }, { database: api.database });
    const enabled = await startTestServer({ NODE_ENV: 'production', ENABLE_INTROSPECTION: 'true', ENABLE_SANDBOX: 'true' }, { database: api.database });
    try {
      const refused = await production.gql(SCHEMA_TYPES);
      expect(refused.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(refused.errors![0]!.message).toMatch(/introspection/i);
      // Field suggestions would leak the schema where introspection is off.
      const typo = await production.gql(`{ serviceInf { version } }`);
      expect(typo.errors![0]!.message).not.toMatch(/Did you mean/);
      const page = await fetch(production.url, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toMatch(/new window\.EmbeddedSandbox/);

      const allowed = await enabled.gql(SCHEMA_TYPES);
      expect(allowed.errors).toBeUndefined();
      const sandbox = await fetch(enabled.url, { headers: { accept: 'text/html' } });
      expect(await sandbox.text()).toMatch(/new window\.EmbeddedSandbox/);
    } finally {
      await production.stop();
      await enabled.stop();
    }
  });

  it('refuses simple (CSRF-able) GET and form POST requests without a preflight header', async () => {
    const key = { 'x-api-key': TEST_ADMIN_API_KEY };
    const get = await fetch(`${api.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: key });
    expect(get.status).toBe(400);
    expect(await get.text()).toMatch(/Cross-Site Request Forgery/i);
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const post = await fetch(api.url, { method: 'POST', headers: { ...key, 'content-type': contentType }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(post.status, contentType).toBe(400);
      expect(await post.text()).toMatch(/Cross-Site Request Forgery/i);
    }
    // With a header that forces a preflight, GET queries work.
    const preflighted = await fetch(`${api.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { ...key, 'apollo-require-preflight': 'true' } });
    expect(preflighted.status).toBe(200);
  });

  it('allows any origin outside production, none in production, the listed ones when CORS_ORIGINS is set', async () => {
    const preflight = (url: string, origin: string) =>
      fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' } });
    expect((await preflight(api.url, 'https://anywhere.example')).headers.get('access-control-allow-origin')).toBe('*');
    const production = await startTestServer({ NODE_ENV: 'production' }, { database: api.database });
    const listed = await startTestServer({ NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' }, { database: api.database });
    try {
      expect((await preflight(production.url, 'https://app.example.com')).headers.get('access-control-allow-origin')).toBeNull();
      expect((await preflight(listed.url, 'https://app.example.com')).headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect((await preflight(listed.url, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await production.stop();
      await listed.stop();
    }
  });
});
