import { MAX_LABELS_PER_TASK } from '../common/task-name.ts';
import type { Db } from '../../db/prisma.ts';
import { findByRef } from '../../db/references.ts';
import type { Campaign } from '../../generated/prisma/client.ts';
import { integerArgument } from '../../graphql/arguments.ts';
import { notFoundError, userInputError } from '../../graphql/errors.ts';
import type { CampaignTotalsValues } from '../campaigns/campaigns.loaders.ts';
import { campaignWhere, type CampaignFilter } from '../campaigns/campaigns.service.ts';
import { assertDayRange, isoDay } from '../common/days.ts';
import { assertOneOf } from '../common/references.ts';
import { parseTaskName } from '../common/task-name.ts';
import {
  campaignStatsRows,
  feedbackInsightsRows,
  labelledTextSample,
  leaderboardRows,
  productFeatureRows,
  sentimentRows,
  type CampaignStatsRow,
  type FeedbackInsightsRow,
  type FeedbackSlice,
} from './analytics.storage.ts';
import { assertBucketRange, bucketEnd, type Granularity } from './buckets.ts';
import { characteristicTerms, type LabelTerms } from './terms.ts';

/**
 * The ranges of the dashboard arguments (their defaults are the schema's, analytics.graphql).
 * termSampleSize bounds the texts tokenised per feedbackInsights request: tokenising runs in Node.
 */
export const ANALYTICS_ARGUMENT_RANGES = {
  attributionWindowDays: { min: 0, max: 90 },
  limit: { min: 1, max: 100 },
  termsPerLabel: { min: 0, max: 50 },
  termSampleSize: { min: 0, max: 5000 },
} as const;

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

export type CampaignMetricName = 'IMPRESSIONS' | 'CLICKS' | 'CONVERSIONS' | 'SPEND' | 'REVENUE' | 'CTR' | 'CONVERSION_RATE' | 'COST_PER_ACQUISITION' | 'ROAS';
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

export class AnalyticsService {
  constructor(private readonly db: Db) {}

