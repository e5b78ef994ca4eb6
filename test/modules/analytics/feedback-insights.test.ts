import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, type VariablesAndHeaders } from '../../support/server.ts';
import { graphql, type FeedbackInput, type TypedDocumentNode, type VariablesOf } from '../../support/graphql.ts';

const INSIGHTS = graphql(`query InsightsInsights($p: String, $cat: String, $c: String, $from: Date!, $to: Date!, $g: TimeGranularity, $n: Int, $sample: Int) {
  feedbackInsights(productExternalId: $p, category: $cat, campaignExternalId: $c, from: $from, to: $to, granularity: $g, termsPerLabel: $n, termSampleSize: $sample) {
    task from to granularity termTextsInSlice termTextsAnalysed
    buckets { start end volume ratedCount averageRating predicted { label count share } human { label count share } }
    total { start end volume ratedCount averageRating predicted { label count share } human { label count share } }
    terms { label texts terms { term score count otherCount } }
  }
}`);

const NEGATIVE_EN = [
  'The delivery was late and the box arrived damaged.',
  'Slow delivery, I waited two weeks for it.',
  'Delivery took forever, really disappointed.',
  'Terrible delivery service, the courier lost my parcel.',
  'The delivery came broken and late.',
  'Awful delivery experience, never again.',
];
const NEGATIVE_ZH = [
  '送货太慢了，等了一个星期。',
  '送货员态度很差，包装也破了。',
  '送货延迟，非常失望。',
  '送货速度太慢，再也不买了。',
  '送货的时候东西坏了。',
  '送货拖了好久，很生气。',
];
const POSITIVE_EN = [
  'Great quality, works perfectly.',
  'Lovely design and great value.',
  'Works perfectly, great purchase.',
  'Excellent quality, my kids love it.',
  'Great value for money, recommended.',
  'Beautiful and sturdy, great quality.',
];
const POSITIVE_ZH = ['质量很好，非常满意。', '做工精细，质量不错。', '很好用，性价比高。', '颜色漂亮，质量很好。', '非常满意，推荐购买。', '包装精美，质量不错。'];

let api: TestServer;

async function ok<R, V>(document: TypedDocumentNode<R, V>, ...rest: VariablesAndHeaders<V>): Promise<R> {
  const result = await api.gql(document, ...rest);
  expect(result.errors).toBeUndefined();
  return result.data!;
}
const insights = async (variables: VariablesOf<typeof INSIGHTS>) => (await ok(INSIGHTS, variables)).feedbackInsights;

beforeAll(async () => {
  api = await startTestServer();
  await ok(
    graphql(`mutation InsightsUpsertUsersUpsertProducts($u: [UserInput!]!, $p: [ProductInput!]!, $c: [CampaignInput!]!) {
    upsertUsers(input: $u) { failed } upsertProducts(input: $p) { failed } upsertCampaigns(input: $c) { failed }
  }`),
    {
      u: [{ externalId: 'fan' }],
      p: [
        { externalId: 'px', name: 'Kettle X', category: 'home', attributes: { weight: 1.5, color: 'red', flag: true, empty: null } },
        { externalId: 'py', name: 'Lamp Y', category: 'home', attributes: { weight: 3, color: 'red', flag: false, empty: '' } },
        { externalId: 'pz', name: 'Phone Z', category: 'electronics', tags: ['gift'], price: 99, attributes: { weight: '', color: 'blue', empty: null } },
        { externalId: 'pw', name: 'Book W', attributes: { weight: 10 } },
      ],
      c: [{ externalId: 'cmp', name: 'Ads', channel: 'SOCIAL' }],
    },
  );
  const feedback: FeedbackInput[] = [];
  let n = 0;
  const add = (productExternalId: string, texts: string[], label: string, rating: number, month: string, extra: Partial<FeedbackInput> = {}) => {
    for (const text of texts) {
      n += 1;
      feedback.push({
        externalId: `fb-${n}`,
        userExternalId: 'fan',
        productExternalId,
        channel: 'REVIEW',
        text,
        rating,
        createdAt: `2026-${month}-${String(1 + (n % 27)).padStart(2, '0')}T12:00:00Z`,
        labels: [{ task: 'sentiment', label }],
        ...extra,
      });
    }
  };
  add('px', NEGATIVE_EN, 'negative', 1, '01');
  add('px', NEGATIVE_ZH, 'negative', 2, '03');
  add('px', POSITIVE_EN, 'positive', 5, '01');
  add('px', POSITIVE_ZH, 'positive', 4, '03');
  // Another product of the category complains about the battery, not delivery.
  add('py', ['The battery died after a day.', 'Battery life is awful.', '电池不耐用。', '电池坏了。'], 'negative', 1, '03');
  add('pz', ['Nice phone.'], 'positive', 5, '03', { channel: 'AD_COMMENT', campaignExternalId: 'cmp' });
  const written = await ok(graphql(`mutation InsightsSubmitFeedback($f: [FeedbackInput!]!) { submitFeedback(input: $f) { failed errors { index message } } }`), { f: feedback });
  expect(written.submitFeedback.errors).toEqual([]);
  // Model predictions for the first four items of px (a model disagreeing on one of them).
  const db = api.database.prisma;
  const model = await db.modelVersion.create({ data: { kind: 'TEXT_CLASSIFIER', task: 'sentiment', version: 1, labels: ['negative', 'positive'] } });
  const items = await db.feedback.findMany({ where: { externalId: { in: ['fb-1', 'fb-2', 'fb-3', 'fb-13'] } } });
  await db.feedbackPrediction.createMany({
    data: items.map((item) => ({
      feedbackId: item.id,
      task: 'sentiment',
      label: item.externalId === 'fb-3' ? 'positive' : item.externalId === 'fb-13' ? 'positive' : 'negative',
      confidence: 0.9,
      scores: {},
      modelVersionId: model.id,
    })),
  });
});
afterAll(async () => {
  await api?.stop();
});

