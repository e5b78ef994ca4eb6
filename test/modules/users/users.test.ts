import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type GraphQLResponse, type TestServer } from '../../support/server.ts';
import { graphql, unchecked, type ResultOf } from '../../support/graphql.ts';

const UPSERT = graphql(`mutation UsersUpsert($input: [UserInput!]!) {
  upsertUsers(input: $input) { created updated unchanged failed errors { index externalId code message field } }
}`);
const PAGE = graphql(`query UsersPage($first: Int, $after: String, $filter: UserFilter) {
  users(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id externalId email name marketingConsent attributes } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`);

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer();
});
afterAll(async () => {
  await api?.stop();
});

describe('upsertUsers', () => {
  it('creates, then reports a re-sent batch as unchanged', async () => {
    const input = [
      { externalId: 'crm-1', email: 'Ann@Example.com', name: 'Ann Lee', marketingConsent: true, attributes: { city: 'Shanghai', tier: null } },
      { externalId: 'crm-2', email: 'bob@example.com', name: 'Bob' },
    ];
    const first = await api.gql(UPSERT, { input });
    expect(first.data).toEqual({ upsertUsers: { created: 2, updated: 0, unchanged: 0, failed: 0, errors: [] } });
    const again = await api.gql(UPSERT, { input });
    expect(again.data).toEqual({ upsertUsers: { created: 0, updated: 0, unchanged: 2, failed: 0, errors: [] } });
    const stored = await api.gql(graphql(`query UsersUserByExternalId { user(externalId: "crm-1") { email attributes } }`));
    expect(stored.data?.user).toEqual({ email: 'ann@example.com', attributes: { city: 'Shanghai', tier: null } });
  });

  it('keeps omitted fields, clears fields sent as null, and counts the update', async () => {
    const result = await api.gql(UPSERT, { input: [{ externalId: 'crm-2', name: null, marketingConsent: true }] });
    expect(result.data).toEqual({ upsertUsers: { created: 0, updated: 1, unchanged: 0, failed: 0, errors: [] } });
    const stored = await api.gql(graphql(`query UsersUserByExternalId2 { user(externalId: "crm-2") { email name marketingConsent } }`));
    expect(stored.data?.user).toEqual({ email: 'bob@example.com', name: null, marketingConsent: true });
  });

  it('refuses bad rows by index and still writes the good ones', async () => {
    const result = await api.gql(UPSERT, {
      input: [
        { externalId: 'crm-3', email: 'not-an-email' },
        { externalId: 'crm-4', email: 'dee@example.com' },
        { externalId: '   ' },
        { externalId: 'crm-5', email: 'ann@example.com' },
        { externalId: 'crm-4', name: 'twice' },
        { externalId: 'crm-6', name: 'x'.repeat(201) },
      ],
    });
    const { created, failed, errors } = result.data!.upsertUsers;
    expect(created).toBe(1);
    expect(failed).toBe(5);
    expect(errors.map((e) => [e.index, e.code, e.field])).toEqual([
      [0, 'BAD_USER_INPUT', 'email'],
      [2, 'BAD_USER_INPUT', 'externalId'],
      [3, 'CONFLICT', 'email'],
      [4, 'CONFLICT', 'externalId'],
      [5, 'BAD_USER_INPUT', 'name'],
    ]);
    const missing = await api.gql(graphql(`query UsersUserByExternalId3 { user(externalId: "crm-3") { id } }`));
    expect(missing.data?.user).toBeNull();
  });

  it('refuses a batch larger than the documented maximum with BATCH_TOO_LARGE', async () => {
    const small = await startTestServer({ MAX_BATCH_SIZE: '3' });
    try {
      const input = Array.from({ length: 4 }, (_, i) => ({ externalId: `big-${i}` }));
      const result = await small.gql(UPSERT, { input });
      expect(result.errors?.[0]?.extensions?.code).toBe('BATCH_TOO_LARGE');
      expect(result.errors?.[0]?.extensions?.maxBatchSize).toBe(3);
      const count = await small.gql(graphql(`query UsersUsers { users { totalCount } }`));
      expect(count.data?.users.totalCount).toBe(0);
    } finally {
      await small.stop();
    }
  });

  it('rejects wrongly typed variables before anything is written', async () => {
    const result = await api.gql(unchecked(UPSERT), { input: [{ externalId: 'crm-9', marketingConsent: 'yes' }] });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const missing = await api.gql(graphql(`query UsersUserByExternalId4 { user(externalId: "crm-9") { id } }`));
    expect(missing.data?.user).toBeNull();
  });
});

describe('users connection', () => {
  beforeAll(async () => {
    const input = Array.from({ length: 25 }, (_, i) => ({
      externalId: `page-${String(i).padStart(2, '0')}`,
      name: i % 2 ? 'Odd Person' : 'Even Person',
      marketingConsent: i % 5 === 0,
    }));
    for (const row of input) await api.gql(UPSERT, { input: [row] }); // distinct createdAt order
  });

  it('walks every page exactly once, newest first', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      type Page = ResultOf<typeof PAGE>;
      const result: GraphQLResponse<Page> = await api.gql(PAGE, { first: 10, after, filter: { search: 'page-' } });
      const connection: Page['users'] = result.data!.users;
      seen.push(...connection.edges.map((edge) => edge.node.externalId));
      pages += 1;
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen[0]).toBe('page-24');
    expect(seen.at(-1)).toBe('page-00');
  });

  it('filters and counts', async () => {
    const result = await api.gql(PAGE, {
      first: 100,
      filter: { search: 'page-', marketingConsent: true },
    });
    expect(result.data?.users.totalCount).toBe(5);
    expect(result.data?.users.edges).toHaveLength(5);
  });

  it('returns an empty page with null cursors when nothing matches', async () => {
    const result = await api.gql(PAGE, { first: 5, filter: { search: 'nobody-has-this' } });
    expect(result.data?.users).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });

  it('rejects an invalid cursor and an out-of-range page size with BAD_USER_INPUT', async () => {
    const badCursor = await api.gql(PAGE, { first: 5, after: 'not-a-cursor' });
    expect(badCursor.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const tooMany = await api.gql(PAGE, { first: 10_000 });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const negative = await api.gql(PAGE, { first: -1 });
    expect(negative.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('single lookups', () => {
  it('finds a user by global id, by externalId and through node()', async () => {
    const byExternal = await api.gql(graphql(`query UsersUserByExternalId5 { user(externalId: "crm-1") { id } }`));
    const id = byExternal.data!.user!.id;
    const byId = await api.gql(graphql(`query UsersUserById($id: ID!) { user(id: $id) { externalId } }`), { id });
    expect(byId.data?.user?.externalId).toBe('crm-1');
    const node = await api.gql(graphql(`query UsersNodeById($id: ID!) { node(id: $id) { __typename ... on User { externalId } } }`), { id });
    expect(node.data?.node).toEqual({ __typename: 'User', externalId: 'crm-1' });
  });

  it('answers null for unknown ids and BAD_USER_INPUT for malformed or ambiguous lookups', async () => {
    const unknown = await api.gql(graphql(`query UsersNodeById2 { node(id: "VXNlcjowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA") { id } }`));
    expect(unknown.data?.node).toBeNull();
    const malformed = await api.gql(graphql(`query UsersUserById2 { user(id: "garbage") { id } }`));
    expect(malformed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const both = await api.gql(graphql(`query UsersUserByIdAndExternalId { user(id: "x", externalId: "y") { id } }`));
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
