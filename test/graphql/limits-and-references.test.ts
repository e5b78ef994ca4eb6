import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/graphql/global-id.ts';
import { graphql, type CampaignMetricInput, type FeedbackInput, type InteractionInput } from '../support/graphql.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// One server with a small MAX_PAGE_SIZE: every list, nested list and the model registry's
// listing must honour it (some used to accept up to a hard-coded 100).
const MAX = 3;
let api: TestServer;

const UPSERT_USERS = graphql(`mutation LimitsUsers($i: [UserInput!]!) { upsertUsers(input: $i) { failed } }`);
const UPSERT_PRODUCTS = graphql(`mutation LimitsProducts($i: [ProductInput!]!) { upsertProducts(input: $i) { failed } }`);
const SUBMIT = graphql(`mutation LimitsSubmit($i: [FeedbackInput!]!) { submitFeedback(input: $i) { created failed errors { index code field message } } }`);
const SERVICE_INFO = graphql(`query LimitsServiceInfo { serviceInfo { maxPageSize } }`);
const USERS = graphql(`query LimitsUsersPage($first: Int) { users(first: $first) { edges { cursor } pageInfo { hasNextPage } } }`);
const CONSENT = graphql(`query LimitsConsent($first: Int) { user(externalId: "u1") { consentHistory(first: $first) { granted } } }`);
const JOBS = graphql(`query LimitsJobs($first: Int) { trainingJobs(first: $first) { id } }`);
const PRODUCT_FEEDBACK = graphql(`query LimitsProductFeedback($first: Int) { product(externalId: "p1") { feedback(first: $first) { id } } }`);
const USER_INTERACTIONS = graphql(`query LimitsUserInteractions($first: Int) { user(externalId: "u1") { interactions(first: $first) { id } } }`);
const NESTED_DEFAULTS = graphql(`query LimitsNestedDefaults {
  product(externalId: "p1") { feedback { id } }
  user(externalId: "u1") { feedback { id } consentHistory { granted } interactions { id } }
}`);
const JOBS_DEFAULT = graphql(`query LimitsJobsDefault { trainingJobs { id } }`);
const NODES = graphql(`query LimitsNodes($ids: [ID!]!) { nodes(ids: $ids) { id } }`);
const LABEL = graphql(
  `mutation LimitsLabel($i: [FeedbackLabelAssignment!]!) { labelFeedback(input: $i) { created updated unchanged failed errors { index code field message } } }`,
);
const SENTIMENT = graphql(`query LimitsSentiment($t: String) { product(externalId: "p1") { productSentiment(task: $t) { task } } }`);
const METRICS = graphql(`mutation LimitsMetrics($i: [CampaignMetricInput!]!) { recordCampaignMetrics(input: $i) { failed errors { index code field message } } }`);
const EVENTS = graphql(`mutation LimitsEvents($i: [InteractionInput!]!) { recordInteractions(input: $i) { failed errors { index code field message } } }`);
const FEEDBACK_AND_LABELS = graphql(`mutation LimitsFeedbackAndLabels($f: [FeedbackInput!]!, $l: [FeedbackLabelAssignment!]!) {
  submitFeedback(input: $f) { failed errors { index code field message } }
  labelFeedback(input: $l) { failed errors { index code field message } }
}`);

beforeAll(async () => {
  api = await startTestServer({ MAX_PAGE_SIZE: String(MAX) });
  const users = await api.gql(UPSERT_USERS, {
    i: [1, 2, 3, 4].map((n) => ({ externalId: `u${n}`, marketingConsent: true })),
  });
  expect(users.errors).toBeUndefined();
  // Four consent changes of u1.
  for (const consent of [false, true, false, true]) {
    await api.gql(UPSERT_USERS, { i: [{ externalId: 'u1', marketingConsent: consent }] });
  }
  const products = await api.gql(UPSERT_PRODUCTS, { i: [{ externalId: 'p1', name: 'Tea' }] });
  expect(products.errors).toBeUndefined();
  const feedback = await api.gql(SUBMIT, {
    i: [1, 2, 3, 4].map((n): FeedbackInput => ({ externalId: `f${n}`, userExternalId: 'u1', productExternalId: 'p1', channel: 'REVIEW', text: `text ${n}` })),
  });
  expect(feedback.data?.submitFeedback).toMatchObject({ created: 4, failed: 0 });
});
afterAll(async () => {
  await api?.stop();
});

const firstError = (response: { errors?: { message: string; extensions?: Record<string, unknown> }[] }) => response.errors?.[0];

