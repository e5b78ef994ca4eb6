import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/app/services.ts';
import { seedDataset } from '../../src/seed/demo.ts';
import { DEMO_SIZE } from '../../src/seed/generator.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { graphql, type FeedbackInput } from '../support/graphql.ts';

// The README's first Sandbox query, on the demo data set a newcomer gets from `npm start`.
const DASHBOARD = graphql(`query Campaigns($first: Int, $after: String) {
  campaigns(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        name channel status startsAt endsAt
        totals { impressions clicks conversions spend revenue ctr conversionRate costPerAcquisition roas }
        products { name category price }
        feedback(first: 5) { text language rating labels { task label } predictions { task label confidence } }
      }
    }
  }
}`);

let api: TestServer;
const size = { ...DEMO_SIZE, campaigns: 60 };

beforeAll(async () => {
  api = await startTestServer();
  await seedDataset(createServices(api.database.prisma, api.config), size);
}, 300_000);
afterAll(async () => {
  await api?.stop();
});

describe('demo data set', () => {
  it('seeds every entity through the services, and seeding again changes nothing', async () => {
    const counts = await api.gql(
      graphql(`query DemoCounts { users { totalCount } products { totalCount } interactions { totalCount } feedback { totalCount } campaigns { totalCount } }`),
    );
    expect(counts.errors).toBeUndefined();
    expect(counts.data).toMatchObject({
      users: { totalCount: size.users },
      products: { totalCount: size.products },
      feedback: { totalCount: size.feedback },
      campaigns: { totalCount: size.campaigns },
    });
    expect(counts.data!.interactions.totalCount).toBeGreaterThan(size.interactions * 0.9);

    const before = await api.database.prisma.interaction.count();
    const again = await seedDataset(createServices(api.database.prisma, api.config), size);
    expect(again.users).toBe(size.users);
    expect(await api.database.prisma.interaction.count()).toBe(before);
    expect(await api.database.prisma.user.count()).toBe(size.users);
  }, 300_000);

  it('has Chinese and English feedback, missing product features and labelled examples', async () => {
    const languages = await api.database.prisma.feedback.groupBy({ by: ['language'], _count: true });
    const byLanguage = Object.fromEntries(languages.map((row) => [row.language, row._count]));
    expect(byLanguage.zh).toBeGreaterThan(100);
    expect(byLanguage.en).toBeGreaterThan(100);
    const unpriced = await api.database.prisma.product.count({ where: { price: null } });
    expect(unpriced).toBeGreaterThan(0);
    const labels = await api.database.prisma.feedbackLabel.groupBy({ by: ['task', 'label'], _count: true });
    expect(labels.map((row) => `${row.task}:${row.label}`).sort()).toEqual(
      ['sentiment:negative', 'sentiment:positive', 'topic:delivery', 'topic:price', 'topic:quality', 'topic:service'].sort(),
    );
  });

  it('pages through campaigns with nested products, totals and feedback', async () => {
    const first = await api.gql(DASHBOARD, { first: 25 });
    expect(first.errors).toBeUndefined();
    const page = first.data!.campaigns;
    expect(page.totalCount).toBe(size.campaigns);
    expect(page.edges).toHaveLength(25);
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(page.edges.every((edge) => edge.node.products!.length > 0)).toBe(true);
    expect(page.edges.some((edge) => edge.node.feedback!.length > 0)).toBe(true);
    const second = await api.gql(DASHBOARD, { first: 50, after: page.pageInfo.endCursor });
    expect(second.data!.campaigns.edges).toHaveLength(35);
    expect(second.data!.campaigns.pageInfo.hasNextPage).toBe(false);
  });

  it('costs the same number of SQL statements for 5 campaigns as for 50 (no N+1)', async () => {
    // Give every campaign labelled ad comments, so each nested loader runs on both pages.
    const campaigns = await api.database.prisma.campaign.findMany({ select: { externalId: true } });
    const comments = campaigns.flatMap((campaign) =>
      Array.from(
        { length: 6 },
        (_, i): FeedbackInput => ({
          externalId: `ad-${campaign.externalId}-${i}`,
          campaignExternalId: campaign.externalId,
          channel: 'AD_COMMENT',
          text: i % 2 ? 'Love this offer!' : 'Too many ads, the price is way too high',
          labels: [{ task: 'sentiment', label: i % 2 ? 'positive' : 'negative' }],
        }),
      ),
    );
    const submitted = await api.gql(graphql(`mutation DemoSubmitFeedback($input: [FeedbackInput!]!) { submitFeedback(input: $input) { failed } }`), { input: comments });
    expect(submitted.data!.submitFeedback.failed).toBe(0);
    const small = await api.gql(DASHBOARD, { first: 5 });
    const large = await api.gql(DASHBOARD, { first: 50 });
    expect(small.data!.campaigns.edges.every((edge) => edge.node.feedback!.length === 5)).toBe(true);
    expect(large.data!.campaigns.edges.every((edge) => edge.node.feedback!.length === 5)).toBe(true);
    expect(large.data!.campaigns.edges).toHaveLength(50);
    expect(small.sqlStatements).toBeGreaterThan(0);
    expect(large.sqlStatements).toBe(small.sqlStatements);
    expect(large.sqlStatements).toBeLessThanOrEqual(12);
  });
});
