import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { graphql } from '../support/graphql.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { sentimentFeedback, submitFeedback } from '../support/fixtures.ts';
import { waitForJob } from '../support/jobs.ts';

// Bounded cost per request, against a real server: the request cost model (src/graphql/cost.ts)
// refuses what would be too much before it runs and charges the rest to the key's rate limit; a
// response-size cap and a statement timeout stand behind it; heavy compute runs in slices.

let database: TestDatabase;
let api: TestServer;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startTestServer({}, { database });
});
afterAll(async () => {
  await api?.stop();
  await database?.destroy();
});

const codes = (errors: { extensions?: Record<string, unknown> }[] | undefined) => (errors ?? []).map((error) => error.extensions?.code);

/** Lists nested in lists: each level multiplies (a product's campaigns, a campaign's products, ...). */
function nestedLists(levels: number): string {
  let inner = 'id';
  for (let level = 0; level < levels; level++) inner = level % 2 === 0 ? `products { ${inner} }` : `campaigns { ${inner} }`;
  return `{ product(externalId: "p") { campaigns { ${inner} } } }`;
}

describe('the request cost model', () => {
  it('refuses nested unbounded lists before running them, for every role, with the cost it computed', async () => {
    const integration = await api.createKey('INTEGRATION', 'cost integration');
    const analyst = await api.createKey('ANALYST', 'cost analyst');
    for (const key of [null, integration.secret, analyst.secret]) {
      const query = nestedLists(3);
      const result = key ? await api.gqlAs(key, query) : await api.gql(query);
      expect(result.status).toBe(400);
      expect(result.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', queryLimit: 'cost', max: api.config.QUERY_MAX_COST });
      expect(result.errors![0]!.extensions!.cost).toBeGreaterThan(1_000_000);
      // At most the API-key lookup and its lastUsedAt write (in the background, during the
      // rate-limit round trip): nothing of the operation ran.
      expect(result.sqlStatements).toBeLessThanOrEqual(2);
    }
    // The same through fragments and aliases.
    const viaFragments = await api.gql(`{ a: product(externalId: "p") { ...C } b: product(externalId: "q") { ...C } }
      fragment C on Product { campaigns { products { campaigns { products { id } } } } }`);
    expect(viaFragments.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', queryLimit: 'cost' });
    // Asking for small pages makes the same shape affordable.
    const small = await api.gql(`{ product(externalId: "p") { campaigns(first: 5) { products(first: 5) { campaigns(first: 5) { id } } } } }`);
    expect(codes(small.errors)).not.toContain('QUERY_TOO_COMPLEX');
  });

  it('reports what each request cost (x-query-cost) and the limit (serviceInfo.maxQueryCost)', async () => {
    const response = await api.post(JSON.stringify({ query: '{ serviceInfo { maxQueryCost maxPageSize } products(first: 10) { edges { node { id } } } }' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-query-cost')).toBe(String(1 + 1 + 10 * 2));
    const body = (await response.json()) as { data: { serviceInfo: { maxQueryCost: number } } };
    expect(body.data.serviceInfo.maxQueryCost).toBe(api.config.QUERY_MAX_COST);
  });

  it('refuses a list nested in the variables longer than any list of the API, before coercing it', async () => {
    const productIds = Array.from({ length: Math.max(api.config.MAX_BATCH_SIZE, 10_000) + 1 }, (_, i) => `id-${i}`);
    const result = await api.gql(`mutation ($input: [CampaignInput!]!) { upsertCampaigns(input: $input) { failed } }`, {
      input: [{ externalId: 'long-list', name: 'Long', channel: 'EMAIL', productIds }],
    });
    expect(result.status).toBe(400);
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', maxItems: productIds.length - 1, items: productIds.length });
  });

  it('still answers a page size beyond the maximum with BAD_USER_INPUT naming the argument', async () => {
    const result = await api.gql(`{ products(first: 100000) { edges { node { id } } } }`);
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
  });
});

describe('what a request costs in rate-limit tokens', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ RATE_LIMIT_PER_MINUTE: '20', RATE_LIMIT_COST_PER_TOKEN: '100', MAX_BATCH_SIZE: '10' }, { database });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  const CLASSIFY_ALIASED = `query ($texts: [String!]!) { ${Array.from({ length: 5 }, (_, i) => `a${i}: classify(task: "nothing-trained", texts: $texts) { modelVersion { id } }`).join(' ')} }`;
  const texts = Array.from({ length: 100 }, (_, i) => `text ${i} ${'x'.repeat(990)}`);

  it('charges aliases of an expensive field their whole cost, not one token', async () => {
    const key = await limited.createKey('INTEGRATION', 'aliases');
    // Five aliases over one shared 100-text variable: about 1,500 units, 16 of the key's 20 tokens.
    const first = await limited.gqlAs(key.secret, CLASSIFY_ALIASED, { texts });
    expect(first.status).toBe(200);
    expect(codes(first.errors)).toContain('MODEL_NOT_READY');
    const again = await limited.gqlAs(key.secret, CLASSIFY_ALIASED, { texts });
    expect(again.status).toBe(429);
    expect(again.errors![0]!.extensions!.code).toBe('RATE_LIMITED');
    // A cheap request costs one token: another key sends 19 of them.
    const other = await limited.createKey('INTEGRATION', 'cheap');
    for (let i = 0; i < 19; i++) expect((await limited.gqlAs(other.secret, `{ serviceInfo { version } }`)).status).toBe(200);
  });

  it('lets a request dearer than a whole bucket through once the bucket is full', async () => {
    const key = await limited.createKey('INTEGRATION', 'whole bucket');
    const many = Array.from({ length: 400 }, (_, i) => `text ${i} ${'y'.repeat(990)}`);
    const first = await limited.gqlAs(key.secret, CLASSIFY_ALIASED, { texts: many });
    expect(first.status).toBe(200);
    expect((await limited.gqlAs(key.secret, `{ serviceInfo { version } }`)).status).toBe(429);
  });

  it('counts the bulk rows of all mutations of a request together: aliases cannot multiply the batch limit', async () => {
    const key = await limited.createKey('INTEGRATION', 'bulk aliases');
    const rows = Array.from({ length: 5 }, (_, i) => ({ externalId: `cost-user-${i}` }));
    const mutation = (aliases: number) =>
      `mutation ($rows: [UserInput!]!) { ${Array.from({ length: aliases }, (_, i) => `a${i}: upsertUsers(input: $rows) { created unchanged }`).join(' ')} }`;
    const before = await database.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM users`);
    const refused = await limited.gqlAs(key.secret, mutation(3), { rows });
    expect(refused.status).toBe(400);
    expect(refused.errors![0]!.extensions).toMatchObject({ code: 'BATCH_TOO_LARGE', maxBatchSize: 10, batchSize: 15 });
    expect((await database.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM users`)).rows[0]!.n).toBe(before.rows[0]!.n);
    const accepted = await limited.gqlAs(key.secret, mutation(2), { rows });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data).toMatchObject({ a0: { created: 5 }, a1: { unchanged: 5 } });
  });
});

