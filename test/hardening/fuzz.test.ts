import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom, type Random } from '../../src/ml/shared/random.ts';
import { seedDataset } from '../../src/seed/demo.ts';
import { createServices } from '../../src/app/services.ts';
import { graphql } from '../support/graphql.ts';
import { startTestServer, TEST_ADMIN_API_KEY, type TestServer } from '../support/server.ts';

// Bounded, deterministic fuzzing of the running server: 1,200 malformed requests from a seeded
// PRNG (same requests every run), 8 at a time. Only reads and invalid writes are sent, so no
// stored row may change. audit_log (refused mutations are audited on purpose) and api_keys
// (last_used_at) are left out of the comparison.
const SEED = 20_260_517;
const REQUESTS = 1_200;
const CONCURRENCY = 8;
const BODY_LIMIT = 256 * 1024;
const USER_COUNT = graphql(`query FuzzUserCount { users { totalCount } }`);

let api: TestServer;
let seeded: { userIds: string[]; productIds: string[] };

beforeAll(async () => {
  // LOG_LEVEL error: an unexpected server error is printed with its stack, so a failure names its cause.
  api = await startTestServer({ RATE_LIMIT_ADMIN_PER_MINUTE: '0', MAX_BODY_SIZE: '256kb', WORKER_MODE: 'off', LOG_LEVEL: 'error' });
  await seedDataset(createServices(api.database.prisma, api.config), { users: 40, products: 30, interactions: 400, feedback: 60, campaigns: 4 });
  const ids = await api.gql(graphql(`query FuzzSeededIds { users(first: 5) { edges { node { id } } } products(first: 5) { edges { node { id } } } }`));
  seeded = { userIds: ids.data!.users.edges.map((edge) => edge.node.id), productIds: ids.data!.products.edges.map((edge) => edge.node.id) };
}, 180_000);
afterAll(async () => {
  await api?.stop();
});

