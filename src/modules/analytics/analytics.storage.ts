import type { Db } from '../../db/prisma.ts';
import { Prisma, type Campaign } from '../../generated/prisma/client.ts';
import { CAMPAIGN_RATIOS_SQL, CAMPAIGN_SUMS_SQL, type CampaignTotalsValues } from '../campaigns/campaigns.loaders.ts';
import { CAMPAIGN_COLUMNS, campaignFromRow, type CampaignRow } from '../campaigns/campaigns.rows.ts';
import { ERASED_TEXT } from '../users/users.service.ts';
import { bucketSeries, bucketUnit, rangeTimestamps, truncDate, truncTimestamp, type Granularity } from './buckets.ts';

/**
 * The SQL of the analytics module: each function takes typed parameters (already validated by
 * AnalyticsService) and returns typed rows; the rules, defaults and mapping stay in the service.
 */

/** An inclusive range of UTC days (YYYY-MM-DD) cut into buckets. */
export interface BucketedRange {
  from: string;
  to: string;
  granularity: Granularity;
}

/** One bucket (or, with `is_total`, the whole range) of a campaign's stats: recorded sums and attributed purchases. */
export interface CampaignStatsRow extends CampaignTotalsValues {
  start: Date | null;
  is_total: boolean;
  tracked_clicks: number;
  purchases: number;
  direct_purchases: number;
  units: number;
  buyers: number;
}

/**
 * One statement: recorded metrics summed per bucket and in total (GROUPING SETS), attributed
 * purchases per bucket and in total, joined onto generate_series so empty buckets are present.
 */
