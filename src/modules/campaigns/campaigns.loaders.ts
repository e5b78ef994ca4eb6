import DataLoader from 'dataloader';
import type { Db } from '../../db/prisma.ts';
import { Prisma, type Campaign, type CampaignMetric, type Product } from '../../generated/prisma/client.ts';
import { daysInRange } from '../common/days.ts';
import { byKey, firstRowsPerParent, groupByKey, perLimit } from '../common/loaders.ts';
import { PRODUCT_COLUMNS, productFromRow, type ProductRow } from '../products/products.rows.ts';

/** A campaign with an optional inclusive range of UTC days (YYYY-MM-DD). */
export interface CampaignRangeKey {
  campaignId: string;
  from: string | null;
  to: string | null;
}

/** Sums and ratios of a campaign's daily metrics; ratios are null when their denominator is 0. */
export interface CampaignTotalsValues {
  impressions: number;
  clicks: number;
  conversions: number;
  spend: number;
  revenue: number;
  ctr: number | null;
  conversionRate: number | null;
  costPerAcquisition: number | null;
  roas: number | null;
}

export const EMPTY_TOTALS: CampaignTotalsValues = {
  impressions: 0,
  clicks: 0,
  conversions: 0,
  spend: 0,
  revenue: 0,
  ctr: null,
  conversionRate: null,
  costPerAcquisition: null,
  roas: null,
};

/**
 * Sums of campaign_metrics rows (alias `m`) as float8 columns named like CampaignTotalsValues;
 * shared by Campaign.totals and the analytics module (buckets, leaderboard). Summed as numeric,
 * which cannot overflow, and only then turned into float8: with the input ranges
 * (MAX_DAILY_COUNT, MAX_CAMPAIGN_MONEY per day) every sum and ratio of every stored range fits.
 */
export const CAMPAIGN_SUMS_SQL = Prisma.sql`COALESCE(SUM(m.impressions::numeric), 0)::float8 AS impressions,
  COALESCE(SUM(m.clicks::numeric), 0)::float8 AS clicks, COALESCE(SUM(m.conversions::numeric), 0)::float8 AS conversions,
  COALESCE(SUM(m.spend::numeric), 0)::float8 AS spend, COALESCE(SUM(m.revenue::numeric), 0)::float8 AS revenue`;

/** Derived ratios over the sums of CAMPAIGN_SUMS_SQL (alias `t`); null when the denominator is 0. */
export const CAMPAIGN_RATIOS_SQL = Prisma.sql`t.clicks / NULLIF(t.impressions, 0) AS ctr,
  t.conversions / NULLIF(t.clicks, 0) AS "conversionRate",
  t.spend / NULLIF(t.conversions, 0) AS "costPerAcquisition",
  t.revenue / NULLIF(t.spend, 0) AS roas`;

/**
 * The most days `Campaign.dailyMetrics` returns (the latest of its range), so a campaign's
 * history cannot make one field unbounded; also the size the cost model assumes for it.
 */
export const MAX_DAILY_METRICS = 366;

/** For the request cost model (`@listSize(sizer: "days")`): the days of from..to, at most MAX_DAILY_METRICS. */
export function daysSizer(args: Readonly<Record<string, unknown>>): number {
  const from = typeof args.from === 'string' ? args.from : null;
  const to = typeof args.to === 'string' ? args.to : null;
  return Math.min(MAX_DAILY_METRICS, daysInRange(from, to));
}

const rangeKey = (key: CampaignRangeKey) => `${key.campaignId}|${key.from ?? ''}|${key.to ?? ''}`;

/** Runs one batch query per distinct date range (a page's fields normally share one range). */
async function perRange<T>(
  keys: readonly CampaignRangeKey[],
  load: (campaignIds: string[], from: string | null, to: string | null) => Promise<Map<string, T>>,
  missing: () => T,
): Promise<T[]> {
  const ranges = new Map<string, { from: string | null; to: string | null; ids: string[] }>();
  for (const key of keys) {
    const range = `${key.from ?? ''}|${key.to ?? ''}`;
    const entry = ranges.get(range) ?? { from: key.from, to: key.to, ids: [] };
    entry.ids.push(key.campaignId);
    ranges.set(range, entry);
  }
  const results = new Map<string, T>();
  await Promise.all(
    [...ranges.values()].map(async ({ from, to, ids }) => {
      const loaded = await load(ids, from, to);
      for (const id of ids) results.set(rangeKey({ campaignId: id, from, to }), loaded.get(id) ?? missing());
    }),
  );
  return keys.map((key) => results.get(rangeKey(key)) ?? missing());
}