describe('MAX_PAGE_SIZE', () => {
  it('is what serviceInfo reports', async () => {
    const info = await api.gql(SERVICE_INFO);
    expect(info.data?.serviceInfo.maxPageSize).toBe(MAX);
  });

  it('bounds the users connection; an omitted first is cut to it', async () => {
    const ok = await api.gql(USERS, { first: MAX });
    expect(ok.data?.users.edges).toHaveLength(MAX);
    expect(ok.data?.users.pageInfo.hasNextPage).toBe(true);
    const omitted = await api.gql(USERS, {});
    expect(omitted.errors).toBeUndefined();
    expect(omitted.data?.users.edges).toHaveLength(MAX);
    const tooMany = await api.gql(USERS, { first: MAX + 1 });
    expect(firstError(tooMany)?.message).toBe(`"first" must be an integer between 0 and ${MAX}.`);
    expect(firstError(tooMany)?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first', max: MAX });
  });

  it('bounds User.consentHistory (it used to allow 100 whatever the configuration)', async () => {
    const ok = await api.gql(CONSENT, { first: MAX });
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.user?.consentHistory).toHaveLength(MAX);
    const tooMany = await api.gql(CONSENT, { first: MAX + 1 });
    expect(firstError(tooMany)?.message).toBe(`"first" must be an integer between 0 and ${MAX}.`);
    const none = await api.gql(CONSENT, { first: 0 });
    expect(none.data?.user?.consentHistory).toEqual([]);
  });

  it('bounds trainingJobs (it used to allow 100 whatever the configuration)', async () => {
    const ok = await api.gql(JOBS, { first: MAX });
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.trainingJobs).toEqual([]);
    const tooMany = await api.gql(JOBS, { first: MAX + 1 });
    expect(firstError(tooMany)?.message).toBe(`"first" must be an integer between 0 and ${MAX}.`);
    expect(firstError(tooMany)?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
  });

  it('bounds nested feedback lists the same way', async () => {
    const ok = await api.gql(PRODUCT_FEEDBACK, { first: MAX });
    expect(ok.data?.product?.feedback).toHaveLength(MAX);
    const tooMany = await api.gql(PRODUCT_FEEDBACK, { first: MAX + 1 });
    expect(firstError(tooMany)?.message).toBe(`"first" must be an integer between 0 and ${MAX}.`);
    const tooManyUser = await api.gql(USER_INTERACTIONS, { first: MAX + 1 });
    expect(firstError(tooManyUser)?.message).toBe(`"first" must be an integer between 0 and ${MAX}.`);
  });

  it('cuts the default of every nested list to MAX_PAGE_SIZE when first is omitted (it used to refuse)', async () => {
    const nested = await api.gql(NESTED_DEFAULTS);
    expect(nested.errors).toBeUndefined();
    expect(nested.data?.product?.feedback).toHaveLength(MAX);
    expect(nested.data?.user?.feedback).toHaveLength(MAX);
    expect(nested.data?.user?.consentHistory).toHaveLength(MAX);
    expect(nested.data?.user?.interactions).toEqual([]);
    const jobs = await api.gql(JOBS_DEFAULT);
    expect(jobs.errors).toBeUndefined();
  });

  it('does not apply to nodes(ids), which has its own limit of 100', async () => {
    const ids = Array.from({ length: 101 }, () => toGlobalId('User', '00000000-0000-4000-8000-000000000000'));
    const tooMany = await api.gql(NODES, { ids });
    expect(firstError(tooMany)?.message).toBe('nodes accepts at most 100 IDs.');
    const ok = await api.gql(NODES, { ids: ids.slice(0, 100) });
    expect(ok.data?.nodes).toHaveLength(100);
  });
});