export function campaignStatsRows(db: Db, p: BucketedRange & { campaignId: string; attributionWindowDays: number }): Promise<CampaignStatsRow[]> {
  const { unit, step } = bucketUnit(p.granularity);
  const { lo, hi } = rangeTimestamps(p.from, p.to);
  const id = p.campaignId;
  const windowSql = Prisma.sql`make_interval(days => ${p.attributionWindowDays}::int)`;
  const metricStart = truncDate(Prisma.sql`m.date`, unit);
  const clickStart = truncTimestamp(Prisma.sql`k.occurred_at`, unit);
  const purchaseStart = truncTimestamp(Prisma.sql`p.occurred_at`, unit);
  return db.$queryRaw<CampaignStatsRow[]>`
      WITH buckets AS (${bucketSeries(p.from, p.to, unit, step)}),
      metric AS (
        SELECT m.start, GROUPING(m.start) = 1 AS is_total, ${CAMPAIGN_SUMS_SQL}
        FROM (
          SELECT ${metricStart} AS start, m.impressions, m.clicks, m.conversions, m.spend, m.revenue
          FROM campaign_metrics m
          WHERE m.campaign_id = ${id}::uuid AND m.date BETWEEN ${p.from}::date AND ${p.to}::date
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
      -- Units summed as numeric (a float8 sum can overflow); MAX_INTERACTION_VALUE bounds each value.
      attributed AS (
        SELECT p.start, GROUPING(p.start) = 1 AS is_total, count(*)::int AS purchases,
          (count(*) FILTER (WHERE p.direct))::int AS direct_purchases, COALESCE(sum(p.units::numeric), 0)::float8 AS units,
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
}

/** A campaign's rank by one metric over a range, with its sums (money not yet rounded). */
export interface LeaderboardRow {
  rank: number;
  value: number | null;
  campaign: Campaign;
  totals: CampaignTotalsValues;
}

/** Totals columns renamed in the leaderboard statement (they would collide with the campaign's columns). */
type RenamedTotals = { [K in keyof CampaignTotalsValues as `${K}_`]: CampaignTotalsValues[K] };

/**
 * Campaigns ranked by one column of the per-campaign totals (SQL rank() over the sums of the
 * range). `column` must come from a fixed whitelist, never from client text.
 */
export async function leaderboardRows(
  db: Db,
  p: { column: string; ascending: boolean; from?: string | null; to?: string | null; campaignIds: string[] | null; limit: number },
): Promise<LeaderboardRow[]> {
  const ids = p.campaignIds;
  const value = Prisma.raw(`r.${p.column}`);
  const direction = Prisma.raw(p.ascending ? 'ASC' : 'DESC');
  const rows = await db.$queryRaw<(CampaignRow & RenamedTotals & { rank: number; value: number | null })[]>`
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
              ${p.from ? Prisma.sql`AND m.date >= ${p.from}::date` : Prisma.empty}
              ${p.to ? Prisma.sql`AND m.date <= ${p.to}::date` : Prisma.empty}
            ${ids ? Prisma.sql`WHERE c.id = ANY(${ids}::uuid[])` : Prisma.empty}
            GROUP BY c.id
          ) t
        ) r
      ) rk
      JOIN campaigns c ON c.id = rk.campaign_id
      ORDER BY rk.rank, c.external_id
      LIMIT ${p.limit}`;
  return rows.map(({ rank, value, impressions_, clicks_, conversions_, spend_, revenue_, ctr_, conversionRate_, costPerAcquisition_, roas_, ...campaign }) => ({
    rank,
    value,
    campaign: campaignFromRow(campaign),
    totals: {
      impressions: impressions_,
      clicks: clicks_,
      conversions: conversions_,
      spend: spend_,
      revenue: revenue_,
      ctr: ctr_,
      conversionRate: conversionRate_,
      costPerAcquisition: costPerAcquisition_,
      roas: roas_,
    },
  }));
}

/** The feedback a slice covers, by local ids (resolved by the service). Empty: all feedback. */
export interface FeedbackSlice {
  productId?: string;
  campaignId?: string;
  category?: string;
}

function sliceCondition(slice: FeedbackSlice): Prisma.Sql {
  if (slice.productId !== undefined) return Prisma.sql`f.product_id = ${slice.productId}::uuid`;
  if (slice.campaignId !== undefined) return Prisma.sql`f.campaign_id = ${slice.campaignId}::uuid`;
  if (slice.category !== undefined) return Prisma.sql`f.product_id IN (SELECT id FROM products WHERE category = ${slice.category})`;
  return Prisma.sql`TRUE`;
}

/** Feedback of a slice in a range, with the task's predicted and human label of each item. */
function sliceSql(p: BucketedRange & { slice: FeedbackSlice; task: string }): Prisma.Sql {
  const { unit } = bucketUnit(p.granularity);
  const { lo, hi } = rangeTimestamps(p.from, p.to);
  const start = truncTimestamp(Prisma.sql`f.created_at`, unit);
  return Prisma.sql`
        SELECT f.id, f.rating, f.created_at, ${start} AS start, p.label AS predicted, l.label AS human, f.text = ${ERASED_TEXT} AS erased
        FROM feedback f
        LEFT JOIN feedback_predictions p ON p.feedback_id = f.id AND p.task = ${p.task}
        LEFT JOIN feedback_labels l ON l.feedback_id = f.id AND l.task = ${p.task}
        WHERE ${sliceCondition(p.slice)} AND f.created_at >= ${lo} AND f.created_at < ${hi}`;
}

/** Volume, ratings and label counts of one bucket (`kind: 'bucket'`) or of the whole range (`'total'`). */
export interface FeedbackInsightsRow {
  kind: 'bucket' | 'total';
  start: Date | null;
  volume: number;
  rated: number;
  labelled: number;
  avg_rating: number | null;
  /** [source ('predicted' | 'human'), label, count]. */
  labels: [string, string, number][] | null;
}

/**
 * One statement: volume, ratings and label counts per bucket and in total (GROUPING SETS over
 * generate_series). Buckets come first, oldest first; the total row last.
 */
export async function feedbackInsightsRows(db: Db, p: BucketedRange & { slice: FeedbackSlice; task: string }): Promise<FeedbackInsightsRow[]> {
  const { unit, step } = bucketUnit(p.granularity);
  const all = await serial(
    db,
    db.$queryRaw<FeedbackInsightsRow[]>`
      WITH slice AS MATERIALIZED (${sliceSql(p)}),
      buckets AS (${bucketSeries(p.from, p.to, unit, step)}),
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
      LEFT JOIN lab l ON l.is_total`,
  );
  return all.sort((x, y) => (x.kind === y.kind ? x.start!.getTime() - y.start!.getTime() : x.kind === 'bucket' ? -1 : 1));
}

/** The `limit` most recent labelled (not erased) texts of a slice, each with its label (predicted before human). */
export function labelledTextSample(db: Db, p: BucketedRange & { slice: FeedbackSlice; task: string; limit: number }): Promise<{ text: string; label: string }[]> {
  return serial(
    db,
    db.$queryRaw<{ text: string; label: string }[]>`
            WITH slice AS (${sliceSql(p)})
            SELECT f.text, x.label FROM (
              SELECT s.id, COALESCE(s.predicted, s.human) AS label FROM slice s
              WHERE COALESCE(s.predicted, s.human) IS NOT NULL AND NOT s.erased
              ORDER BY s.created_at DESC, s.id DESC
              LIMIT ${p.limit}
            ) x
            JOIN feedback f ON f.id = x.id`,
  );
}

/**
 * Runs one statement without parallel workers. Measured on a 100k-feedback slice query on
 * this 2-core machine: 72 ms serial against 190 ms with a parallel hash join (worker start-up
 * and shared hash tables cost more than they save at dashboard slice sizes, and they take
 * the cores other requests need).
 */
async function serial<T>(db: Db, query: Prisma.PrismaPromise<T>): Promise<T> {
  const [, result] = await db.$transaction([db.$executeRaw`SET LOCAL max_parallel_workers_per_gather = 0`, query]);
  return result;
}

/** Feedback counts of one parent per (label, source): source 'p' predicted, 'h' human, null unlabelled. */
export interface SentimentRow {
  parent: string;
  label: string | null;
  source: 'p' | 'h' | null;
  n: number;
  rated: number;
  rating_sum: number;
}

/** Label counts and rating sums of many products' or campaigns' feedback for one task, in one GROUP BY. */
export function sentimentRows(db: Db, p: { column: 'product_id' | 'campaign_id'; parentIds: readonly string[]; task: string }): Promise<SentimentRow[]> {
  const parentColumn = Prisma.raw(`f.${p.column}`);
  return db.$queryRaw<SentimentRow[]>`
      SELECT ${parentColumn}::text AS parent, COALESCE(p.label, l.label) AS label,
        CASE WHEN p.label IS NOT NULL THEN 'p' WHEN l.label IS NOT NULL THEN 'h' END AS source,
        count(*)::int AS n, count(f.rating)::int AS rated, COALESCE(sum(f.rating), 0)::float8 AS rating_sum
      FROM feedback f
      LEFT JOIN feedback_predictions p ON p.feedback_id = f.id AND p.task = ${p.task}
      LEFT JOIN feedback_labels l ON l.feedback_id = f.id AND l.task = ${p.task}
      WHERE ${parentColumn} = ANY(${[...new Set(p.parentIds)]}::uuid[])
      GROUP BY 1, 2, 3`;
}

/** Missing and distinct values of the products' own columns. */
export interface ProductColumnStats {
  products: number;
  category_missing: number;
  category_distinct: number;
  category_mode: string | null;
  tags_missing: number;
  tags_distinct: number;
  price_missing: number;
  price_distinct: number;
}

/** Missing values, kind and summary of one attribute key. */
export interface ProductAttributeStats {
  name: string;
  present: number;
  missing: number;
  numeric: boolean;
  median: number | null;
  most_frequent: string | null;
  distinct_values: number;
}

/**
 * Missing values per product feature (jsonb_object_keys for the attribute keys), with the
 * recommender's rules: a value is missing when absent, null or an empty string; an attribute is
 * numeric when every present value is a number or boolean.
 */
export async function productFeatureRows(db: Db, p: { activeOnly: boolean }): Promise<{ columns: ProductColumnStats; attributes: ProductAttributeStats[] }> {
  const active = p.activeOnly ? Prisma.sql`WHERE p.active` : Prisma.empty;
  const [columns] = await db.$queryRaw<ProductColumnStats[]>`
      SELECT count(*)::int AS products,
        (count(*) FILTER (WHERE p.category IS NULL OR btrim(p.category) = ''))::int AS category_missing,
        (count(DISTINCT p.category) FILTER (WHERE btrim(p.category) <> ''))::int AS category_distinct,
        mode() WITHIN GROUP (ORDER BY p.category COLLATE "C") FILTER (WHERE btrim(p.category) <> '') AS category_mode,
        (count(*) FILTER (WHERE cardinality(p.tags) = 0))::int AS tags_missing,
        (SELECT count(DISTINCT t)::int FROM products p2 CROSS JOIN unnest(p2.tags) t ${p.activeOnly ? Prisma.sql`WHERE p2.active` : Prisma.empty}) AS tags_distinct,
        (count(*) FILTER (WHERE p.price IS NULL))::int AS price_missing,
        (count(DISTINCT p.price))::int AS price_distinct
      FROM products p ${active}`;
  const attributes = await db.$queryRaw<ProductAttributeStats[]>`
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
  return { columns: columns!, attributes };
}
