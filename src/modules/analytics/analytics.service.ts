import type { Db } from '../../db/prisma.ts';
import { Prisma, type Campaign } from '../../generated/prisma/client.ts';
import { notFoundError, userInputError } from '../../graphql/errors.ts';
import { CAMPAIGN_RATIOS_SQL, CAMPAIGN_SUMS_SQL, type CampaignTotalsValues } from '../campaigns/campaigns.loaders.ts';
import { CAMPAIGN_COLUMNS, campaignFromRow, type CampaignRow } from '../campaigns/campaigns.rows.ts';
import { assertDayRange, campaignWhere, type CampaignFilter } from '../campaigns/campaigns.service.ts';
import { ERASED_TEXT } from '../users/users.service.ts';
import {
  assertBucketRange,
  bucketEnd,
  bucketSeries,
  bucketUnit,
  isoDay,
  rangeTimestamps,
  truncDate,
  truncTimestamp,
  type Granularity,
} from './buckets.ts';
import { characteristicTerms, type LabelTerms } from './terms.ts';

export const DEFAULT_ATTRIBUTION_WINDOW_DAYS = 7;
export const MAX_ATTRIBUTION_WINDOW_DAYS = 90;
/** Upper bound of texts tokenised per feedbackInsights request (tokenising runs in Node). */
export const MAX_TERM_SAMPLE = 5000;
/** Texts tokenised when the request does not say: enough for stable terms, cheap enough for dashboards. */
export const DEFAULT_TERM_SAMPLE = 2000;
const MAX_TERMS_PER_LABEL = 50;
const MAX_LEADERBOARD = 100;
const TASK = /^[a-z0-9_-]{1,50}$/;

export interface AttributionValues {
  trackedClicks: number;
  purchases: number;
  directPurchases: number;
  clickThroughPurchases: number;
  units: number;
  buyers: number;
  purchasesPerClick: number | null;
}
export interface CampaignStatsBucketValues {
  start: string;
  end: string;
  metrics: CampaignTotalsValues;
  attribution: AttributionValues;
}
export interface CampaignStatsValues {
  campaign: Campaign;
  from: string;
  to: string;
  granularity: Granularity;
  attributionWindowDays: number;
  buckets: CampaignStatsBucketValues[];
  total: CampaignTotalsValues;
  totalAttribution: AttributionValues;
}

export type CampaignMetricName =
  | 'IMPRESSIONS'
  | 'CLICKS'
  | 'CONVERSIONS'
  | 'SPEND'
  | 'REVENUE'
  | 'CTR'
  | 'CONVERSION_RATE'
  | 'COST_PER_ACQUISITION'
  | 'ROAS';
/** Leaderboard metric → column of the totals subquery (a fixed whitelist, never client text). */
const METRIC_COLUMN: Record<CampaignMetricName, string> = {
  IMPRESSIONS: 'impressions',
  CLICKS: 'clicks',
  CONVERSIONS: 'conversions',
  SPEND: 'spend',
  REVENUE: 'revenue',
  CTR: 'ctr',
  CONVERSION_RATE: '"conversionRate"',
  COST_PER_ACQUISITION: '"costPerAcquisition"',
  ROAS: 'roas',
};

export interface LeaderboardEntry {
  rank: number;
  campaign: Campaign;
  value: number | null;
  totals: CampaignTotalsValues;
}

export interface LabelCountValues {
  label: string;
  count: number;
  share: number | null;
}
export interface FeedbackBucketValues {
  start: string;
  end: string;
  volume: number;
  ratedCount: number;
  averageRating: number | null;
  predicted: LabelCountValues[];
  human: LabelCountValues[];
}
export interface FeedbackInsightsValues {
  task: string;
  from: string;
  to: string;
  granularity: Granularity;
  buckets: FeedbackBucketValues[];
  total: FeedbackBucketValues;
  terms: LabelTerms[];
  termTextsInSlice: number;
  termTextsAnalysed: number;
}

/** The slice of feedback an insights request looks at (local ids, already decoded). */
export interface FeedbackScope {
  productId?: string | null;
  productExternalId?: string | null;
  campaignId?: string | null;
  campaignExternalId?: string | null;
  category?: string | null;
}

export interface SentimentSummaryValues {
  task: string;
  feedbackCount: number;
  labelledCount: number;
  fromPredictions: number;
  fromHumanLabels: number;
  labels: LabelCountValues[];
  averageRating: number | null;
}