function dateBounds(from: string | null, to: string | null): Prisma.Sql {
  return Prisma.sql`${from ? Prisma.sql`AND m.date >= ${from}::date` : Prisma.empty}
    ${to ? Prisma.sql`AND m.date <= ${to}::date` : Prisma.empty}`;
}

export function createCampaignLoaders(db: Db) {
  return {
    campaignById: new DataLoader<string, Campaign | null>(async (ids) => byKey(ids, await db.campaign.findMany({ where: { id: { in: [...ids] } } }), (campaign) => campaign.id)),
    /** Keys: limitedKey(campaignId, first). Target products of each campaign, by name; one statement per distinct limit. */
    productsByCampaignId: new DataLoader<string, Product[]>((keys) =>
      perLimit(keys, async (ids, limit) => {
        const query = {
          columns: PRODUCT_COLUMNS,
          from: Prisma.sql`campaign_products cp JOIN products p ON p.id = cp.product_id`,
          parent: Prisma.sql`cp.campaign_id`,
          order: Prisma.sql`p.name, p.id`,
        };
        return (await firstRowsPerParent<ProductRow>(db, query, ids, limit)).map((rows) => rows.map(productFromRow));
      }),
    ),
    /** Daily metrics per campaign and date range, oldest day first: the latest MAX_DAILY_METRICS days of the range. */
    metricsByCampaignId: new DataLoader<CampaignRangeKey, CampaignMetric[], string>(
      (keys) =>
        perRange(
          keys,
          async (campaignIds, from, to) => {
            const rows = await db.$queryRaw<CampaignMetric[]>`
              SELECT campaign_id::text AS "campaignId", date, impressions, clicks, conversions, spend, revenue, updated_at AS "updatedAt"
              FROM (
                SELECT m.*, ROW_NUMBER() OVER (PARTITION BY m.campaign_id ORDER BY m.date DESC) AS rn
                FROM campaign_metrics m
                WHERE m.campaign_id = ANY(${campaignIds}::uuid[]) ${dateBounds(from, to)}
              ) ranked
              WHERE rn <= ${MAX_DAILY_METRICS}
              ORDER BY campaign_id, date`;
            const grouped = groupByKey(campaignIds, rows, (row) => row.campaignId);
            return new Map(campaignIds.map((id, i) => [id, grouped[i]!]));
          },
          () => [],
        ),
      { cacheKeyFn: rangeKey },
    ),
    /** Totals per campaign and date range, summed in SQL (SUM ... GROUP BY campaign_id). */
    totalsByCampaignId: new DataLoader<CampaignRangeKey, CampaignTotalsValues, string>(
      (keys) =>
        perRange(
          keys,
          async (campaignIds, from, to) => {
            const rows = await db.$queryRaw<(CampaignTotalsValues & { campaignId: string })[]>`
              SELECT t.campaign_id AS "campaignId", t.impressions, t.clicks, t.conversions, t.spend, t.revenue,
                ${CAMPAIGN_RATIOS_SQL}
              FROM (
                SELECT m.campaign_id, ${CAMPAIGN_SUMS_SQL}
                FROM campaign_metrics m
                WHERE m.campaign_id = ANY(${campaignIds}::uuid[]) ${dateBounds(from, to)}
                GROUP BY m.campaign_id
              ) t`;
            return new Map(rows.map(({ campaignId, ...totals }) => [campaignId, totals]));
          },
          () => ({ ...EMPTY_TOTALS }),
        ),
      { cacheKeyFn: rangeKey },
    ),
  };
}
export type CampaignLoaders = ReturnType<typeof createCampaignLoaders>;
