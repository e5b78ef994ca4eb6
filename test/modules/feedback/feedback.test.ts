import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { graphql, type FeedbackInput, type FeedbackLabelAssignment, type ResultOf, type VariablesOf } from '../../support/graphql.ts';

const SUBMIT = graphql(`mutation FeedbackSubmit($input: [FeedbackInput!]!) {
  submitFeedback(input: $input) { created updated unchanged failed errors { index externalId code message field } }
}`);
const LABEL = graphql(`mutation FeedbackLabel($input: [FeedbackLabelAssignment!]!) {
  labelFeedback(input: $input) { created updated unchanged failed errors { index externalId code message field } }
}`);
const PAGE = graphql(`query FeedbackPage($first: Int, $after: String, $filter: FeedbackFilter) {
  feedback(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id externalId text rating language channel user { externalId } product { externalId } campaign { externalId } labels { task label } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`);

let api: TestServer;
const submit = async (input: FeedbackInput[]) => {
  const result = await api.gql(SUBMIT, { input });
  expect(result.errors).toBeUndefined();
  return result.data!.submitFeedback;
};
const label = async (input: FeedbackLabelAssignment[]) => {
  const result = await api.gql(LABEL, { input });
  expect(result.errors).toBeUndefined();
  return result.data!.labelFeedback;
};
const page = (variables: VariablesOf<typeof PAGE>) => api.gql(PAGE, variables);
const item = async (externalId: string) =>
  (
    await api.gql(graphql(`query FeedbackFeedbackItemByExternalId($e: String) { feedbackItem(externalId: $e) { id externalId text rating language labels { task label } } }`), {
      e: externalId,
    })
  ).data!.feedbackItem;

beforeAll(async () => {
  api = await startTestServer();
  const db = api.database.prisma;
  await db.user.createMany({ data: Array.from({ length: 60 }, (_, i) => ({ externalId: `u${i}` })) });
  await db.product.createMany({ data: Array.from({ length: 60 }, (_, i) => ({ externalId: `p${i}`, name: `Product ${i}` })) });
  await db.campaign.createMany({ data: Array.from({ length: 60 }, (_, i) => ({ externalId: `c${i}`, name: `Campaign ${i}`, channel: 'SOCIAL' as const })) });
});
afterAll(async () => {
  await api?.stop();
});

describe('submitFeedback', () => {
  it('creates feedback with detected language and labels, then reports a re-send as unchanged', async () => {
    const input: FeedbackInput[] = [
      {
        externalId: 'f1',
        userExternalId: 'u1',
        productExternalId: 'p1',
        channel: 'REVIEW',
        text: '  Great headphones, fast delivery. ',
        rating: 5,
        labels: [{ task: 'sentiment', label: 'positive' }],
      },
      { externalId: 'f2', productExternalId: 'p1', channel: 'REVIEW', text: '送货太慢了，耳机质量一般', rating: 2 },
      { externalId: 'f3', campaignExternalId: 'c1', channel: 'AD_COMMENT', text: '这个 sale 太 good 了 love it so much', language: 'ZH-Hant' },
    ];
    expect(await submit(input)).toEqual({ created: 3, updated: 0, unchanged: 0, failed: 0, errors: [] });
    expect(await submit(input)).toEqual({ created: 0, updated: 0, unchanged: 3, failed: 0, errors: [] });
    expect(await item('f1')).toMatchObject({ text: 'Great headphones, fast delivery.', language: 'en', rating: 5, labels: [{ task: 'sentiment', label: 'positive' }] });
    expect((await item('f2'))?.language).toBe('zh');
    expect((await item('f3'))?.language).toBe('zh-hant');
  });

  it('updates changed rows, keeps omitted fields and clears nulls', async () => {
    const result = await submit([
      { externalId: 'f1', channel: 'REVIEW', text: 'Great headphones, fast delivery.', rating: null },
      { externalId: 'f2', channel: 'REVIEW', text: '送货太慢了，耳机质量一般', labels: [{ task: 'sentiment', label: 'negative' }] },
    ]);
    expect(result).toEqual({ created: 0, updated: 2, unchanged: 0, failed: 0, errors: [] });
    const f1 = await api.gql(graphql(`query FeedbackFeedbackItemByExternalId2 { feedbackItem(externalId: "f1") { rating user { externalId } product { externalId } } }`));
    expect(f1.data?.feedbackItem).toEqual({ rating: null, user: { externalId: 'u1' }, product: { externalId: 'p1' } });
    expect((await item('f2'))?.labels).toEqual([{ task: 'sentiment', label: 'negative' }]);
  });

  it('always creates rows without externalId', async () => {
    const input: FeedbackInput[] = [{ channel: 'SURVEY', text: 'no id here' }];
    expect((await submit(input)).created).toBe(1);
    expect((await submit(input)).created).toBe(1);
  });

  it('refuses bad rows with index, code and field, and still writes the valid ones', async () => {
    const result = await submit([
      { externalId: 'bad-0', channel: 'REVIEW', text: '   ' },
      { externalId: 'ok-1', channel: 'REVIEW', text: 'fine', userExternalId: 'u2' },
      { externalId: 'bad-2', channel: 'REVIEW', text: 'x'.repeat(5001) },
      { externalId: 'bad-3', channel: 'REVIEW', text: 'hi', rating: 6 },
      { externalId: 'bad-4', channel: 'REVIEW', text: 'hi', userExternalId: 'nobody' },
      { externalId: 'bad-5', channel: 'REVIEW', text: 'hi', productId: 'UHJvZHVjdDox', productExternalId: 'p1' },
      { externalId: 'bad-6', channel: 'REVIEW', text: 'hi', labels: [{ task: 'Bad Task!', label: 'x' }] },
      { externalId: 'ok-1', channel: 'REVIEW', text: 'twice' },
      { externalId: 'bad-8', channel: 'REVIEW', text: 'hi', createdAt: new Date(Date.now() + 3 * 86_400_000).toISOString() },
      { externalId: 'bad-9', channel: 'REVIEW', text: 'hi', campaignId: 'garbage' },
      { externalId: 'ok-10', channel: 'REVIEW', text: 'x'.repeat(5000) },
    ]);
    expect(result.created).toBe(2);
    expect(result.errors.map((e) => [e.index, e.code, e.field])).toEqual([
      [0, 'BAD_USER_INPUT', 'text'],
      [2, 'BAD_USER_INPUT', 'text'],
      [3, 'BAD_USER_INPUT', 'rating'],
      [4, 'NOT_FOUND', 'userExternalId'],
      [5, 'BAD_USER_INPUT', 'productId'],
      [6, 'BAD_USER_INPUT', 'labels.0.task'],
      [7, 'CONFLICT', 'externalId'],
      [8, 'BAD_USER_INPUT', 'createdAt'],
      [9, 'BAD_USER_INPUT', 'campaignId'],
    ]);
    expect(await item('bad-0')).toBeNull();
    expect(await item('bad-4')).toBeNull();
  });
});

