import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../../db/prisma.ts';
import type { Campaign, CampaignChannel, CampaignStatus, Prisma } from '../../generated/prisma/client.ts';
import { ErrorCode } from '../../graphql/errors.ts';
import { toGlobalId, tryLocalIdOf } from '../../graphql/global-id.ts';
import { rawIn } from '../../db/raw.ts';
import { resolveRefs } from '../../db/references.ts';
import { LockSpace, lockKeys } from '../../db/advisory-locks.ts';
import { bulkResult, bulkTransaction, checkBatch, fields, notCleared, nothingWritten, rejectDuplicateKeys } from '../common/bulk.ts';
import type { BulkWriteResult, IndexedRow, ServiceLimits } from '../common/bulk.ts';
import { missingRefMessage, oneRefRefinement, readRowRef, RowFieldError, type RowRef } from '../common/references.ts';
import { money, sameMoney } from '../products/products.service.ts';
import { pick } from '../users/users.service.ts';
import { utcDay } from '../common/days.ts';
import { CAMPAIGN_COLUMNS, campaignFromRow, type CampaignRow as CampaignDbRow } from './campaigns.rows.ts';
import { EntityService } from '../common/entity-service.ts';
import { distinct, searchContains } from '../common/filters.ts';
import type { CampaignFilter } from '../../generated/schema-types.ts';

/** The CampaignFilter input of the schema (codegen): what the list's filter may hold. */
export type { CampaignFilter } from '../../generated/schema-types.ts';

/** Largest budget, and largest spend and revenue of one day (Decimal(14,2) holds them; sums are numeric). */
export const MAX_CAMPAIGN_MONEY = 100_000_000_000;
/**
 * Largest impressions, clicks or conversions of one day: the 32-bit Int of the schema and of the
 * column. Sums are bigint in SQL and exact as float8 (2^31 a day for every day from 1970 to 2999
 * stays below 2^53), so no stored value can make a total, ratio or ranking fail.
 */
export const MAX_DAILY_COUNT = 2_147_483_647;
const dailyCount = z.number().int('must be a whole number').min(0, 'must not be negative').max(MAX_DAILY_COUNT, `must be at most ${MAX_DAILY_COUNT}`);
const MAX_TARGET_PRODUCTS = 1000;
const CHANNELS = ['EMAIL', 'SMS', 'SOCIAL', 'SEARCH', 'DISPLAY'] as const;
const STATUSES = ['DRAFT', 'SCHEDULED', 'ACTIVE', 'PAUSED', 'COMPLETED'] as const;