describe('task names', () => {
  const accepted = ['a', 'topic_v2', 'my-task', '-lead', '_draft', 'x'.repeat(50)];
  const refused = ['', 'x'.repeat(51), 'Sentiment', 'has space', 'ünï', 'a.b'];

  it('labelFeedback accepts exactly the names of the task-name rule (trimmed)', async () => {
    const rows = [...accepted, ...refused].map((task) => ({ feedbackExternalId: 'f1', task, label: 'x' }));
    const result = await api.gql(LABEL, { i: rows });
    expect(result.errors).toBeUndefined();
    expect(result.data?.labelFeedback.created).toBe(accepted.length);
    expect(result.data?.labelFeedback.errors.map((error) => [error.index, error.code, error.field])).toEqual(
      refused.map((_task, i) => [accepted.length + i, 'BAD_USER_INPUT', 'task']),
    );
    expect(result.data!.labelFeedback.errors[0]!.message).toBe('task: must be 1 to 50 characters of a-z, 0-9, _ and -');
    // Surrounding white space is not part of the name.
    const padded = await api.gql(LABEL, { i: [{ feedbackExternalId: 'f1', task: '  topic_v2 ', label: 'x' }] });
    expect(padded.data?.labelFeedback).toMatchObject({ unchanged: 1, failed: 0 });
  });

  it('submitFeedback labels and the analytics task arguments follow the same rule', async () => {
    const submitted = await api.gql(SUBMIT, {
      i: [...accepted, ...refused].map((task, n): FeedbackInput => ({ externalId: `t${n}`, channel: 'SURVEY', text: 'ok', labels: [{ task, label: 'y' }] })),
    });
    expect(submitted.data?.submitFeedback.errors.map((error) => [error.index, error.field])).toEqual(refused.map((_task, i) => [accepted.length + i, 'labels.0.task']));
    for (const task of accepted) {
      const summary = await api.gql(SENTIMENT, { t: task });
      expect(summary.errors, task).toBeUndefined();
    }
    for (const task of refused) {
      const summary = await api.gql(SENTIMENT, { t: task });
      expect(firstError(summary)?.extensions?.code, task).toBe('BAD_USER_INPUT');
      expect(firstError(summary)?.message).toMatch(/^task must be 1 to 50 characters of a-z, 0-9, _ and -; got /);
    }
  });
});

describe('reference messages', () => {
  it('one wording for "exactly one of" and "at most one of" arguments', async () => {
    const cases: [string, string][] = [
      [`{ product(externalId: "p1", id: "x") { id } }`, 'Give exactly one of id or externalId.'],
      [`{ campaign { id } }`, 'Give exactly one of id or externalId.'],
      [`{ user { id } }`, 'Give exactly one of id, externalId or email.'],
      [`mutation { eraseUser { erased } }`, 'Give exactly one of id or externalId.'],
      [`{ campaignStats(from: "2026-01-01", to: "2026-01-02") { from } }`, 'Give exactly one of campaignId or campaignExternalId.'],
      [`{ feedback(filter: { productId: "x", productExternalId: "p1" }) { totalCount } }`, 'Give at most one of filter.productId or filter.productExternalId.'],
      [`{ interactions(filter: { userId: "x", userExternalId: "u1" }) { totalCount } }`, 'Give at most one of filter.userId or filter.userExternalId.'],
      [
        `{ feedbackInsights(productExternalId: "p1", category: "tea", from: "2026-01-01", to: "2026-01-02") { task } }`,
        'Give at most one of productId, productExternalId, campaignId, campaignExternalId or category.',
      ],
    ];
    for (const [query, message] of cases) {
      const response = await api.gql(query);
      expect(firstError(response)?.message, query).toBe(message);
      expect(firstError(response)?.extensions?.code, query).toBe('BAD_USER_INPUT');
    }
  });

  it('one wording in bulk rows, for both or neither reference, malformed IDs and missing rows', async () => {
    const metrics = await api.gql(METRICS, {
      i: [
        { date: '2026-01-01', impressions: 1, clicks: 0, conversions: 0, spend: 0 },
        { campaignId: 'x', campaignExternalId: 'c', date: '2026-01-01', impressions: 1, clicks: 0, conversions: 0, spend: 0 },
        { campaignId: 'not-an-id', date: '2026-01-01', impressions: 1, clicks: 0, conversions: 0, spend: 0 },
        { campaignExternalId: 'ghost', date: '2026-01-01', impressions: 1, clicks: 0, conversions: 0, spend: 0 },
      ] satisfies CampaignMetricInput[],
    });
    expect(metrics.data?.recordCampaignMetrics.errors).toEqual([
      { index: 0, code: 'BAD_USER_INPUT', field: 'campaignId', message: 'campaignId: give exactly one of campaignId or campaignExternalId' },
      { index: 1, code: 'BAD_USER_INPUT', field: 'campaignId', message: 'campaignId: give exactly one of campaignId or campaignExternalId' },
      { index: 2, code: 'BAD_USER_INPUT', field: 'campaignId', message: 'campaignId: "not-an-id" is not a valid Campaign ID' },
      { index: 3, code: 'NOT_FOUND', field: 'campaignExternalId', message: 'campaignExternalId: no campaign has externalId "ghost".' },
    ]);

    const ghostUser = toGlobalId('User', '00000000-0000-4000-8000-00000000dead');
    const events = await api.gql(EVENTS, {
      i: [
        { userId: ghostUser, userExternalId: 'u1', productExternalId: 'p1', type: 'VIEW', occurredAt: '2026-01-01T00:00:00Z' },
        { productExternalId: 'p1', type: 'VIEW', occurredAt: '2026-01-01T00:00:00Z' },
        { userExternalId: 'u1', productExternalId: 'p1', campaignId: 'x', campaignExternalId: 'c', type: 'VIEW', occurredAt: '2026-01-01T00:00:00Z' },
        { userId: ghostUser, productExternalId: 'p1', type: 'VIEW', occurredAt: '2026-01-01T00:00:00Z' },
      ] satisfies InteractionInput[],
    });
    expect(events.data?.recordInteractions.errors).toEqual([
      { index: 0, code: 'BAD_USER_INPUT', field: 'userId', message: 'userId: give exactly one of userId or userExternalId' },
      { index: 1, code: 'BAD_USER_INPUT', field: 'userId', message: 'userId: give exactly one of userId or userExternalId' },
      { index: 2, code: 'BAD_USER_INPUT', field: 'campaignId', message: 'campaignId: give at most one of campaignId or campaignExternalId' },
      { index: 3, code: 'NOT_FOUND', field: 'userId', message: `userId: no user has ID "${ghostUser}".` },
    ]);

    const feedback = await api.gql(FEEDBACK_AND_LABELS, {
      f: [
        { productId: 'x', productExternalId: 'p1', channel: 'REVIEW', text: 'both' },
        { userExternalId: 'nobody', channel: 'REVIEW', text: 'missing' },
      ] satisfies FeedbackInput[],
      l: [
        { task: 'sentiment', label: 'x' },
        { feedbackExternalId: 'nope', task: 'sentiment', label: 'x' },
      ],
    });
    expect(feedback.data?.submitFeedback.errors).toEqual([
      { index: 0, code: 'BAD_USER_INPUT', field: 'productId', message: 'productId: give at most one of productId or productExternalId' },
      { index: 1, code: 'NOT_FOUND', field: 'userExternalId', message: 'userExternalId: no user has externalId "nobody".' },
    ]);
    expect(feedback.data?.labelFeedback.errors).toEqual([
      { index: 0, code: 'BAD_USER_INPUT', field: 'feedbackId', message: 'feedbackId: give exactly one of feedbackId or feedbackExternalId' },
      { index: 1, code: 'NOT_FOUND', field: 'feedbackExternalId', message: 'feedbackExternalId: no feedback has externalId "nope".' },
    ]);
  });
});