describe('labelFeedback', () => {
  it('creates, re-labels, keeps and removes labels, with per-row errors', async () => {
    const f3 = await item('f3');
    expect(
      await label([
        { feedbackExternalId: 'f3', task: 'sentiment', label: 'positive' },
        { feedbackId: f3!.id, task: 'topic', label: 'price' },
        { feedbackExternalId: 'f1', task: 'sentiment', label: 'positive' },
      ]),
    ).toEqual({ created: 2, updated: 0, unchanged: 1, failed: 0, errors: [] });
    expect(await label([{ feedbackExternalId: 'f3', task: 'sentiment', label: 'negative' }])).toMatchObject({ updated: 1 });
    expect((await item('f3'))?.labels).toEqual([
      { task: 'sentiment', label: 'negative' },
      { task: 'topic', label: 'price' },
    ]);
    expect(
      await label([
        { feedbackExternalId: 'f3', task: 'topic', remove: true },
        { feedbackExternalId: 'f3', task: 'never-set', remove: true },
      ]),
    ).toMatchObject({ updated: 1, unchanged: 1, failed: 0 });
    expect((await item('f3'))?.labels).toEqual([{ task: 'sentiment', label: 'negative' }]);

    const bad = await label([
      { feedbackExternalId: 'nope', task: 'sentiment', label: 'x' },
      { feedbackExternalId: 'f3', task: 'sentiment' },
      { feedbackExternalId: 'f3', task: 'sentiment', label: 'x', remove: true },
      { feedbackId: f3!.id, feedbackExternalId: 'f3', task: 'sentiment', label: 'x' },
      { feedbackExternalId: 'f1', task: 'UPPER', label: 'x' },
      { feedbackExternalId: 'f1', task: 'sentiment', label: 'neutral' },
      { feedbackExternalId: 'f1', task: 'sentiment', label: 'mixed' },
    ]);
    expect(bad.errors.map((e) => [e.index, e.code, e.field])).toEqual([
      [0, 'NOT_FOUND', 'feedbackExternalId'],
      [1, 'BAD_USER_INPUT', 'label'],
      [2, 'BAD_USER_INPUT', 'label'],
      [3, 'BAD_USER_INPUT', 'feedbackId'],
      [4, 'BAD_USER_INPUT', 'task'],
      [6, 'CONFLICT', 'task'],
    ]);
    expect(bad.updated).toBe(1);
  });
});