export type ProductFeatureKind = 'CATEGORY' | 'TAGS' | 'PRICE' | 'NUMERIC' | 'CATEGORICAL';
export interface ProductFeatureQualityValues {
  name: string;
  kind: ProductFeatureKind;
  present: number;
  missing: number;
  missingRate: number;
  distinctValues: number;
  imputation: string;
  median: number | null;
  mostFrequent: string | null;
}
export interface ProductFeatureReportValues {
  products: number;
  features: ProductFeatureQualityValues[];
}

/**
 * What the recommender does with each kind of feature (src/ml/recommender/features.ts,
 * buildContentFeatures); keep in step with its report strategies.
 */
export const IMPUTATION: Record<ProductFeatureKind | 'DROPPED', string> = {
  CATEGORY: "one-hot; missing → 'missing' level",
  TAGS: "multi-hot (top 200, IDF); no tags → 'tags_missing' indicator",
  PRICE: "quantile band (5); missing → 'missing' band (no imputation)",
  NUMERIC: 'z-score; missing → median fill + missing indicator',
  CATEGORICAL: "one-hot (top 24 + other); missing → 'missing' level",
  DROPPED: 'all values missing; dropped',
};

interface StatsRow {
  start: Date | null;
  is_total: boolean;
  impressions: number;
  clicks: number;
  conversions: number;
  spend: number;
  revenue: number;
  ctr: number | null;
  conversionRate: number | null;
  costPerAcquisition: number | null;
  roas: number | null;
  tracked_clicks: number;
  purchases: number;
  direct_purchases: number;
  units: number;
  buyers: number;
}

export class AnalyticsService {
  constructor(private readonly db: Db) {}