describe('argument defaults live in the schema', () => {
  const LEADERBOARD = graphql(`query LimitsLeaderboard($limit: Int) { campaignLeaderboard(metric: CTR, limit: $limit) { rank } }`);
  const LEADERBOARD_DEFAULT = graphql(`query LimitsLeaderboardDefault { campaignLeaderboard(metric: CTR) { rank } }`);
  const RECOMMENDATIONS = graphql(`query LimitsRecommendations($limit: Int) { recommendations(userExternalId: "u1", limit: $limit) { fallback } }`);
  const INSIGHTS = graphql(`query LimitsInsights($task: String) {
    feedbackInsights(task: $task, from: "2026-01-01", to: "2026-01-31") { task granularity termTextsAnalysed }
  }`);

  it('an omitted argument takes the schema default; an explicit null is refused, naming the argument', async () => {
    expect((await api.gql(LEADERBOARD_DEFAULT)).errors).toBeUndefined();
    const nullLimit = await api.gql(LEADERBOARD, { limit: null });
    expect(firstError(nullLimit)?.message).toBe('"limit" must be an integer between 1 and 100.');
    expect(firstError(nullLimit)?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'limit' });

    const recommendations = await api.gql(RECOMMENDATIONS, { limit: null });
    expect(firstError(recommendations)?.message).toBe('"limit" must be an integer between 1 and 100.');
    const tooMany = await api.gql(RECOMMENDATIONS, { limit: 101 });
    expect(firstError(tooMany)?.message).toBe('"limit" must be an integer between 1 and 100.');

    const insights = await api.gql(INSIGHTS, {});
    expect(insights.errors).toBeUndefined();
    expect(insights.data?.feedbackInsights).toMatchObject({ task: 'sentiment', granularity: 'WEEK' });
    const nullTask = await api.gql(INSIGHTS, { task: null });
    expect(firstError(nullTask)?.message).toBe('task must be 1 to 50 characters of a-z, 0-9, _ and -; got null.');
  });
});