describe('feedback connection', () => {
  beforeAll(async () => {
    const base = Date.parse('2026-03-01T00:00:00Z');
    await submit(
      Array.from({ length: 25 }, (_, i) => ({
        externalId: `walk-${String(i).padStart(2, '0')}`,
        userExternalId: 'u50',
        productExternalId: i % 2 ? 'p50' : 'p51',
        channel: i % 3 ? 'REVIEW' : 'SUPPORT',
        text: i % 5 ? `walk review ${i}` : `walk Refund please ${i}`,
        rating: (i % 5) + 1,
        createdAt: new Date(base + (i % 5) * 60_000).toISOString(),
        labels: i % 2 ? [{ task: 'sentiment', label: i % 4 === 1 ? 'negative' : 'positive' }] : [],
      })),
    );
  });

  it('walks every page exactly once, newest first', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    let last: ResultOf<typeof PAGE>['feedback'] | undefined;
    for (;;) {
      const result = await page({ first: 10, after, filter: { userExternalId: 'u50' } });
      expect(result.errors).toBeUndefined();
      last = result.data!.feedback;
      seen.push(...last.edges.map((edge) => edge.node.externalId!));
      pages += 1;
      if (!last.pageInfo.hasNextPage) break;
      after = last.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(last!.edges).toHaveLength(5);
    expect(new Set(seen).size).toBe(25);
    const minutes = seen.map((id) => Number(id.slice(5)) % 5);
    expect(minutes).toEqual([...minutes].sort((a, b) => b - a));
  });

  it('filters by product, channel, labels, rating, time and text, and counts', async () => {
    const count = async (filter: Record<string, unknown>) => {
      const result = await page({ first: 100, filter: { userExternalId: 'u50', ...filter } });
      expect(result.errors).toBeUndefined();
      return result.data!.feedback.totalCount;
    };
    expect(await count({ productExternalId: 'p50' })).toBe(12);
    expect(await count({ channel: 'SUPPORT' })).toBe(9);
    expect(await count({ channels: ['SUPPORT', 'REVIEW'] })).toBe(25);
    expect(await count({ label: { task: 'sentiment' } })).toBe(12);
    expect(await count({ label: { task: 'sentiment', label: 'negative' } })).toBe(6);
    expect(await count({ unlabeledTask: 'sentiment' })).toBe(13);
    expect(await count({ predictedLabel: { task: 'sentiment' } })).toBe(0);
    expect(await count({ ratingMin: 4 })).toBe(10);
    expect(await count({ ratingMin: 2, ratingMax: 3 })).toBe(10);
    expect(await count({ createdFrom: '2026-03-01T00:01:00Z', createdTo: '2026-03-01T00:03:00Z' })).toBe(10);
    expect(await count({ search: 'REFUND' })).toBe(5);
    expect(await count({ language: 'en' })).toBe(25);
  });

  it('returns an empty page, and rejects bad cursors and ambiguous filters', async () => {
    const empty = await page({ first: 5, filter: { search: 'no such text anywhere' } });
    expect(empty.data!.feedback).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
    const bad = await page({ first: 5, after: 'garbage' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const foreign = await page({ first: 5, after: Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', '42'])).toString('base64url') });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const both = await page({ first: 5, filter: { productId: 'x', productExternalId: 'p1' } });
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('fetches feedback by id, externalId and node(), and refuses ambiguous lookups', async () => {
    const byExternal = await item('walk-00');
    const node = await api.gql(graphql(`query FeedbackNodeById($id: ID!) { node(id: $id) { __typename ... on Feedback { externalId } } }`), { id: byExternal!.id });
    expect(node.data?.node).toEqual({ __typename: 'Feedback', externalId: 'walk-00' });
    const both = await api.gql(graphql(`query FeedbackFeedbackItemByIdAndExternalId($id: ID) { feedbackItem(id: $id, externalId: "walk-00") { id } }`), { id: byExternal!.id });
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('shows model predictions with scores and the model version', async () => {
    const db = api.database.prisma;
    const version = await db.modelVersion.create({ data: { kind: 'TEXT_CLASSIFIER', task: 'sentiment', version: 1 } });
    const target = await db.feedback.findUniqueOrThrow({ where: { externalId: 'walk-00' } });
    await db.feedbackPrediction.create({
      data: {
        feedbackId: target.id,
        task: 'sentiment',
        label: 'negative',
        confidence: 0.8,
        scores: [
          { label: 'positive', score: 0.2 },
          { label: 'negative', score: 0.8 },
        ],
        modelVersionId: version.id,
      },
    });
    const result = await api.gql(
      graphql(
        `query FeedbackFeedbackItemByExternalId3 { feedbackItem(externalId: "walk-00") { predictions { task label confidence scores { label score } modelVersionId createdAt } } }`,
      ),
    );
    expect(result.errors).toBeUndefined();
    const [prediction] = result.data!.feedbackItem!.predictions;
    expect(prediction).toMatchObject({
      task: 'sentiment',
      label: 'negative',
      confidence: 0.8,
      scores: [
        { label: 'negative', score: 0.8 },
        { label: 'positive', score: 0.2 },
      ],
    });
    expect(Buffer.from(prediction.modelVersionId!, 'base64url').toString()).toBe(`ModelVersion:${version.id}`);
    const filtered = await page({ first: 10, filter: { predictedLabel: { task: 'sentiment', label: 'negative' } } });
    expect(filtered.data!.feedback.edges.map((e) => e.node.externalId)).toEqual(['walk-00']);
  });
});

describe('nested feedback lists', () => {
  beforeAll(async () => {
    // Six feedback items for each of 50 users, products and campaigns ("nest-" rows).
    await api.database.prisma.user.createMany({ data: Array.from({ length: 50 }, (_, i) => ({ externalId: `nest-u${i}` })) });
    await api.database.prisma.product.createMany({ data: Array.from({ length: 50 }, (_, i) => ({ externalId: `nest-p${i}`, name: `Nest ${i}` })) });
    await api.database.prisma.campaign.createMany({ data: Array.from({ length: 50 }, (_, i) => ({ externalId: `nest-c${i}`, name: `Nest ${i}`, channel: 'EMAIL' as const })) });
    const base = Date.parse('2026-04-01T00:00:00Z');
    await submit(
      Array.from({ length: 300 }, (_, i) => ({
        externalId: `nest-${i}`,
        userExternalId: `nest-u${i % 50}`,
        productExternalId: `nest-p${i % 50}`,
        campaignExternalId: `nest-c${i % 50}`,
        channel: 'AD_COMMENT',
        text: `nested ${Math.floor(i / 50)}`,
        createdAt: new Date(base + i * 1000).toISOString(),
        labels: [{ task: 'sentiment', label: 'positive' }],
      })),
    );
    const rows = await api.database.prisma.user.findMany({ where: { externalId: { startsWith: 'nest-u' } }, select: { id: true } });
    userIds = rows.map((row) => Buffer.from(`User:${row.id}`).toString('base64url'));
  });
  let userIds: string[] = [];

  // Users through nodes(ids:), so the test depends on nothing but the User loader; products and campaigns through their connections.
  const NESTED = graphql(`query FeedbackNested($first: Int, $userIds: [ID!]!) {
    nodes(ids: $userIds) { ... on User { feedback { text labels { label } product { externalId } } } }
    products(first: $first, filter: { search: "nest-p" }) { edges { node { feedback { text campaign { externalId } } } } }
    campaigns(first: $first, filter: { search: "nest-c" }) { edges { node { externalId feedback(first: 5) { text user { externalId } } } } }
  }`);

  it('lists the newest items per parent with the default limits', async () => {
    const result = await api.gql(NESTED, { first: 50, userIds });
    expect(result.errors).toBeUndefined();
    expect(result.data!.nodes).toHaveLength(50);
    for (const node of result.data!.nodes) expect(node!.feedback!.map((f) => f.text)).toEqual(['nested 5', 'nested 4', 'nested 3', 'nested 2', 'nested 1', 'nested 0']);
    for (const edge of result.data!.products.edges) expect(edge.node.feedback).toHaveLength(5);
    for (const edge of result.data!.campaigns.edges) expect(edge.node.feedback![0].text).toBe('nested 5');
  });

  it('costs the same number of SQL statements for 5 and for 50 parents', async () => {
    // One parent type per request, so DataLoader tick timing between unrelated lists cannot blur the count.
    const queries = [
      [`query($ids: [ID!]!) { nodes(ids: $ids) { ... on User { feedback { text labels { label } product { externalId } } } } }`, (n: number) => ({ ids: userIds.slice(0, n) })],
      [
        `query($n: Int) { products(first: $n, filter: { search: "nest-p" }) { edges { node { feedback { text labels { label } campaign { externalId } } } } } }`,
        (n: number) => ({ n }),
      ],
      [`query($n: Int) { campaigns(first: $n, filter: { search: "nest-c" }) { edges { node { feedback(first: 5) { text user { externalId } } } } } }`, (n: number) => ({ n })],
    ] as const;
    for (const [query, variables] of queries) {
      const five = await api.gql(query, variables(5));
      const fifty = await api.gql(query, variables(50));
      expect(five.errors).toBeUndefined();
      expect(fifty.errors).toBeUndefined();
      expect(fifty.sqlStatements).toBe(five.sqlStatements);
      expect(fifty.sqlStatements).toBeLessThanOrEqual(6);
    }
  });
});