async function checksums(): Promise<Record<string, string>> {
  const { rows: tables } = await api.database.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('audit_log', 'api_keys', 'rate_limit_buckets')
     ORDER BY table_name`,
  );
  const result: Record<string, string> = {};
  for (const { table_name: table } of tables) {
    const { rows } = await api.database.pool.query<{ count: string; md5: string | null }>(
      `SELECT count(*) AS count, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS md5 FROM "${table}" t`,
    );
    result[table] = `${rows[0]!.count}:${rows[0]!.md5}`;
  }
  return result;
}

interface FuzzRequest {
  kind: string;
  method?: 'GET' | 'POST';
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));

function garbageString(random: Random, length = int(random, 0, 40)): string {
  const alphabet = 'abcXYZ019 _-:/+=!@#$%^&*(){}[]"\'\\\n\t送货太慢é\u0000\u202e😀';
  return Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
}

function garbageValue(random: Random, depth = 0): unknown {
  switch (int(random, 0, depth > 2 ? 5 : 8)) {
    case 0:
      return int(random, -1e9, 1e9);
    case 1:
      return random() * 1e12 - 5e11;
    case 2:
      return garbageString(random);
    case 3:
      return random() < 0.5;
    case 4:
      return null;
    case 5:
      return pick(random, [Number.MAX_SAFE_INTEGER, -0, 1e308, 2 ** 31, -(2 ** 31) - 1]);
    case 6:
      return Array.from({ length: int(random, 0, 4) }, () => garbageValue(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: int(random, 0, 4) }, () => [garbageString(random, int(random, 1, 8)), garbageValue(random, depth + 1)]));
  }
}

const randomUuid = (random: Random) =>
  Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16))
    .join('')
    .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');

/** Strings that are not global IDs of stored rows: garbage, wrong types, unknown UUIDs, bad base64. */
function badGlobalId(random: Random): string {
  const choices = [
    () => garbageString(random),
    () => Buffer.from(`${pick(random, ['User', 'Product', 'Campaign', 'Feedback', 'ModelVersion', 'TrainingJob', 'Nope', ''])}:${garbageString(random, 10)}`).toString('base64'),
    () => Buffer.from(`User:${randomUuid(random)}`).toString('base64url'),
    () => Buffer.from(`Product:00000000-0000-0000-0000-${String(int(random, 0, 999_999)).padStart(12, '0')}`).toString('base64'),
    () => '!!!not-base64!!!',
    () => '',
    () => 'VXNlcjo=',
    () => `${pick(random, ['A', '%', '-', 'zz'])}${seeded.userIds[0] ?? 'x'}`,
  ];
  return pick(random, choices)();
}

function deepQuery(levels: number): string {
  let inner = 'name';
  for (let depth = 4; depth < levels; depth += 2) inner = `feedback(first: 1) { product { ${inner} } }`;
  return `{ products(first: 1) { edges { node { ${inner} } } } }`;
}

const gqlBody = (query: string, variables?: unknown, operationName?: unknown) => JSON.stringify({ query, variables, operationName });

const MUTATIONS: ((random: Random) => string)[] = [
  // Wrong types, missing required fields, unknown enum values: refused before execution.
  (r) =>
    gqlBody(`mutation($input: [UserInput!]!) { upsertUsers(input: $input) { created } }`, { input: [{ externalId: pick(r, [1, true, null, {}, []]), email: garbageValue(r) }] }),
  (r) => gqlBody(`mutation($input: [ProductInput!]!) { upsertProducts(input: $input) { created } }`, { input: [{ name: garbageString(r) }] }),
  (r) =>
    gqlBody(`mutation($input: [ProductInput!]!) { upsertProducts(input: $input) { created } }`, {
      input: garbageValue(r) === null ? null : [{ externalId: `fz-${garbageString(r, 6)}`, name: 'x', price: garbageString(r, 5) + 'x' }],
    }),
  (r) =>
    gqlBody(`mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) { created } }`, {
      input: [{ userExternalId: 'fz', productExternalId: 'fz', type: pick(r, ['HACK', 'view', '', 'DROP TABLE']), occurredAt: garbageString(r) }],
    }),
  (r) => gqlBody(`mutation { submitFeedback(input: [{ channel: ${pick(r, ['EMAIL_SPAM', '"REVIEW"', '1', 'null'])}, text: "x" }]) { created } }`),
  (r) => gqlBody(`mutation($input: [FeedbackLabelAssignment!]!) { labelFeedback(input: $input) { created } }`, { input: [garbageValue(r)] }),
  (_r) => gqlBody(`mutation($input: [CampaignInput!]!) { upsertCampaigns(input: $input) { created } }`, { input: [{ externalId: 5, name: null }] }),
  (r) =>
    gqlBody(`mutation($input: [CampaignMetricInput!]!) { recordCampaignMetrics(input: $input) { created } }`, {
      input: [{ date: garbageString(r), impressions: garbageString(r, 3) + 'x' }],
    }),
  (r) => gqlBody(`mutation { createApiKey(name: ${pick(r, ['1', 'null', 'true'])}, role: ${pick(r, ['ROOT', 'admin', '"ADMIN"'])}) { secret } }`),
  // Executed, but aimed at nothing that exists or refused by validation: no row may change.
  (r) => gqlBody(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: badGlobalId(r) }),
  (r) => gqlBody(`mutation($id: ID!) { activateModel(id: $id) { id } }`, { id: badGlobalId(r) }),
  (r) =>
    gqlBody(`mutation($id: ID, $e: String) { eraseUser(id: $id, externalId: $e) { erased } }`, r() < 0.5 ? { id: badGlobalId(r) } : { e: `fz-missing-${garbageString(r, 8)}` }),
  (r) =>
    gqlBody(`mutation($task: String!) { trainModel(kind: TEXT_CLASSIFIER, task: $task, hyperparameters: { epochs: 1 }) { id } }`, { task: `!${garbageString(r, 20)} INVALID` }),
  (r) => gqlBody(`mutation { trainModel(kind: ${pick(r, ['GPT', 'text_classifier', '"TEXT_CLASSIFIER"'])}, task: "sentiment") { id } }`),
  (r) => gqlBody(`mutation($h: JSONObject) { trainModel(kind: RECOMMENDER, task: "Bad Task", hyperparameters: $h) { id } }`, { h: garbageValue(r) }),
  (r) => gqlBody(`mutation($t: String!) { reclassifyFeedback(task: $t) { queued } }`, { t: pick(r, [garbageString(r), '', 'UPPER CASE', 'x'.repeat(500)]) }),
];

function generate(random: Random, index: number): FuzzRequest {
  const category = index % 14;
  switch (category) {
    case 0: {
      // wrong variable types
      const [query, name] = pick(random, [
        [`query($n: Int) { users(first: $n) { totalCount } }`, 'n'],
        [`query($n: Int!) { products(first: $n) { totalCount } }`, 'n'],
        [`query($f: CampaignFilter) { campaigns(first: 2, filter: $f) { totalCount } }`, 'f'],
        [`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, 'ids'],
        [`query($t: [String!]!) { classify(task: "sentiment", texts: $t) { results { label } } }`, 't'],
      ] as const);
      return { kind: 'wrong-types', body: gqlBody(query, { [name]: garbageValue(random) }) };
    }
    case 1: // missing or malformed variables
      return {
        kind: 'missing-variables',
        body: pick(random, [
          gqlBody(`query($id: ID!) { node(id: $id) { id } }`, {}),
          gqlBody(`query($id: ID!) { node(id: $id) { id } }`, garbageString(random)),
          gqlBody(`query($a: String!, $b: Int!) { user(externalId: $a) { id } products(first: $b) { totalCount } }`, { a: 'x' }),
          gqlBody(`query { node(id: $undeclared) { id } }`),
          gqlBody(`{ users(first: 1) { totalCount } }`, [1, 2, 3]),
        ]),
      };
    case 2: {
      // huge strings, under the body limit
      const huge = garbageString(random, int(random, 20_000, 60_000));
      return {
        kind: 'huge-string',
        body: pick(random, [
          gqlBody(`query($s: String) { users(first: 1, filter: { search: $s }) { totalCount } }`, { s: huge }),
          gqlBody(`query($s: String) { user(externalId: $s) { id } }`, { s: huge }),
          gqlBody(`query($s: String!) { node(id: $s) { id } }`, { s: huge }),
          gqlBody(`query($s: String!) { classify(task: $s, texts: ["a"]) { results { label } } }`, { s: huge }),
          gqlBody(`{ product(externalId: ${JSON.stringify(huge)}) { id } }`),
        ]),
      };
    }
    case 3: // over the body limit
      return { kind: 'over-limit', body: gqlBody(`{ users(first: 1) { totalCount } }`, { pad: 'x'.repeat(BODY_LIMIT + int(random, 1, 200_000)) }) };
    case 4: {
      // deep and wide queries
      const shape = int(random, 0, 4);
      const query =
        shape === 0
          ? deepQuery(int(random, 12, 80))
          : shape === 1
            ? `{ ${Array.from({ length: int(random, 31, 300) }, (_, i) => `a${i}: serviceInfo { version }`).join(' ')} }`
            : shape === 2
              ? `{ campaigns(first: 1) { edges { node { ${'products { feedback { product { name } } } '.repeat(int(random, 250, 900))} } } } }`
              : shape === 3
                ? `${'{ a '.repeat(int(random, 50, 3000))}${'}'.repeat(int(random, 0, 3000))}`
                : `{ serviceInfo { ${'version '.repeat(int(random, 10_001, 20_000))} } }`;
      return { kind: 'deep-wide', body: gqlBody(query) };
    }
    case 5: {
      // invalid cursors and page sizes
      const field = pick(random, ['users', 'products', 'campaigns', 'feedback', 'interactions', 'auditLog']);
      const after = pick(random, [garbageString(random), Buffer.from(garbageString(random)).toString('base64'), Buffer.from('{"id":"x"}').toString('base64'), '', 'null']);
      const first = pick(random, [2, -1, 0, 101, 1_000_000, 2 ** 31 - 1]);
      return { kind: 'invalid-cursor', body: gqlBody(`query($a: String, $f: Int) { ${field}(first: $f, after: $a) { totalCount edges { cursor } } }`, { a: after, f: first }) };
    }
    case 6: {
      // invalid global IDs
      const field = pick(random, ['node', 'user', 'product', 'campaign', 'feedbackItem', 'interaction', 'model', 'trainingJob']);
      const id = badGlobalId(random);
      return field === 'node' && random() < 0.3
        ? { kind: 'invalid-id', body: gqlBody(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [id, badGlobalId(random), seeded.productIds[0]] }) }
        : { kind: 'invalid-id', body: gqlBody(`query($id: ID!) { ${field}(id: $id) { id } }`, { id }) };
    }
    case 7: {
      // invalid JSON
      const valid = gqlBody(`{ users(first: 1) { totalCount } }`);
      return {
        kind: 'invalid-json',
        body: pick(random, [
          valid.slice(0, int(random, 0, valid.length - 1)),
          garbageString(random, int(random, 1, 200)),
          `{"query": "{ users { totalCount } }",}`,
          `{'query': '{ __typename }'}`,
          '\u0000\u0001\u0002',
          `{"query": "\\uZZZZ"}`,
          '',
        ]),
      };
    }
    case 8: {
      // wrong content types
      const contentType = pick(random, [
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=zz',
        'application/json; charset=latin1',
        'application/graphql',
        '',
      ]);
      return { kind: 'content-type', headers: { 'content-type': contentType }, body: pick(random, [gqlBody(`{ users(first: 1) { totalCount } }`), 'query={__typename}', '<q/>']) };
    }
    case 9:
    case 10: // garbage mutations
      return { kind: 'mutation', body: pick(random, MUTATIONS)(random) };
    case 11: // JSON that is not a GraphQL request
      return {
        kind: 'bad-shape',
        body: pick(random, [
          '[]',
          '[{"query":"{ __typename }"}]',
          '"query"',
          '42',
          'null',
          'true',
          JSON.stringify({ query: garbageValue(random) }),
          JSON.stringify({ query: '{ __typename }', operationName: garbageValue(random) === null ? 5 : { x: 1 } }),
          JSON.stringify({ query: '{ __typename }', extensions: garbageString(random) }),
          JSON.stringify({ query: 'query A { __typename } query B { __typename }' }),
          JSON.stringify({ query: 'query A { __typename }', operationName: 'Missing' }),
          JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: garbageString(random) } } }),
        ]),
      };
    case 12: {
      // garbage GraphQL documents
      const tokens = ['{', '}', '(', ')', 'query', 'mutation', 'users', 'node', '$x', ':', '...', 'on', '@skip', '"str"', '123', 'fragment', garbageString(random, 5)];
      return { kind: 'garbage-document', body: gqlBody(Array.from({ length: int(random, 1, 60) }, () => pick(random, tokens)).join(' ')) };
    }
    default: {
      // GET with odd parameters (preflight header set, so CSRF prevention lets them through)
      const query = pick(random, ['{ users(first: 1) { totalCount } }', 'mutation { ping }', garbageString(random), deepQuery(20)]);
      const params = new URLSearchParams({ query, variables: pick(random, ['{', '[]', '{"a":1}', garbageString(random)]) });
      return { kind: 'get', method: 'GET', path: `?${params.toString()}`, headers: { 'apollo-require-preflight': 'true' } };
    }
  }
}