  /**
   * One statement: recorded metrics summed per bucket and in total (GROUPING SETS), attributed
   * purchases per bucket and in total, joined onto generate_series so empty buckets are present.
   */
  async campaignStats(args: {
    campaign: { id?: string | null; externalId?: string | null };
    from: string;
    to: string;
    granularity?: Granularity | null;
    attributionWindowDays?: number | null;
  }): Promise<CampaignStatsValues> {
    const granularity = args.granularity ?? 'DAY';
    const window = args.attributionWindowDays ?? DEFAULT_ATTRIBUTION_WINDOW_DAYS;
    if (!Number.isInteger(window) || window < 0 || window > MAX_ATTRIBUTION_WINDOW_DAYS) {
      throw userInputError(`attributionWindowDays must be an integer from 0 to ${MAX_ATTRIBUTION_WINDOW_DAYS}.`, { argument: 'attributionWindowDays' });
    }
    assertBucketRange(args.from, args.to, granularity);
    const campaign = args.campaign.id
      ? await this.db.campaign.findUnique({ where: { id: args.campaign.id } })
      : await this.db.campaign.findUnique({ where: { externalId: args.campaign.externalId ?? '' } });
    if (!campaign) throw notFoundError('Campaign', args.campaign.id ? 'with this id' : `"${args.campaign.externalId}"`);

    const { unit, step } = bucketUnit(granularity);
    const { lo, hi } = rangeTimestamps(args.from, args.to);
    const id = campaign.id;
    const windowSql = Prisma.sql`make_interval(days => ${window}::int)`;
    const metricStart = truncDate(Prisma.sql`m.date`, unit);
    const clickStart = truncTimestamp(Prisma.sql`k.occurred_at`, unit);
    const purchaseStart = truncTimestamp(Prisma.sql`p.occurred_at`, unit);
    const rows = await this.db.$queryRaw<StatsRow[]>`
      WITH buckets AS (${bucketSeries(args.from, args.to, unit, step)}),
      metric AS (
        SELECT m.start, GROUPING(m.start) = 1 AS is_total, ${CAMPAIGN_SUMS_SQL}
        FROM (
          SELECT ${metricStart} AS start, m.impressions, m.clicks, m.conversions, m.spend, m.revenue
          FROM campaign_metrics m
          WHERE m.campaign_id = ${id}::uuid AND m.date BETWEEN ${args.from}::date AND ${args.to}::date
        ) m
        GROUP BY GROUPING SETS ((m.start), ())
      ),
      clicks AS MATERIALIZED (
        SELECT k.user_id, k.occurred_at, ${clickStart} AS start FROM interactions k
        WHERE k.campaign_id = ${id}::uuid AND k.type = 'CLICK'
          AND k.occurred_at >= ${lo} - ${windowSql} AND k.occurred_at < ${hi}
      ),
      targets AS MATERIALIZED (
        SELECT COALESCE(array_agg(cp.product_id), '{}') AS ids FROM campaign_products cp WHERE cp.campaign_id = ${id}::uuid
      ),
      tracked AS (
        SELECT k.start, GROUPING(k.start) = 1 AS is_total, count(*)::int AS tracked_clicks
        FROM clicks k WHERE k.occurred_at >= ${lo}
        GROUP BY GROUPING SETS ((k.start), ())
      ),
      purchases AS (
        SELECT p.user_id, COALESCE(p.value, 1) AS units, ${purchaseStart} AS start, true AS direct
        FROM interactions p
        WHERE p.campaign_id = ${id}::uuid AND p.type = 'PURCHASE' AND p.occurred_at >= ${lo} AND p.occurred_at < ${hi}
        UNION ALL
        SELECT DISTINCT ON (p.id) p.user_id, COALESCE(p.value, 1), ${purchaseStart}, false
        FROM clicks k
        CROSS JOIN targets t
        -- Driven by the clicks: each click looks up its user's purchases in the window through the
        -- (user_id, occurred_at) index. OFFSET 0 keeps this a per-click lookup (the planner would
        -- otherwise scan every event of the target products, which are the popular ones).
        CROSS JOIN LATERAL (
          SELECT p.id, p.user_id, p.value, p.occurred_at FROM interactions p
          WHERE p.user_id = k.user_id AND p.occurred_at >= k.occurred_at AND p.occurred_at <= k.occurred_at + ${windowSql}
            AND p.occurred_at >= ${lo} AND p.occurred_at < ${hi}
            AND p.type = 'PURCHASE' AND p.product_id = ANY(t.ids) AND p.campaign_id IS DISTINCT FROM ${id}::uuid
          OFFSET 0
        ) p
      ),
      attributed AS (
        SELECT p.start, GROUPING(p.start) = 1 AS is_total, count(*)::int AS purchases,
          (count(*) FILTER (WHERE p.direct))::int AS direct_purchases, COALESCE(sum(p.units), 0)::float8 AS units,
          count(DISTINCT p.user_id)::int AS buyers
        FROM purchases p
        GROUP BY GROUPING SETS ((p.start), ())
      ),
      joined AS (
        SELECT b.start, false AS is_total, m.impressions, m.clicks, m.conversions, m.spend, m.revenue,
          t.tracked_clicks, a.purchases, a.direct_purchases, a.units, a.buyers
        FROM buckets b
        LEFT JOIN metric m ON m.start = b.start AND NOT m.is_total
        LEFT JOIN tracked t ON t.start = b.start AND NOT t.is_total
        LEFT JOIN attributed a ON a.start = b.start AND NOT a.is_total
        UNION ALL
        SELECT NULL, true, m.impressions, m.clicks, m.conversions, m.spend, m.revenue,
          t.tracked_clicks, a.purchases, a.direct_purchases, a.units, a.buyers
        FROM (SELECT 1) one
        LEFT JOIN metric m ON m.is_total
        LEFT JOIN tracked t ON t.is_total
        LEFT JOIN attributed a ON a.is_total
      )
      SELECT t.start, t.is_total, t.impressions, t.clicks, t.conversions, t.spend, t.revenue, ${CAMPAIGN_RATIOS_SQL},
        t.tracked_clicks, t.purchases, t.direct_purchases, t.units, t.buyers
      FROM (
        SELECT j.start, j.is_total, COALESCE(j.impressions, 0) AS impressions, COALESCE(j.clicks, 0) AS clicks,
          COALESCE(j.conversions, 0) AS conversions, COALESCE(j.spend, 0) AS spend, COALESCE(j.revenue, 0) AS revenue,
          COALESCE(j.tracked_clicks, 0) AS tracked_clicks, COALESCE(j.purchases, 0) AS purchases,
          COALESCE(j.direct_purchases, 0) AS direct_purchases, COALESCE(j.units, 0) AS units, COALESCE(j.buyers, 0) AS buyers
        FROM joined j
      ) t
      ORDER BY t.is_total, t.start`;

    const toMetrics = (row: StatsRow): CampaignTotalsValues => ({
      impressions: row.impressions,
      clicks: row.clicks,
      conversions: row.conversions,
      spend: roundMoney(row.spend),
      revenue: roundMoney(row.revenue),
      ctr: row.ctr,
      conversionRate: row.conversionRate,
      costPerAcquisition: row.costPerAcquisition,
      roas: row.roas,
    });
    const toAttribution = (row: StatsRow): AttributionValues => ({
      trackedClicks: row.tracked_clicks,
      purchases: row.purchases,
      directPurchases: row.direct_purchases,
      clickThroughPurchases: row.purchases - row.direct_purchases,
      units: row.units,
      buyers: row.buyers,
      purchasesPerClick: row.tracked_clicks > 0 ? row.purchases / row.tracked_clicks : null,
    });
    const totalRow = rows.find((row) => row.is_total)!;
    return {
      campaign,
      from: args.from,
      to: args.to,
      granularity,
      attributionWindowDays: window,
      buckets: rows
        .filter((row) => !row.is_total)
        .map((row) => {
          const start = isoDay(row.start!);
          return { start, end: bucketEnd(start, granularity), metrics: toMetrics(row), attribution: toAttribution(row) };
        }),
      total: toMetrics(totalRow),
      totalAttribution: toAttribution(totalRow),
    };
  }