describe('feedbackInsights', () => {
  it('counts volume, ratings, predictions and human labels per UTC month, empty months included', async () => {
    const result = await insights({ p: 'px', from: '2026-01-01', to: '2026-03-31', g: 'MONTH' });
    expect(result.buckets.map((b) => [b.start, b.end, b.volume, b.ratedCount])).toEqual([
      ['2026-01-01', '2026-01-31', 12, 12],
      ['2026-02-01', '2026-02-28', 0, 0],
      ['2026-03-01', '2026-03-31', 12, 12],
    ]);
    const [january, february, march] = result.buckets;
    expect(january!.averageRating).toBe((6 * 1 + 6 * 5) / 12);
    expect(march!.averageRating).toBe((6 * 2 + 6 * 4) / 12);
    expect(january!.human).toEqual([
      { label: 'negative', count: 6, share: 0.5 },
      { label: 'positive', count: 6, share: 0.5 },
    ]);
    // Predictions are counted on their own: fb-1, fb-2 negative, fb-3 and fb-13 positive (all January).
    expect(january!.predicted).toEqual([
      { label: 'negative', count: 2, share: 0.5 },
      { label: 'positive', count: 2, share: 0.5 },
    ]);
    expect(march!.predicted).toEqual([]);
    expect(february).toMatchObject({ volume: 0, averageRating: null, predicted: [], human: [] });
    expect(result.total).toMatchObject({ start: '2026-01-01', end: '2026-03-31', volume: 24, ratedCount: 24, averageRating: 3 });
    expect(result.total.human).toEqual([
      { label: 'negative', count: 12, share: 0.5 },
      { label: 'positive', count: 12, share: 0.5 },
    ]);
  });

  it('finds "delivery" and "送货" as the terms most characteristic of negative reviews of the product', async () => {
    const result = await insights({ p: 'px', from: '2026-01-01', to: '2026-03-31', g: 'MONTH', n: 5 });
    expect(result.termTextsInSlice).toBe(24);
    expect(result.termTextsAnalysed).toBe(24);
    const negative = result.terms.find((entry) => entry.label === 'negative')!;
    // Predictions win over human labels: fb-3 (negative text) counts as positive, fb-13 (positive text) too.
    expect(negative.texts).toBe(11);
    const top = negative.terms
      .slice(0, 2)
      .map((term) => term.term)
      .sort();
    expect(top).toEqual(['delivery', '送货'].sort());
    const delivery = negative.terms.find((term) => term.term === 'delivery')!;
    expect(delivery).toMatchObject({ count: 5, otherCount: 1 });
    const positive = result.terms.find((entry) => entry.label === 'positive')!;
    expect(positive.terms.map((term) => term.term)).toContain('great');
    expect(positive.terms.map((term) => term.term)).not.toContain('delivery');
  });

  it('bounds the analysed sample to the most recent texts', async () => {
    const result = await insights({ p: 'px', from: '2026-01-01', to: '2026-03-31', g: 'MONTH', sample: 10 });
    expect(result.termTextsInSlice).toBe(24);
    expect(result.termTextsAnalysed).toBe(10);
  });

  it('slices by category and by campaign', async () => {
    const home = await insights({ cat: 'home', from: '2026-01-01', to: '2026-03-31', g: 'MONTH' });
    expect(home.total.volume).toBe(28);
    const negative = home.terms.find((entry) => entry.label === 'negative')!;
    expect(negative.terms.slice(0, 4).map((term) => term.term)).toEqual(expect.arrayContaining(['delivery', '送货']));
    const campaign = await insights({ c: 'cmp', from: '2026-01-01', to: '2026-03-31', g: 'MONTH' });
    expect(campaign.total).toMatchObject({ volume: 1, human: [{ label: 'positive', count: 1, share: 1 }] });
    const both = await api.gql(INSIGHTS, { p: 'px', cat: 'home', from: '2026-01-01', to: '2026-03-31' });
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('is readable by ANALYST and refused to INTEGRATION', async () => {
    const analyst = await api.createKey('ANALYST');
    const integration = await api.createKey('INTEGRATION');
    const variables: VariablesOf<typeof INSIGHTS> = { p: 'px', from: '2026-01-01', to: '2026-01-31', g: 'MONTH' };
    expect((await api.gqlAs(analyst.secret, INSIGHTS, variables)).errors).toBeUndefined();
    expect((await api.gqlAs(integration.secret, INSIGHTS, variables)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('productSentiment and sentimentSummary', () => {
  it('summarise a page of products with one batched statement, predictions first then human labels', async () => {
    const query = graphql(
      `query InsightsProductSentiments { products(first: 10) { edges { node { externalId productSentiment { task feedbackCount labelledCount fromPredictions fromHumanLabels averageRating labels { label count share } } } } } }`,
    );
    const result = await api.gql(query);
    expect(result.errors).toBeUndefined();
    const byId = Object.fromEntries(result.data!.products.edges.map((edge) => [edge.node.externalId, edge.node.productSentiment]));
    expect(byId.px).toEqual({
      task: 'sentiment',
      feedbackCount: 24,
      labelledCount: 24,
      fromPredictions: 4,
      fromHumanLabels: 20,
      averageRating: 3,
      labels: [
        { label: 'positive', count: 13, share: 13 / 24 },
        { label: 'negative', count: 11, share: 11 / 24 },
      ],
    });
    expect(byId.pw).toEqual({ task: 'sentiment', feedbackCount: 0, labelledCount: 0, fromPredictions: 0, fromHumanLabels: 0, averageRating: null, labels: [] });
    // products page (2) + one sentiment GROUP BY, whatever the page size; a few more for auth/transactions at most.
    const single = await api.gql(graphql(`query InsightsProductsByFirst { products(first: 1) { edges { node { productSentiment { feedbackCount } } } } }`));
    expect(result.sqlStatements).toBe(single.sqlStatements);
  });

  it('summarises a campaign by the feedback naming it', async () => {
    const result = await ok(
      graphql(`query InsightsCampaignByExternalId { campaign(externalId: "cmp") { sentimentSummary(task: "sentiment") { feedbackCount labels { label count } } } }`),
    );
    expect(result.campaign!.sentimentSummary).toEqual({ feedbackCount: 1, labels: [{ label: 'positive', count: 1 }] });
  });
});

describe('productFeatureReport', () => {
  it('reports missing values per feature with the recommender imputation, computed in SQL', async () => {
    const result = await ok(
      graphql(
        `query InsightsProductFeatureReport { productFeatureReport { products features { name kind present missing missingRate distinctValues imputation median mostFrequent } } }`,
      ),
    );
    const report = result.productFeatureReport;
    expect(report.products).toBe(4);
    const byName = Object.fromEntries(report.features.map((feature) => [feature.name, feature]));
    expect(report.features.map((feature) => feature.name)).toEqual(['category', 'tags', 'price', 'color', 'empty', 'flag', 'weight']);
    expect(byName.category).toMatchObject({ kind: 'CATEGORY', present: 3, missing: 1, distinctValues: 2, mostFrequent: 'home' });
    expect(byName.tags).toMatchObject({ kind: 'TAGS', present: 1, missing: 3 });
    expect(byName.price).toMatchObject({ kind: 'PRICE', present: 1, missing: 3, median: null });
    expect(byName.weight).toMatchObject({
      kind: 'NUMERIC',
      present: 3,
      missing: 1,
      missingRate: 0.25,
      median: 3,
      mostFrequent: null,
      imputation: 'z-score; missing → median fill + missing indicator',
    });
    expect(byName.color).toMatchObject({ kind: 'CATEGORICAL', present: 3, missing: 1, distinctValues: 2, mostFrequent: 'red', median: null });
    expect(byName.color!.imputation).toContain("'missing' level");
    expect(byName.flag).toMatchObject({ kind: 'NUMERIC', present: 2, missing: 2, median: 0.5 });
    expect(byName.empty).toMatchObject({ present: 0, missing: 4, imputation: 'all values missing; dropped' });
  });
});