describe('fuzzing the running server', () => {
  it(`survives ${REQUESTS} malformed requests: no 500, every error with a code, no stored row changed`, async () => {
    const before = await checksums();
    const usersBefore = (await api.gql(USER_COUNT)).data!.users.totalCount;
    expect(Object.keys(before).length).toBeGreaterThan(8);
    const random = createRandom(SEED);
    const requests = Array.from({ length: REQUESTS }, (_, i) => generate(random, i));
    const problems: string[] = [];
    const statuses = new Map<string, number>();
    let next = 0;
    const workerLoop = async () => {
      while (next < requests.length) {
        const index = next++;
        const request = requests[index]!;
        const headers: Record<string, string> = { 'x-api-key': TEST_ADMIN_API_KEY, 'content-type': 'application/json', ...request.headers };
        if (headers['content-type'] === '') delete headers['content-type'];
        let status: number;
        let text: string;
        try {
          const response = await fetch(`${api.url}${request.path ?? ''}`, { method: request.method ?? 'POST', headers, body: request.method === 'GET' ? undefined : request.body });
          status = response.status;
          text = await response.text();
        } catch (error) {
          problems.push(`#${index} ${request.kind}: request failed: ${(error as Error).message}`);
          continue;
        }
        statuses.set(`${request.kind} ${status}`, (statuses.get(`${request.kind} ${status}`) ?? 0) + 1);
        if (status >= 500) problems.push(`#${index} ${request.kind}: HTTP ${status}: ${text.slice(0, 300)}`);
        let body = null as { errors?: { extensions?: { code?: unknown } }[] } | null;
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          problems.push(`#${index} ${request.kind}: HTTP ${status}, body is not JSON: ${text.slice(0, 200)}`);
          continue;
        }
        if (status >= 400 && !body?.errors?.length) problems.push(`#${index} ${request.kind}: HTTP ${status} without errors`);
        for (const error of body?.errors ?? []) {
          if (typeof error.extensions?.code !== 'string') problems.push(`#${index} ${request.kind}: error without a code: ${JSON.stringify(error).slice(0, 300)}`);
          if (error.extensions?.code === 'INTERNAL_SERVER_ERROR')
            problems.push(`#${index} ${request.kind}: INTERNAL_SERVER_ERROR: ${(request.body ?? request.path ?? '').slice(0, 300)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, workerLoop));
    expect(problems, `${problems.length} problems; statuses: ${JSON.stringify([...statuses].sort())}`).toEqual([]);

    // Every category was exercised and answered.
    const kinds = new Set([...statuses.keys()].map((key) => key.split(' ')[0]));
    expect(kinds.size).toBe(14 - 2 + 1); // 14 slots, mutations use two of them; GET is its own kind
    expect([...statuses.values()].reduce((sum, count) => sum + count, 0)).toBe(REQUESTS);

    const health = await fetch(api.url.replace('/graphql', '/healthz'));
    expect(health.status).toBe(200);
    const still = await api.gql(USER_COUNT);
    expect(still.data!.users.totalCount).toBe(usersBefore);
    expect(await checksums()).toEqual(before);
  }, 240_000);
});