  async campaignStats(args: {
    campaign: { id?: string | null; externalId?: string | null };
    from: string;
    to: string;
    granularity?: Granularity | null;
    attributionWindowDays?: number | null;
  }): Promise<CampaignStatsValues> {
    // Argument defaults are the schema's (analytics.graphql); an explicit null is refused.
    const granularity = granularityArgument(args.granularity);
    const window = integerArgument(args.attributionWindowDays, { ...ANALYTICS_ARGUMENT_RANGES.attributionWindowDays, argument: 'attributionWindowDays' });
    assertBucketRange(args.from, args.to, granularity);
    const campaign = await findByRef(this.db.campaign, args.campaign);
    if (!campaign) throw notFoundError('Campaign', args.campaign.id ? 'with this id' : `"${args.campaign.externalId}"`);

    const rows = await campaignStatsRows(this.db, { campaignId: campaign.id, from: args.from, to: args.to, granularity, attributionWindowDays: window });
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
          return { start, end: bucketEnd(start, granularity), metrics: roundedTotals(row), attribution: attributionOf(row) };
        }),
      total: roundedTotals(totalRow),
      totalAttribution: attributionOf(totalRow),
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
    const limit = integerArgument(args.limit, { ...ANALYTICS_ARGUMENT_RANGES.limit, argument: 'limit' });
    assertDayRange(args.from, args.to);
    const column = METRIC_COLUMN[args.metric];
    if (!column) throw userInputError(`Unknown metric ${String(args.metric)}.`, { argument: 'metric' });
    // The filter reuses the campaigns list's rules; campaigns are few, so their ids are passed on.
    const campaignIds = args.filter ? (await this.db.campaign.findMany({ where: campaignWhere(args.filter), select: { id: true } })).map((c) => c.id) : null;
    if (campaignIds && campaignIds.length === 0) return [];
    const rows = await leaderboardRows(this.db, { column, ascending: args.ascending ?? false, from: args.from, to: args.to, campaignIds, limit });
    return rows.map((row) => ({ ...row, totals: roundedTotals(row.totals) }));
  }

  /** Resolves the slice of a feedbackInsights request: at most one of its references, externalIds to local ids. */
  private async slice(scope: FeedbackScope): Promise<FeedbackSlice> {
    assertOneOf(
      [scope.productId, scope.productExternalId, scope.campaignId, scope.campaignExternalId, scope.category],
      ['productId', 'productExternalId', 'campaignId', 'campaignExternalId', 'category'],
      { required: false },
    );
    if (scope.productId) return { productId: scope.productId };
    if (scope.productExternalId) {
      const product = await this.db.product.findUnique({ where: { externalId: scope.productExternalId }, select: { id: true } });
      if (!product) throw notFoundError('Product', `"${scope.productExternalId}"`);
      return { productId: product.id };
    }
    if (scope.campaignId) return { campaignId: scope.campaignId };
    if (scope.campaignExternalId) {
      const campaign = await this.db.campaign.findUnique({ where: { externalId: scope.campaignExternalId }, select: { id: true } });
      if (!campaign) throw notFoundError('Campaign', `"${scope.campaignExternalId}"`);
      return { campaignId: campaign.id };
    }
    if (scope.category !== undefined && scope.category !== null) return { category: scope.category };
    return {};
  }

  /**
   * Volume, ratings and label counts per bucket and in total, plus the characteristic terms of
   * the slice's `termSampleSize` most recent labelled texts (tokenised here: the only work done
   * in Node, hence the bound). The two statements run concurrently on two connections, so the
   * texts are tokenised while PostgreSQL is still aggregating.
   */
  async feedbackInsights(
    args: FeedbackScope & {
      task?: string | null;
      from: string;
      to: string;
      granularity?: Granularity | null;
      termsPerLabel?: number | null;
      termSampleSize?: number | null;
    },
  ): Promise<FeedbackInsightsValues> {
    const task = parseTaskName(args.task);
    const granularity = granularityArgument(args.granularity);
    const termsPerLabel = integerArgument(args.termsPerLabel, { ...ANALYTICS_ARGUMENT_RANGES.termsPerLabel, argument: 'termsPerLabel' });
    const sample = integerArgument(args.termSampleSize, { ...ANALYTICS_ARGUMENT_RANGES.termSampleSize, argument: 'termSampleSize' });
    assertBucketRange(args.from, args.to, granularity);
    const query = { slice: await this.slice(args), task, from: args.from, to: args.to, granularity };

    const terms =
      sample === 0 || termsPerLabel === 0
        ? characteristicTerms([], termsPerLabel).then((labelTerms) => ({ sampled: 0, terms: labelTerms }))
        : labelledTextSample(this.db, { ...query, limit: sample }).then(async (texts) => ({ sampled: texts.length, terms: await characteristicTerms(texts, termsPerLabel) }));
    const [rows, characteristic] = await Promise.all([feedbackInsightsRows(this.db, query), terms]);
    const buckets = rows
      .filter((row) => row.kind === 'bucket')
      .map((row) => {
        const day = isoDay(row.start!);
        return feedbackBucket(row, day, bucketEnd(day, granularity));
      });
    const totalRow = rows.find((row) => row.kind === 'total')!;
    return {
      task,
      from: args.from,
      to: args.to,
      granularity,
      buckets,
      total: feedbackBucket(totalRow, args.from, args.to),
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
    const rows = await sentimentRows(this.db, { column, parentIds, task });
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
   * Missing values per product feature, with the recommender's rules (see productFeatureRows)
   * and what the recommender does with each kind (IMPUTATION).
   */
  async productFeatureReport(options: { activeOnly?: boolean | null } = {}): Promise<ProductFeatureReportValues> {
    const { columns, attributes } = await productFeatureRows(this.db, { activeOnly: options.activeOnly ?? false });
    const n = columns.products;
    const feature = (
      name: string,
      kind: ProductFeatureKind,
      stats: { missing: number; distinct: number; median?: number | null; mostFrequent?: string | null; dropped?: boolean },
    ): ProductFeatureQualityValues => ({
      name,
      kind,
      present: n - stats.missing,
      missing: stats.missing,
      missingRate: n === 0 ? 0 : stats.missing / n,
      distinctValues: stats.distinct,
      imputation: stats.dropped ? IMPUTATION.DROPPED : IMPUTATION[kind],
      median: stats.median ?? null,
      mostFrequent: stats.mostFrequent ?? null,
    });
    const features: ProductFeatureQualityValues[] = [
      feature('category', 'CATEGORY', { missing: columns.category_missing, distinct: columns.category_distinct, mostFrequent: columns.category_mode }),
      feature('tags', 'TAGS', { missing: columns.tags_missing, distinct: columns.tags_distinct }),
      feature('price', 'PRICE', { missing: columns.price_missing, distinct: columns.price_distinct }),
      ...attributes.map((row) =>
        feature(row.name, row.numeric ? 'NUMERIC' : 'CATEGORICAL', {
          missing: row.missing,
          distinct: row.distinct_values,
          median: row.numeric ? row.median : null,
          mostFrequent: row.numeric ? null : row.most_frequent,
          dropped: row.present === 0,
        }),
      ),
    ];
    return { products: n, features };
  }
}

function granularityArgument(value: Granularity | null | undefined): Granularity {
  if (!value) throw userInputError('"granularity" must be one of DAY, WEEK or MONTH.', { argument: 'granularity' });
  return value;
}

/** Sums with money rounded to cents (float8 sums carry representation noise). */
function roundedTotals(row: CampaignTotalsValues): CampaignTotalsValues {
  return {
    impressions: row.impressions,
    clicks: row.clicks,
    conversions: row.conversions,
    spend: roundMoney(row.spend),
    revenue: roundMoney(row.revenue),
    ctr: row.ctr,
    conversionRate: row.conversionRate,
    costPerAcquisition: row.costPerAcquisition,
    roas: row.roas,
  };
}

function attributionOf(row: CampaignStatsRow): AttributionValues {
  return {
    trackedClicks: row.tracked_clicks,
    purchases: row.purchases,
    directPurchases: row.direct_purchases,
    clickThroughPurchases: row.purchases - row.direct_purchases,
    units: row.units,
    buyers: row.buyers,
    purchasesPerClick: row.tracked_clicks > 0 ? row.purchases / row.tracked_clicks : null,
  };
}

function feedbackBucket(row: FeedbackInsightsRow, start: string, end: string): FeedbackBucketValues {
  const predicted: LabelCountValues[] = [];
  const human: LabelCountValues[] = [];
  for (const [source, label, n] of row.labels ?? []) (source === 'predicted' ? predicted : human).push({ label, count: n, share: null });
  return {
    start,
    end,
    volume: row.volume,
    ratedCount: row.rated,
    averageRating: row.avg_rating,
    predicted: withShares(predicted),
    human: withShares(human),
  };
}

function emptySummary(task: string): SentimentSummaryValues & { rated: number; ratingSum: number } {
  return { task, feedbackCount: 0, labelledCount: 0, fromPredictions: 0, fromHumanLabels: 0, labels: [], averageRating: null, rated: 0, ratingSum: 0 };
}

/** Sorts label counts (most frequent first, then by label) and fills in their shares. */
/** Shares of the total, most frequent first; at most MAX_LABELS_PER_TASK labels (shares stay of the whole). */
function withShares(counts: LabelCountValues[]): LabelCountValues[] {
  const total = counts.reduce((sum, entry) => sum + entry.count, 0);
  return counts
    .map((entry) => ({ ...entry, share: total > 0 ? entry.count / total : null }))
    .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : 1))
    .slice(0, MAX_LABELS_PER_TASK);
}

function roundMoney(value: number): number {
  return Math.round(value * 100) / 100;
}