const CampaignInputSchema = z.object({
  externalId: fields.externalId,
  name: fields.entityName('campaign'),
  description: fields.description,
  channel: z
    .enum(CHANNELS)
    .nullish()
    .refine(...notCleared('a campaign always has a channel')),
  status: z
    .enum(STATUSES)
    .nullish()
    .refine(...notCleared('a campaign always has a status')),
  budget: money(MAX_CAMPAIGN_MONEY).nullish(),
  startsAt: fields.timestamp.nullish(),
  endsAt: fields.timestamp.nullish(),
  adCopies: z.array(z.string().trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters')).max(20, 'must hold at most 20 ad copies').nullish(),
  productExternalIds: z.array(fields.externalId).max(MAX_TARGET_PRODUCTS, `must hold at most ${MAX_TARGET_PRODUCTS} products`).nullish(),
  productIds: z.array(z.string()).max(MAX_TARGET_PRODUCTS, `must hold at most ${MAX_TARGET_PRODUCTS} products`).nullish(),
});
type CampaignInput = z.output<typeof CampaignInputSchema>;

const MetricInputSchema = z
  .object({
    campaignId: z.string().nullish(),
    campaignExternalId: fields.externalId.nullish(),
    date: fields.day,
    impressions: dailyCount,
    clicks: dailyCount,
    conversions: dailyCount,
    spend: money(MAX_CAMPAIGN_MONEY),
    revenue: money(MAX_CAMPAIGN_MONEY).nullish(),
  })
  .superRefine((row, ctx) => {
    oneRefRefinement(['campaignId', 'campaignExternalId'])(row, ctx);
    if (row.clicks > row.impressions) {
      ctx.addIssue({ code: 'custom', path: ['clicks'], message: 'must not exceed impressions' });
    }
  });
type MetricInput = z.output<typeof MetricInputSchema>;

/** The columns an upsert may write, after merging the input over the stored row. */
interface CampaignValues {
  id: string;
  externalId: string;
  name: string;
  description: string | null;
  channel: CampaignChannel;
  status: CampaignStatus;
  budget: number | null;
  startsAt: Date | null;
  endsAt: Date | null;
  adCopies: string[];
}

/** A validated campaign row with its target products decoded (undefined: keep the stored targets). */
interface CampaignRow {
  input: CampaignInput;
  targets?: { ids: string[]; externalIds: string[] };
}

/** campaigns / campaign (EntityService), upsertCampaigns and recordCampaignMetrics. */
export class CampaignsService extends EntityService<Campaign, CampaignFilter, Prisma.CampaignWhereInput> {
  constructor(db: Db, limits: ServiceLimits) {
    super(db, limits, db.campaign, campaignWhere);
  }

  /**
   * Creates or updates campaigns by externalId in one transaction. Omitted fields keep their
   * stored values; explicit nulls clear them. Given target products replace the stored set;
   * a row naming an unknown product is refused whole (NOT_FOUND).
   */
  async upsertCampaigns(input: readonly unknown[]): Promise<BulkWriteResult> {
    const { rows: valid, errors: refused } = checkBatch(input, CampaignInputSchema, { maxBatchSize: this.limits.maxBatchSize, unique: 'externalId' });
    const errors = [...refused];

    const rows: IndexedRow<CampaignRow>[] = [];
    for (const { index, value } of valid) {
      if (value.productIds === undefined && value.productExternalIds === undefined) {
        rows.push({ index, value: { input: value } });
        continue;
      }
      const ids: string[] = [];
      const malformed: string[] = [];
      for (const globalId of value.productIds ?? []) {
        const localId = tryLocalIdOf('Product', globalId);
        if (localId) ids.push(localId.toLowerCase());
        else malformed.push(globalId);
      }
      if (malformed.length) {
        errors.push({
          index,
          externalId: value.externalId,
          code: ErrorCode.BAD_USER_INPUT,
          message: `productIds: ${listOf(malformed)} ${malformed.length === 1 ? 'is not a valid Product ID' : 'are not valid Product IDs'}.`,
          field: 'productIds',
        });
        continue;
      }
      rows.push({ index, value: { input: value, targets: { ids, externalIds: value.productExternalIds ?? [] } } });
    }
    if (rows.length === 0) return nothingWritten(errors);

    const refusedRows = errors;
    return bulkTransaction(this.db, async (tx) => {
      const errors = [...refusedRows]; // per attempt: a retried attempt starts over
      // Concurrent batches naming the same campaigns wait here, then read what the other committed.
      await lockKeys(rawIn(tx), [{ space: LockSpace.campaigns, keys: rows.map((row) => row.value.input.externalId) }]);
      // Raw `= ANY($1)`: one array parameter instead of one parameter per row.
      const existing = (
        await tx.$queryRaw<CampaignDbRow[]>`
          SELECT ${CAMPAIGN_COLUMNS} FROM campaigns c WHERE c.external_id = ANY(${rows.map((row) => row.value.input.externalId)}::text[])`
      ).map(campaignFromRow);
      const existingByExternalId = new Map(existing.map((campaign) => [campaign.externalId, campaign]));

      // Every product any row names, resolved in one query.
      const products = await resolveRefs(
        rawIn(tx),
        'products',
        rows.flatMap((row) => [
          ...(row.value.targets?.ids ?? []).map((value) => ({ kind: 'id' as const, value })),
          ...(row.value.targets?.externalIds ?? []).map((value) => ({ kind: 'externalId' as const, value })),
        ]),
        { lock: false },
      );
      const knownIds = products.ids;
      const idOfExternalId = products.byExternalId;

      // Stored targets of the stored campaigns whose targets may be replaced, in one query.
      const retargeted = rows
        .filter((row) => row.value.targets)
        .map((row) => existingByExternalId.get(row.value.input.externalId)?.id)
        .filter((id): id is string => !!id);
      const links = retargeted.length ? await tx.campaignProduct.findMany({ where: { campaignId: { in: retargeted } } }) : [];
      const storedTargets = new Map<string, Set<string>>();
      for (const link of links) {
        const set = storedTargets.get(link.campaignId) ?? new Set<string>();
        set.add(link.productId);
        storedTargets.set(link.campaignId, set);
      }

      const inserts: CampaignValues[] = [];
      const updates: CampaignValues[] = [];
      const newLinks: { campaignId: string; productId: string }[] = [];
      const relinked: string[] = [];
      let unchanged = 0;
      for (const { index, value } of rows) {
        const { input: row, targets } = value;
        const fail = (code: string, field: string | null, message: string) => errors.push({ index, externalId: row.externalId, code, message, field });

        let targetIds: Set<string> | undefined;
        if (targets) {
          const unknownIds = targets.ids.filter((id) => !knownIds.has(id));
          const unknownExternalIds = targets.externalIds.filter((externalId) => !idOfExternalId.has(externalId));
          if (unknownExternalIds.length) {
            fail(ErrorCode.NOT_FOUND, 'productExternalIds', `productExternalIds: no product has externalId ${listOf(unknownExternalIds)}.`);
            continue;
          }
          if (unknownIds.length) {
            fail(ErrorCode.NOT_FOUND, 'productIds', `productIds: no product has ID ${listOf(unknownIds.map((id) => toGlobalId('Product', id)))}.`);
            continue;
          }
          targetIds = new Set([...targets.ids, ...targets.externalIds.map((externalId) => idOfExternalId.get(externalId)!)]);
          if (targetIds.size > MAX_TARGET_PRODUCTS) {
            fail(ErrorCode.BAD_USER_INPUT, 'productIds', `a campaign may target at most ${MAX_TARGET_PRODUCTS} products.`);
            continue;
          }
        }

        const stored = existingByExternalId.get(row.externalId);
        const merged = mergeCampaign(row, stored);
        if (merged.name === null) {
          fail(ErrorCode.BAD_USER_INPUT, 'name', 'name: is required for a new campaign.');
          continue;
        }
        if (merged.channel === null) {
          fail(ErrorCode.BAD_USER_INPUT, 'channel', 'channel: is required for a new campaign.');
          continue;
        }
        if (merged.startsAt && merged.endsAt && merged.endsAt < merged.startsAt) {
          const blame = row.endsAt !== undefined ? 'endsAt' : 'startsAt';
          fail(ErrorCode.BAD_USER_INPUT, blame, `${blame}: endsAt (${merged.endsAt.toISOString()}) must not be before startsAt (${merged.startsAt.toISOString()}).`);
          continue;
        }
        const values = merged as CampaignValues;
        const targetsChanged = targetIds !== undefined && (!stored || !sameSet(storedTargets.get(stored.id), targetIds));
        if (targetIds && targetsChanged) {
          if (stored) relinked.push(stored.id);
          for (const productId of targetIds) newLinks.push({ campaignId: values.id, productId });
        }
        if (!stored) inserts.push(values);
        else if (targetsChanged || campaignChanged(stored, values)) updates.push(values);
        else unchanged += 1;
      }

      if (inserts.length) {
        await tx.$executeRaw`
          INSERT INTO campaigns (id, external_id, name, description, channel, status, budget, starts_at, ends_at, ad_copies, created_at, updated_at)
          SELECT r.id, r."externalId", r.name, r.description, r.channel::"CampaignChannel", r.status::"CampaignStatus",
            r.budget, r."startsAt", r."endsAt", ARRAY(SELECT jsonb_array_elements_text(r."adCopies")), now(), now()
          FROM jsonb_to_recordset(${JSON.stringify(inserts)}::jsonb)
            AS r(id uuid, "externalId" text, name text, description text, channel text, status text, budget numeric,
                 "startsAt" timestamptz, "endsAt" timestamptz, "adCopies" jsonb)`;
      }
      if (updates.length) {
        await tx.$executeRaw`
          UPDATE campaigns AS c SET name = r.name, description = r.description, channel = r.channel::"CampaignChannel",
            status = r.status::"CampaignStatus", budget = r.budget, starts_at = r."startsAt", ends_at = r."endsAt",
            ad_copies = ARRAY(SELECT jsonb_array_elements_text(r."adCopies")), updated_at = now()
          FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb)
            AS r(id uuid, name text, description text, channel text, status text, budget numeric,
                 "startsAt" timestamptz, "endsAt" timestamptz, "adCopies" jsonb)
          WHERE c.id = r.id`;
      }
      if (relinked.length) {
        await tx.$executeRaw`DELETE FROM campaign_products WHERE campaign_id = ANY(${relinked}::uuid[])`;
      }
      if (newLinks.length) {
        await tx.$executeRaw`
          INSERT INTO campaign_products (campaign_id, product_id)
          SELECT r."campaignId", r."productId"
          FROM jsonb_to_recordset(${JSON.stringify(newLinks)}::jsonb) AS r("campaignId" uuid, "productId" uuid)
          ON CONFLICT DO NOTHING`;
      }
      return bulkResult({ created: inserts.length, updated: updates.length, unchanged }, errors);
    });
  }

  /**
   * Upserts daily figures keyed by (campaign, date) in one statement: new days are inserted,
   * changed days updated, identical re-sends left alone (and counted as unchanged).
   */
  async recordCampaignMetrics(input: readonly unknown[]): Promise<BulkWriteResult> {
    const { rows: valid, errors: refused } = checkBatch(input, MetricInputSchema, { maxBatchSize: this.limits.maxBatchSize, externalIdOf: metricExternalId });
    const errors = [...refused];

    const decoded: IndexedRow<MetricInput & { ref: RowRef }>[] = [];
    for (const { index, value } of valid) {
      try {
        decoded.push({ index, value: { ...value, ref: readRowRef(value, ['campaignId', 'campaignExternalId'], 'Campaign', { required: true })! } });
      } catch (error) {
        if (!(error instanceof RowFieldError)) throw error;
        errors.push({ index, externalId: null, code: ErrorCode.BAD_USER_INPUT, message: `${error.field}: ${error.message}`, field: error.field });
      }
    }
    if (decoded.length === 0) return nothingWritten(errors);

    const refusedRows = errors;
    return bulkTransaction(this.db, async (tx) => {
      const errors = [...refusedRows]; // per attempt: a retried attempt starts over
      const campaigns = await resolveRefs(
        rawIn(tx),
        'campaigns',
        decoded.map((row) => row.value.ref),
        { lock: false },
      );
      const resolved: IndexedRow<MetricInput & { campaign: string }>[] = [];
      for (const { index, value } of decoded) {
        const campaign = campaigns.lookup(value.ref);
        if (!campaign) {
          errors.push({
            index,
            externalId: value.campaignExternalId ?? null,
            code: ErrorCode.NOT_FOUND,
            message: missingRefMessage(value.ref, 'campaign'),
            field: value.ref.field,
          });
          continue;
        }
        resolved.push({ index, value: { ...value, campaign } });
      }
      const unique = rejectDuplicateKeys(
        resolved,
        (row) => `${row.campaign}|${row.date}`,
        'campaign and date',
        (row) => row.campaignExternalId ?? null,
      );
      errors.push(...unique.errors);
      if (unique.unique.length === 0) return nothingWritten(errors);
      // Concurrent batches naming the same (campaign, day) wait here; the statement below then reads what the other committed.
      await lockKeys(rawIn(tx), [{ space: LockSpace.campaignMetrics, keys: unique.unique.map(({ value }) => `${value.campaign}|${value.date}`) }]);

      const payload = unique.unique.map(({ value }) => ({
        campaignId: value.campaign,
        date: value.date,
        impressions: value.impressions,
        clicks: value.clicks,
        conversions: value.conversions,
        spend: value.spend,
        // Omitted: keep the stored revenue (0 for a new day); null: 0.
        revenue: value.revenue === undefined ? undefined : (value.revenue ?? 0),
      }));
      const written = await tx.$queryRaw<{ inserted: boolean }[]>`
        INSERT INTO campaign_metrics AS cm (campaign_id, date, impressions, clicks, conversions, spend, revenue, updated_at)
        SELECT r."campaignId", r.date, r.impressions, r.clicks, r.conversions, r.spend, COALESCE(r.revenue, m.revenue, 0), now()
        FROM jsonb_to_recordset(${JSON.stringify(payload)}::jsonb)
          AS r("campaignId" uuid, date date, impressions int, clicks int, conversions int, spend numeric, revenue numeric)
        LEFT JOIN campaign_metrics m ON m.campaign_id = r."campaignId" AND m.date = r.date
        ON CONFLICT (campaign_id, date) DO UPDATE SET impressions = EXCLUDED.impressions, clicks = EXCLUDED.clicks,
          conversions = EXCLUDED.conversions, spend = EXCLUDED.spend, revenue = EXCLUDED.revenue, updated_at = now()
        WHERE (cm.impressions, cm.clicks, cm.conversions, cm.spend, cm.revenue)
          IS DISTINCT FROM (EXCLUDED.impressions, EXCLUDED.clicks, EXCLUDED.conversions, EXCLUDED.spend, EXCLUDED.revenue)
        RETURNING (xmax = 0) AS inserted`;
      const created = written.filter((row) => row.inserted).length;
      const updated = written.length - created;
      return bulkResult({ created, updated, unchanged: unique.unique.length - written.length }, errors);
    });
  }
}

function mergeCampaign(input: CampaignInput, stored: Campaign | undefined): Omit<CampaignValues, 'name' | 'channel'> & { name: string | null; channel: CampaignChannel | null } {
  const storedBudget = stored ? (stored.budget === null ? null : stored.budget.toNumber()) : undefined;
  return {
    id: stored?.id ?? randomUUID(),
    externalId: input.externalId,
    name: pick(input.name, stored?.name, null),
    description: pick(input.description, stored?.description, null),
    channel: pick(input.channel, stored?.channel, null),
    status: pick(input.status, stored?.status, null) ?? 'DRAFT',
    budget: pick(input.budget, storedBudget, null),
    startsAt: pick(input.startsAt, stored?.startsAt, null),
    endsAt: pick(input.endsAt, stored?.endsAt, null),
    adCopies: pick(input.adCopies, stored?.adCopies, null) ?? [],
  };
}

function campaignChanged(stored: Campaign, next: CampaignValues): boolean {
  return (
    stored.name !== next.name ||
    stored.description !== next.description ||
    stored.channel !== next.channel ||
    stored.status !== next.status ||
    !sameMoney(stored.budget, next.budget) ||
    stored.startsAt?.getTime() !== next.startsAt?.getTime() ||
    stored.endsAt?.getTime() !== next.endsAt?.getTime() ||
    stored.adCopies.length !== next.adCopies.length ||
    stored.adCopies.some((copy, i) => copy !== next.adCopies[i])
  );
}

function sameSet(stored: Set<string> | undefined, next: Set<string>): boolean {
  const before = stored ?? new Set<string>();
  return before.size === next.size && [...next].every((id) => before.has(id));
}

function listOf(values: string[]): string {
  const shown = values.slice(0, 10).map((value) => `"${value.length > 60 ? `${value.slice(0, 57)}...` : value}"`);
  return values.length > 10 ? `${shown.join(', ')} and ${values.length - 10} more` : shown.join(', ');
}

function metricExternalId(row: unknown): string | null {
  if (row && typeof row === 'object' && 'campaignExternalId' in row) {
    const value = (row as { campaignExternalId: unknown }).campaignExternalId;
    return typeof value === 'string' ? value : null;
  }
  return null;
}

export function campaignWhere(filter: CampaignFilter | null | undefined): Prisma.CampaignWhereInput {
  if (!filter) return {};
  const conditions: Prisma.CampaignWhereInput[] = [];
  if (filter.status) conditions.push({ status: filter.status });
  if (filter.statuses) conditions.push({ status: { in: distinct(filter.statuses) } });
  if (filter.channel) conditions.push({ channel: filter.channel });
  if (filter.channels) conditions.push({ channel: { in: distinct(filter.channels) } });
  if (filter.activeOn) {
    const dayStart = utcDay(filter.activeOn);
    const nextDay = new Date(dayStart.getTime() + 86_400_000);
    conditions.push({ startsAt: { lt: nextDay } });
    conditions.push({ OR: [{ endsAt: null }, { endsAt: { gte: dayStart } }] });
  }
  if (filter.startsFrom) conditions.push({ startsAt: { gte: filter.startsFrom } });
  if (filter.startsTo) conditions.push({ startsAt: { lt: filter.startsTo } });
  if (filter.search) {
    const matches = searchContains(filter.search);
    conditions.push({ OR: [{ name: matches }, { externalId: matches }] });
  }
  return { AND: conditions };
}