describe('behind the cost model', () => {
  it('refuses a body of too many JSON values before parsing it (PAYLOAD_TOO_LARGE), and one of ordinary rows passes', async () => {
    const many = `{"query":"{ serviceInfo { version } }","variables":{"x":[${Array.from({ length: 300_000 }, () => '0').join(',')}]}}`;
    const refused = await api.post(many);
    expect(refused.status).toBe(413);
    const body = (await refused.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');
    expect(body.errors[0]!.message).toMatch(/MAX_BODY_VALUES/);
    const wide = `{"query":"{ serviceInfo { version } }","variables":{${Array.from({ length: 20_000 }, (_, i) => `"v${i}":0`).join(',')}}}`;
    expect((await api.post(wide)).status).toBe(413);
    const rows = Array.from({ length: 5000 }, (_, i) => ({ externalId: `json-values-${i}`, name: `Product ${i}`, tags: ['a', 'b'] }));
    const ok = await api.post(JSON.stringify({ query: 'mutation ($input: [ProductInput!]!) { upsertProducts(input: $input) { created } }', variables: { input: rows } }));
    expect(ok.status).toBe(200);
  });

  it('refuses an answer larger than MAX_RESPONSE_SIZE with RESPONSE_TOO_LARGE and keeps serving', async () => {
    const capped = await startTestServer({ MAX_RESPONSE_SIZE: '4kb' }, { database });
    try {
      const products = Array.from({ length: 20 }, (_, i) => ({ externalId: `big-${i}`, name: `Big ${i}`, description: 'd'.repeat(1000) }));
      const written = await capped.gql(graphql(`mutation CostBigProducts($input: [ProductInput!]!) { upsertProducts(input: $input) { failed } }`), { input: products });
      expect(written.data?.upsertProducts.failed).toBe(0);
      const big = await capped.gql(`{ products(first: 20, filter: { search: "Big" }) { edges { node { description } } } }`);
      expect(big.status).toBe(400);
      expect(big.errors![0]!.extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', maxResponseBytes: 4096 });
      expect(big.errors![0]!.extensions!.responseBytes).toBeGreaterThan(4096);
      expect((await capped.gql(`{ serviceInfo { version } }`)).errors).toBeUndefined();
    } finally {
      await capped.stop();
    }
  });

  it.skipIf(!process.env.DATABASE_URL)('cancels a statement that runs past DATABASE_STATEMENT_TIMEOUT_MS: QUERY_TIMEOUT, not INTERNAL_SERVER_ERROR', async () => {
    const slow = await createTestDatabase({ statementTimeoutMs: 200 });
    const server = await startTestServer({}, { database: slow });
    const blocker = await slow.pool.connect();
    try {
      // A statement waiting behind a lock runs as long as the lock is held: deterministic "slow SQL".
      await blocker.query('SET statement_timeout = 0; BEGIN; LOCK TABLE products IN ACCESS EXCLUSIVE MODE');
      const result = await server.gql(`{ products(first: 5) { edges { node { id } } } }`);
      expect(codes(result.errors)).toContain('QUERY_TIMEOUT');
      expect(codes(result.errors)).not.toContain('INTERNAL_SERVER_ERROR');
      expect(result.errors!.find((error) => error.extensions?.code === 'QUERY_TIMEOUT')!.extensions!.retryable).toBe(true);
      expect(result.status).toBe(200);
      await blocker.query('ROLLBACK');
      // The cancelled statement left nothing behind: the next request is answered.
      expect((await server.gql(`{ products(first: 5) { edges { node { id } } } }`)).errors).toBeUndefined();
    } finally {
      blocker.release();
      await server.stop();
      await slow.destroy();
    }
  });
});

describe('heavy compute in slices', () => {
  const TRAIN = graphql(`mutation CostTrain { trainModel(kind: TEXT_CLASSIFIER, task: "sentiment", hyperparameters: { epochs: 3 }) { id } }`);
  const JOB = graphql(`query CostJob($id: ID!) { trainingJob(id: $id) { status error modelVersion { id active } } }`);

  it('answers health checks while a 1,000-text classify runs, and classifies every text', async () => {
    await submitFeedback(api, sentimentFeedback({ seed: 5, count: 120, idPrefix: 'cost-fb-' }));
    const queued = await api.gql(TRAIN);
    expect(queued.errors).toBeUndefined();
    const job = await waitForJob(api, JOB, queued.data!.trainModel.id, { timeoutMs: 180_000 });
    expect(job.status).toBe('SUCCEEDED');

    const texts = Array.from({ length: 1000 }, (_, i) => `${i % 2 ? 'great, works perfectly' : 'broken, terrible'} ${'and then some more words about it '.repeat(140)}`);
    const healthz = api.url.replace('/graphql', '/healthz');
    let classifying = true;
    let answeredDuring = 0;
    const classify = api.gql(`query ($texts: [String!]!) { classify(task: "sentiment", texts: $texts) { results { label } } }`, { texts }).finally(() => {
      classifying = false;
    });
    const probes = (async () => {
      while (classifying) {
        const response = await fetch(healthz);
        if (response.ok && classifying) answeredDuring++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const result = await classify;
    await probes;
    expect(result.errors).toBeUndefined();
    expect((result.data as { classify: { results: unknown[] } }).classify.results).toHaveLength(1000);
    // Run in one go, the classification would hold the event loop: no health check in between.
    expect(answeredDuring).toBeGreaterThanOrEqual(3);
  });

  it('answers a 2,000-member audience read over several row reads: consenting customers only, best first, health checks answered meanwhile', async () => {
    // 3,000 customers (every fifth without consent), each with purchases of two of 40 products.
    const pool = api.database.pool;
    await pool.query(`INSERT INTO users (id, external_id, marketing_consent) SELECT gen_random_uuid(), 'aud-u-' || g, g % 5 <> 0 FROM generate_series(0, 2999) g`);
    await pool.query(
      `INSERT INTO products (id, external_id, name, category, price) SELECT gen_random_uuid(), 'aud-p-' || g, 'Audience product ' || g, 'c' || (g % 4), 10 FROM generate_series(0, 39) g`,
    );
    await pool.query(
      `INSERT INTO interactions (dedupe_key, user_id, product_id, type, value, occurred_at)
       SELECT 'aud-i-' || u.external_id || '-' || k, u.id, p.id, 'PURCHASE', 1, now() - interval '1 day'
       FROM users u CROSS JOIN generate_series(0, 1) k
       JOIN products p ON p.external_id = 'aud-p-' || ((substring(u.external_id from 7)::int * 7 + k * 13) % 40)
       WHERE u.external_id LIKE 'aud-u-%'`,
    );
    await api.gql(`mutation { upsertCampaigns(input: [{ externalId: "aud-c", name: "Audience", channel: EMAIL, productExternalIds: ["aud-p-1", "aud-p-2"] }]) { failed } }`);
    const queued = await api.gql(
      graphql(
        `mutation CostTrainRecommender { trainModel(kind: RECOMMENDER, task: "default", activation: ALWAYS, hyperparameters: { als: { factors: 8, iterations: 3 }, tuneEase: false, tuneAls: false }) { id } }`,
      ),
    );
    expect(queued.errors).toBeUndefined();
    const job = await waitForJob(api, JOB, queued.data!.trainModel.id, { timeoutMs: 180_000 });
    expect(job.status).toBe('SUCCEEDED');

    const healthz = api.url.replace('/graphql', '/healthz');
    let running = true;
    let answeredDuring = 0;
    const audience = api
      .gql(graphql(`query CostAudience { campaignAudience(campaignExternalId: "aud-c", limit: 2000) { score reason user { externalId marketingConsent } } }`))
      .finally(() => {
        running = false;
      });
    const probes = (async () => {
      while (running) {
        if ((await fetch(healthz)).ok && running) answeredDuring++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const result = await audience;
    await probes;
    expect(result.errors).toBeUndefined();
    const members = result.data!.campaignAudience;
    expect(members).toHaveLength(2000); // 2,400 consenting customers with history: the limit applies
    expect(members.every((m) => m.user.marketingConsent && Number(m.user.externalId.slice(6)) % 5 !== 0)).toBe(true);
    expect(new Set(members.map((m) => m.user.externalId)).size).toBe(2000);
    const scores = members.map((m) => m.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(members.every((m) => m.reason.length > 0)).toBe(true);
    expect(answeredDuring).toBeGreaterThanOrEqual(1);
  });
});
