import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../../src/app/services.ts';
import { startTestServer, TEST_ADMIN_API_KEY, type TestServer } from '../../support/server.ts';
import { graphql } from '../../support/graphql.ts';

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer({ API_KEY_CACHE_SECONDS: '1' });
});
afterAll(async () => {
  await api?.stop();
});

const PING = graphql(`query ApiKeysPing { serviceInfo { version } }`);
const KEYS = graphql(`query ApiKeysIds { apiKeys { id } }`);

describe('authentication', () => {
  it('refuses a request without a key with HTTP 401 and UNAUTHENTICATED', async () => {
    const result = await api.gql(PING, {}, { 'x-api-key': '' });
    expect(result.status).toBe(401);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.errors?.[0]?.message).toMatch(/x-api-key/);
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' }); // no http details leak
    expect(result.data).toBeUndefined();
  });

  it('refuses unknown keys and malformed Authorization headers', async () => {
    const unknown = await api.gqlAs('mai_not-a-real-key', PING);
    expect(unknown.status).toBe(401);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const basic = await api.gql(PING, {}, { authorization: `Basic ${TEST_ADMIN_API_KEY}` });
    expect(basic.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('accepts ADMIN_API_KEY as x-api-key and as Authorization: Bearer', async () => {
    expect((await api.gqlAs(TEST_ADMIN_API_KEY, PING)).data).toEqual({ serviceInfo: { version: expect.any(String) } });
    const bearer = await api.gql(PING, {}, { authorization: `Bearer ${TEST_ADMIN_API_KEY}` });
    expect(bearer.status).toBe(200);
    expect(bearer.data).toEqual({ serviceInfo: { version: expect.any(String) } });
  });

  it('keeps /healthz and /readyz open', async () => {
    expect((await fetch(api.url.replace('/graphql', '/healthz'))).status).toBe(200);
    expect((await fetch(api.url.replace('/graphql', '/readyz'))).status).toBe(200);
  });
});

describe('API keys', () => {
  it('creates a key whose secret is shown once and stored only as a hash', async () => {
    const created = await api.gql(
      graphql(`mutation ApiKeysCreateApiKeyByNameAndRole { createApiKey(name: "crm sync", role: INTEGRATION) { secret apiKey { id name role prefix revokedAt } } }`),
    );
    const { secret, apiKey } = created.data!.createApiKey;
    expect(secret).toMatch(/^mai_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({ name: 'crm sync', role: 'INTEGRATION', prefix: secret.slice(0, 10), revokedAt: null });
    const stored = await api.database.pool.query(`SELECT secret_hash FROM api_keys WHERE id = $1`, [apiKey.id]);
    expect(stored.rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored.rows)).not.toContain(secret);
    const listed = await api.gql(graphql(`query ApiKeysApiKeys { apiKeys { id name role prefix } }`));
    expect(listed.data!.apiKeys).toContainEqual({ id: apiKey.id, name: 'crm sync', role: 'INTEGRATION', prefix: apiKey.prefix });
    expect(JSON.stringify(listed.data)).not.toContain(secret);
    // The new key works, with its role, and records when it was used.
    const asIntegration = await api.gqlAs(secret, PING);
    expect(asIntegration.status).toBe(200);
    expect((await api.gqlAs(secret, KEYS)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await expect.poll(async () => (await api.database.pool.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [apiKey.id])).rows[0].last_used_at).not.toBeNull();
  });

  it('stops accepting a revoked key (at once on this server)', async () => {
    const key = await api.createKey('ANALYST', 'to revoke');
    expect((await api.gqlAs(key.secret, PING)).status).toBe(200);
    const revoked = await api.gql(graphql(`mutation ApiKeysRevokeApiKeyById($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`), { id: key.id });
    expect(revoked.data?.revokeApiKey.revokedAt).toEqual(expect.any(String));
    const after = await api.gqlAs(key.secret, PING);
    expect(after.status).toBe(401);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // Revoking again is idempotent; an unknown id is NOT_FOUND.
    expect((await api.gql(graphql(`mutation ApiKeysRevokeApiKeyById2($id: ID!) { revokeApiKey(id: $id) { id } }`), { id: key.id })).errors).toBeUndefined();
    expect((await api.gql(graphql(`mutation ApiKeysRevokeApiKeyById3 { revokeApiKey(id: "00000000-0000-0000-0000-000000000000") { id } }`))).errors?.[0]?.extensions?.code).toBe(
      'NOT_FOUND',
    );
  });

  it('stops accepting a key revoked elsewhere within the cache window', async () => {
    const other = await startTestServer({ API_KEY_CACHE_SECONDS: '1' }, { database: api.database });
    try {
      const key = await api.createKey('ANALYST', 'revoked elsewhere');
      expect((await other.gqlAs(key.secret, PING)).status).toBe(200); // now cached by `other`
      await api.gql(graphql(`mutation ApiKeysRevokeApiKeyById4($id: ID!) { revokeApiKey(id: $id) { id } }`), { id: key.id });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await other.gqlAs(key.secret, PING)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await other.stop();
    }
  });

  it('creates a bootstrap ADMIN key once when there is no ADMIN_API_KEY and no ADMIN key', async () => {
    await api.database.pool.query(`UPDATE api_keys SET revoked_at = now() WHERE role = 'ADMIN'`);
    const services = createServices(api.database.prisma, { ...api.config, ADMIN_API_KEY: undefined });
    const first = await services.apiKeys.ensureBootstrapAdminKey();
    expect(first?.apiKey.role).toBe('ADMIN');
    expect(first?.secret).toMatch(/^mai_/);
    expect(await services.apiKeys.ensureBootstrapAdminKey()).toBeNull();
    expect((await api.gqlAs(first!.secret, KEYS)).errors).toBeUndefined();
    // With ADMIN_API_KEY set, nothing is created.
    expect(await createServices(api.database.prisma, api.config).apiKeys.ensureBootstrapAdminKey()).toBeNull();
  });
});

describe('audit log', () => {
  it('records every mutation root field with key, role, outcome and counts, never personal values', async () => {
    const integration = await api.createKey('INTEGRATION', 'audit sync');
    const analyst = await api.createKey('ANALYST', 'audit analyst');
    const write = await api.gqlAs(
      integration.secret,
      graphql(
        `mutation ApiKeysUpsertUsers { upsertUsers(input: [{ externalId: "audit-1", email: "secret.person@example.com", name: "Secret Person" }, { externalId: "" }]) { created failed } }`,
      ),
    );
    expect(write.data).toEqual({ upsertUsers: { created: 1, failed: 1 } });
    const denied = await api.gqlAs(analyst.secret, graphql(`mutation ApiKeysUpsertUsers2 { upsertUsers(input: []) { created } }`));
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await api.gqlAs(integration.secret, graphql(`mutation ApiKeysPingPing { a: ping b: ping }`));

    const PAGE = graphql(`query ApiKeysPage($filter: AuditLogFilter, $first: Int, $after: String) {
      auditLog(filter: $filter, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { id at keyId keyName role operation outcome errorCode counts requestId } }
      }
    }`);
    const byIntegration = await api.gql(PAGE, { filter: { keyId: integration.id } });
    expect(byIntegration.data!.auditLog.totalCount).toBe(3);
    const nodes = byIntegration.data!.auditLog.edges.map((edge) => edge.node);
    expect(nodes.map((node) => node.operation)).toEqual(['ping', 'ping', 'upsertUsers']);
    expect(nodes[2]).toMatchObject({
      keyId: integration.id,
      keyName: 'audit sync',
      role: 'INTEGRATION',
      outcome: 'OK',
      errorCode: null,
      counts: { created: 1, updated: 0, unchanged: 0, failed: 1 },
    });
    const failed = await api.gql(PAGE, { filter: { keyId: analyst.id, operation: 'upsertUsers' } });
    expect(failed.data!.auditLog.edges.map((edge) => edge.node)).toMatchObject([{ role: 'ANALYST', outcome: 'ERROR', errorCode: 'FORBIDDEN' }]);

    const all = await api.database.pool.query(`SELECT * FROM audit_log`);
    expect(JSON.stringify(all.rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toMatch(/secret\.person|Secret Person|audit-1/);

    // Paging and time filters.
    const first = await api.gql(PAGE, { first: 2 });
    expect(first.data!.auditLog.edges).toHaveLength(2);
    const next = await api.gql(PAGE, { first: 2, after: first.data!.auditLog.pageInfo.endCursor });
    expect(next.data!.auditLog.edges[0]!.node.id).not.toBe(first.data!.auditLog.edges[1]!.node.id);
    const future = await api.gql(PAGE, { filter: { from: new Date(Date.now() + 60_000).toISOString() } });
    expect(future.data!.auditLog.totalCount).toBe(0);
    expect((await api.gqlAs(analyst.secret, PAGE)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