  /** Campaigns ranked by one metric (SQL rank() over the per-campaign sums of the range). */
  async campaignLeaderboard(args: {
    metric: CampaignMetricName;
    from?: string | null;
    to?: string | null;
    filter?: CampaignFilter | null;
    limit?: number | null;
    ascending?: boolean | null;
  }): Promise<LeaderboardEntry[]> {
    const limit = args.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LEADERBOARD) {
      throw userInputError(`limit must be an integer from 1 to ${MAX_LEADERBOARD}.`, { argument: 'limit' });
    }
    assertDayRange(args.from, args.to);
    const column = METRIC_COLUMN[args.metric];
    if (!column) throw userInputError(`Unknown metric ${String(args.metric)}.`, { argument: 'metric' });
    // The filter reuses the campaigns list's rules; campaigns are few, so their ids are passed on.
    const ids = args.filter ? (await this.db.campaign.findMany({ where: campaignWhere(args.filter), select: { id: true } })).map((c) => c.id) : null;
    if (ids && ids.length === 0) return [];
    const value = Prisma.raw(`r.${column}`);
    const direction = Prisma.raw(args.ascending ? 'ASC' : 'DESC');
    const rows = await this.db.$queryRaw<(CampaignRow & CampaignTotalsValues & { rank: number; value: number | null })[]>`
      SELECT rk.rank, rk.value, ${CAMPAIGN_COLUMNS},
        rk.impressions AS "impressions_", rk.clicks AS "clicks_", rk.conversions AS "conversions_", rk.spend AS "spend_",
        rk.revenue AS "revenue_", rk.ctr AS "ctr_", rk."conversionRate" AS "conversionRate_",
        rk."costPerAcquisition" AS "costPerAcquisition_", rk.roas AS "roas_"
      FROM (
        SELECT r.*, ${value}::float8 AS value, (rank() OVER (ORDER BY ${value} ${direction} NULLS LAST))::int AS rank
        FROM (
          SELECT t.*, ${CAMPAIGN_RATIOS_SQL}
          FROM (
            SELECT c.id AS campaign_id, ${CAMPAIGN_SUMS_SQL}
            FROM campaigns c
            LEFT JOIN campaign_metrics m ON m.campaign_id = c.id
              ${args.from ? Prisma.sql`AND m.date >= ${args.from}::date` : Prisma.empty}
              ${args.to ? Prisma.sql`AND m.date <= ${args.to}::date` : Prisma.empty}
            ${ids ? Prisma.sql`WHERE c.id = ANY(${ids}::uuid[])` : Prisma.empty}
            GROUP BY c.id
          ) t
        ) r
      ) rk
      JOIN campaigns c ON c.id = rk.campaign_id
      ORDER BY rk.rank, c.external_id
      LIMIT ${limit}`;
    return rows.map((row) => {
      const raw = row as unknown as Record<string, unknown>;
      const totals: CampaignTotalsValues = {
        impressions: raw.impressions_ as number,
        clicks: raw.clicks_ as number,
        conversions: raw.conversions_ as number,
        spend: roundMoney(raw.spend_ as number),
        revenue: roundMoney(raw.revenue_ as number),
        ctr: raw.ctr_ as number | null,
        conversionRate: raw.conversionRate_ as number | null,
        costPerAcquisition: raw.costPerAcquisition_ as number | null,
        roas: raw.roas_ as number | null,
      };
      const campaign = campaignFromRow({
        id: row.id,
        externalId: row.externalId,
        name: row.name,
        description: row.description,
        channel: row.channel,
        status: row.status,
        budget: row.budget,
        startsAt: row.startsAt,
        endsAt: row.endsAt,
        adCopies: row.adCopies,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
      });
      return { rank: row.rank, campaign, value: row.value, totals };
    });
  }

  /** Resolves the slice of a feedbackInsights request to a SQL condition on `feedback f`. */
  private async scopeCondition(scope: FeedbackScope): Promise<Prisma.Sql> {
    const given = [scope.productId, scope.productExternalId, scope.campaignId, scope.campaignExternalId, scope.category].filter(
      (value) => value !== undefined && value !== null,
    );
    if (given.length > 1) {
      throw userInputError('Give at most one of productId, productExternalId, campaignId, campaignExternalId or category.', { argument: 'productId' });
    }
    if (scope.productId) return Prisma.sql`f.product_id = ${scope.productId}::uuid`;
    if (scope.productExternalId) {
      const product = await this.db.product.findUnique({ where: { externalId: scope.productExternalId }, select: { id: true } });
      if (!product) throw notFoundError('Product', `"${scope.productExternalId}"`);
      return Prisma.sql`f.product_id = ${product.id}::uuid`;
    }
    if (scope.campaignId) return Prisma.sql`f.campaign_id = ${scope.campaignId}::uuid`;
    if (scope.campaignExternalId) {
      const campaign = await this.db.campaign.findUnique({ where: { externalId: scope.campaignExternalId }, select: { id: true } });
      if (!campaign) throw notFoundError('Campaign', `"${scope.campaignExternalId}"`);
      return Prisma.sql`f.campaign_id = ${campaign.id}::uuid`;
    }
    if (scope.category !== undefined && scope.category !== null) {
      return Prisma.sql`f.product_id IN (SELECT id FROM products WHERE category = ${scope.category})`;
    }
    return Prisma.sql`TRUE`;
  }

  /**
   * One statement: volume, ratings and label counts per bucket and in total (GROUPING SETS over
   * generate_series), plus the slice's `termSampleSize` most recent labelled texts, which are
   * tokenised here for the characteristic terms (the only work done in Node, hence the bound).
   */
  /**
   * Runs one statement without parallel workers. Measured on a 100k-feedback slice query on
   * this 2-core machine: 72 ms serial against 190 ms with a parallel hash join (worker start-up
   * and shared hash tables cost more than they save at dashboard slice sizes, and they take
   * the cores other requests need).
   */
  private async serial<T>(query: Prisma.PrismaPromise<T>): Promise<T> {
    const [, result] = await this.db.$transaction([this.db.$executeRaw`SET LOCAL max_parallel_workers_per_gather = 0`, query]);
    return result;
  }

  async feedbackInsights(args: FeedbackScope & {
    task?: string | null;
    from: string;
    to: string;
    granularity?: Granularity | null;
    termsPerLabel?: number | null;
    termSampleSize?: number | null;
  }): Promise<FeedbackInsightsValues> {
    const task = assertTask(args.task ?? 'sentiment');
    const granularity = args.granularity ?? 'WEEK';
    const termsPerLabel = args.termsPerLabel ?? 10;
    const sample = args.termSampleSize ?? DEFAULT_TERM_SAMPLE;
    if (!Number.isInteger(termsPerLabel) || termsPerLabel < 0 || termsPerLabel > MAX_TERMS_PER_LABEL) {
      throw userInputError(`termsPerLabel must be an integer from 0 to ${MAX_TERMS_PER_LABEL}.`, { argument: 'termsPerLabel' });
    }
    if (!Number.isInteger(sample) || sample < 0 || sample > MAX_TERM_SAMPLE) {
      throw userInputError(`termSampleSize must be an integer from 0 to ${MAX_TERM_SAMPLE}.`, { argument: 'termSampleSize' });
    }
    assertBucketRange(args.from, args.to, granularity);
    const scope = await this.scopeCondition(args);
    const { unit, step } = bucketUnit(granularity);
    const { lo, hi } = rangeTimestamps(args.from, args.to);
    const start = truncTimestamp(Prisma.sql`f.created_at`, unit);

    type Row = {
      kind: 'bucket' | 'total';
      start: Date | null;
      volume: number;
      rated: number;
      labelled: number;
      avg_rating: number | null;
      labels: [string, string, number][] | null;
    };
    // Two statements run concurrently on two connections: the aggregates over the slice, and
    // the `sample` most recent labelled texts, which are tokenized in Node while PostgreSQL is
    // still aggregating.
    const sliceSql = Prisma.sql`
        SELECT f.id, f.rating, f.created_at, ${start} AS start, p.label AS predicted, l.label AS human, f.text = ${ERASED_TEXT} AS erased
        FROM feedback f
        LEFT JOIN feedback_predictions p ON p.feedback_id = f.id AND p.task = ${task}
        LEFT JOIN feedback_labels l ON l.feedback_id = f.id AND l.task = ${task}
        WHERE ${scope} AND f.created_at >= ${lo} AND f.created_at < ${hi}`;
    const terms =
      sample === 0 || termsPerLabel === 0
        ? Promise.resolve({ sampled: 0, terms: characteristicTerms([], termsPerLabel) })
        : this.serial(this.db.$queryRaw<{ text: string; label: string }[]>`
            WITH slice AS (${sliceSql})
            SELECT f.text, x.label FROM (
              SELECT s.id, COALESCE(s.predicted, s.human) AS label FROM slice s
              WHERE COALESCE(s.predicted, s.human) IS NOT NULL AND NOT s.erased
              ORDER BY s.created_at DESC, s.id DESC
              LIMIT ${sample}
            ) x
            JOIN feedback f ON f.id = x.id`).then((sampled) => ({ sampled: sampled.length, terms: characteristicTerms(sampled, termsPerLabel) }));
    const aggregates = this.serial(this.db.$queryRaw<Row[]>`
      WITH slice AS MATERIALIZED (${sliceSql}),
      buckets AS (${bucketSeries(args.from, args.to, unit, step)}),
      vol AS (
        SELECT s.start, GROUPING(s.start) = 1 AS is_total, count(*)::int AS volume, count(s.rating)::int AS rated,
          avg(s.rating)::float8 AS avg_rating,
          (count(*) FILTER (WHERE COALESCE(s.predicted, s.human) IS NOT NULL AND NOT s.erased))::int AS labelled
        FROM slice s GROUP BY GROUPING SETS ((s.start), ())
      ),
      counted AS (
        SELECT s.start, GROUPING(s.start) = 1 AS is_total, 'predicted'::text AS source, s.predicted AS label, count(*)::int AS n
        FROM slice s WHERE s.predicted IS NOT NULL
        GROUP BY GROUPING SETS ((s.start, s.predicted), (s.predicted))
        UNION ALL
        SELECT s.start, GROUPING(s.start) = 1, 'human'::text, s.human, count(*)::int
        FROM slice s WHERE s.human IS NOT NULL
        GROUP BY GROUPING SETS ((s.start, s.human), (s.human))
      ),
      lab AS (
        SELECT c.start, c.is_total, jsonb_agg(jsonb_build_array(c.source, c.label, c.n)) AS labels
        FROM counted c GROUP BY c.start, c.is_total
      )
      SELECT 'bucket' AS kind, b.start, COALESCE(v.volume, 0) AS volume, COALESCE(v.rated, 0) AS rated, 0 AS labelled,
        v.avg_rating, l.labels
      FROM buckets b
      LEFT JOIN vol v ON v.start = b.start AND NOT v.is_total
      LEFT JOIN lab l ON l.start = b.start AND NOT l.is_total
      UNION ALL
      SELECT 'total', NULL, COALESCE(v.volume, 0), COALESCE(v.rated, 0), COALESCE(v.labelled, 0), v.avg_rating, l.labels
      FROM (SELECT 1) one
      LEFT JOIN vol v ON v.is_total
      LEFT JOIN lab l ON l.is_total`);
    const [all, characteristic] = await Promise.all([aggregates, terms]);
    const rows = all.sort((x, y) => (x.kind === y.kind ? x.start!.getTime() - y.start!.getTime() : x.kind === 'bucket' ? -1 : 1));
    const toBucket = (row: Row, startDay: string, endDay: string): FeedbackBucketValues => {
      const predicted: LabelCountValues[] = [];
      const human: LabelCountValues[] = [];
      for (const [source, label, n] of row.labels ?? []) (source === 'predicted' ? predicted : human).push({ label, count: n, share: null });
      return {
        start: startDay,
        end: endDay,
        volume: row.volume,
        ratedCount: row.rated,
        averageRating: row.avg_rating,
        predicted: withShares(predicted),
        human: withShares(human),
      };
    };
    const buckets = rows
      .filter((row) => row.kind === 'bucket')
      .map((row) => {
        const day = isoDay(row.start!);
        return toBucket(row, day, bucketEnd(day, granularity));
      });
    const totalRow = rows.find((row) => row.kind === 'total')!;
    const total = toBucket(totalRow, args.from, args.to);
    return {
      task,
      from: args.from,
      to: args.to,
      granularity,
      buckets,
      total,
      terms: characteristic.terms,
      termTextsInSlice: totalRow.labelled,
      termTextsAnalysed: characteristic.sampled,
    };
  }

  /**
   * Sentiment summaries of many products or campaigns for one task in one GROUP BY statement
   * (the DataLoader behind Product.productSentiment / Campaign.sentimentSummary).
   */
  async sentimentSummaries(column: 'product_id' | 'campaign_id', parentIds: readonly string[], task: string): Promise<Map<string, SentimentSummaryValues>> {
    const parentColumn = Prisma.raw(`f.${column}`);
    const rows = await this.db.$queryRaw<{ parent: string; label: string | null; source: string | null; n: number; rated: number; rating_sum: number }[]>`
      SELECT ${parentColumn}::text AS parent, COALESCE(p.label, l.label) AS label,
        CASE WHEN p.label IS NOT NULL THEN 'p' WHEN l.label IS NOT NULL THEN 'h' END AS source,
        count(*)::int AS n, count(f.rating)::int AS rated, COALESCE(sum(f.rating), 0)::float8 AS rating_sum
      FROM feedback f
      LEFT JOIN feedback_predictions p ON p.feedback_id = f.id AND p.task = ${task}
      LEFT JOIN feedback_labels l ON l.feedback_id = f.id AND l.task = ${task}
      WHERE ${parentColumn} = ANY(${[...new Set(parentIds)]}::uuid[])
      GROUP BY 1, 2, 3`;
    const summaries = new Map<string, SentimentSummaryValues & { rated: number; ratingSum: number }>();
    for (const id of parentIds) summaries.set(id, emptySummary(task));
    for (const row of rows) {
      const summary = summaries.get(row.parent)!;
      summary.feedbackCount += row.n;
      summary.rated += row.rated;
      summary.ratingSum += row.rating_sum;
      if (row.label === null) continue;
      summary.labelledCount += row.n;
      if (row.source === 'p') summary.fromPredictions += row.n;
      else summary.fromHumanLabels += row.n;
      const existing = summary.labels.find((entry) => entry.label === row.label);
      if (existing) existing.count += row.n;
      else summary.labels.push({ label: row.label, count: row.n, share: null });
    }
    const result = new Map<string, SentimentSummaryValues>();
    for (const [id, { rated, ratingSum, ...summary }] of summaries) {
      result.set(id, { ...summary, labels: withShares(summary.labels), averageRating: rated > 0 ? ratingSum / rated : null });
    }
    return result;
  }

  /**
   * Missing values per product feature, computed in SQL over products (jsonb_object_keys for the
   * attribute keys), with the recommender's rules: a value is missing when absent, null or an
   * empty string; an attribute is NUMERIC when every present value is a number or boolean.
   */
  async productFeatureReport(options: { activeOnly?: boolean | null } = {}): Promise<ProductFeatureReportValues> {
    const active = options.activeOnly ? Prisma.sql`WHERE p.active` : Prisma.empty;
    const [base] = await this.db.$queryRaw<
      {
        products: number;
        category_missing: number;
        category_distinct: number;
        category_mode: string | null;
        tags_missing: number;
        tags_distinct: number;
        price_missing: number;
        price_distinct: number;
      }[]
    >`
      SELECT count(*)::int AS products,
        (count(*) FILTER (WHERE p.category IS NULL OR btrim(p.category) = ''))::int AS category_missing,
        (count(DISTINCT p.category) FILTER (WHERE btrim(p.category) <> ''))::int AS category_distinct,
        mode() WITHIN GROUP (ORDER BY p.category COLLATE "C") FILTER (WHERE btrim(p.category) <> '') AS category_mode,
        (count(*) FILTER (WHERE cardinality(p.tags) = 0))::int AS tags_missing,
        (SELECT count(DISTINCT t)::int FROM products p2 CROSS JOIN unnest(p2.tags) t ${options.activeOnly ? Prisma.sql`WHERE p2.active` : Prisma.empty}) AS tags_distinct,
        (count(*) FILTER (WHERE p.price IS NULL))::int AS price_missing,
        (count(DISTINCT p.price))::int AS price_distinct
      FROM products p ${active}`;
    const attributes = await this.db.$queryRaw<
      { name: string; present: number; missing: number; numeric: boolean; median: number | null; most_frequent: string | null; distinct_values: number }[]
    >`
      WITH p AS (SELECT p.attributes FROM products p ${active}),
      keys AS (SELECT DISTINCT k FROM p, jsonb_object_keys(p.attributes) k),
      vals AS (
        SELECT keys.k AS name, p.attributes -> keys.k AS v,
          (p.attributes -> keys.k IS NULL OR jsonb_typeof(p.attributes -> keys.k) = 'null'
            OR (jsonb_typeof(p.attributes -> keys.k) = 'string' AND btrim(p.attributes ->> keys.k) = '')) AS missing
        FROM keys CROSS JOIN p
      )
      SELECT name, (count(*) FILTER (WHERE NOT missing))::int AS present, (count(*) FILTER (WHERE missing))::int AS missing,
        COALESCE(bool_and(jsonb_typeof(v) IN ('number', 'boolean')) FILTER (WHERE NOT missing), false) AS numeric,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE jsonb_typeof(v) WHEN 'number' THEN (v #>> '{}')::float8
          WHEN 'boolean' THEN CASE WHEN v = 'true'::jsonb THEN 1 ELSE 0 END END) FILTER (WHERE NOT missing) AS median,
        mode() WITHIN GROUP (ORDER BY v #>> '{}' COLLATE "C") FILTER (WHERE NOT missing) AS most_frequent,
        (count(DISTINCT v #>> '{}') FILTER (WHERE NOT missing))::int AS distinct_values
      FROM vals GROUP BY name ORDER BY name COLLATE "C"`;
    const n = base?.products ?? 0;
    const rate = (missing: number) => (n === 0 ? 0 : missing / n);
    const features: ProductFeatureQualityValues[] = [
      {
        name: 'category',
        kind: 'CATEGORY',
        present: n - base!.category_missing,
        missing: base!.category_missing,
        missingRate: rate(base!.category_missing),
        distinctValues: base!.category_distinct,
        imputation: IMPUTATION.CATEGORY,
        median: null,
        mostFrequent: base!.category_mode,
      },
      {
        name: 'tags',
        kind: 'TAGS',
        present: n - base!.tags_missing,
        missing: base!.tags_missing,
        missingRate: rate(base!.tags_missing),
        distinctValues: base!.tags_distinct,
        imputation: IMPUTATION.TAGS,
        median: null,
        mostFrequent: null,
      },
      {
        name: 'price',
        kind: 'PRICE',
        present: n - base!.price_missing,
        missing: base!.price_missing,
        missingRate: rate(base!.price_missing),
        distinctValues: base!.price_distinct,
        imputation: IMPUTATION.PRICE,
        median: null,
        mostFrequent: null,
      },
      ...attributes.map((row): ProductFeatureQualityValues => {
        const kind: ProductFeatureKind = row.numeric ? 'NUMERIC' : 'CATEGORICAL';
        return {
          name: row.name,
          kind,
          present: row.present,
          missing: row.missing,
          missingRate: rate(row.missing),
          distinctValues: row.distinct_values,
          imputation: row.present === 0 ? IMPUTATION.DROPPED : IMPUTATION[kind],
          median: row.numeric ? row.median : null,
          mostFrequent: row.numeric ? null : row.most_frequent,
        };
      }),
    ];
    return { products: n, features };
  }
}

function emptySummary(task: string): SentimentSummaryValues & { rated: number; ratingSum: number } {
  return { task, feedbackCount: 0, labelledCount: 0, fromPredictions: 0, fromHumanLabels: 0, labels: [], averageRating: null, rated: 0, ratingSum: 0 };
}

/** Sorts label counts (most frequent first, then by label) and fills in their shares. */
function withShares(counts: LabelCountValues[]): LabelCountValues[] {
  const total = counts.reduce((sum, entry) => sum + entry.count, 0);
  return counts
    .map((entry) => ({ ...entry, share: total > 0 ? entry.count / total : null }))
    .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : 1));
}

function roundMoney(value: number): number {
  return Math.round(value * 100) / 100;
}

export function assertTask(task: string): string {
  const trimmed = task.trim();
  if (!TASK.test(trimmed)) throw userInputError('task must be 1 to 50 characters of a-z, 0-9, _ and -.', { argument: 'task' });
  return trimmed;
}
