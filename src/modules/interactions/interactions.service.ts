import { createHash } from 'node:crypto';
import type { Db } from '../../db/prisma.ts';
import { rawTransaction } from '../../db/raw.ts';
import { resolveRefs } from '../../db/references.ts';
import { LockSpace, lockKeys } from '../../db/advisory-locks.ts';
import type { Interaction, Prisma } from '../../generated/prisma/client.ts';
import { ErrorCode } from '../../graphql/errors.ts';
import { listNewestFirst, type Connection, type PageArgs } from '../../graphql/pagination.ts';
import { assertBatchSize, bulkResult, eventTimeProblem, invalidTextError, MAX_EXTERNAL_ID, nothingWritten, retryBulkWrite } from '../common/bulk.ts';
import type { BulkWriteResult, RowError, ServiceLimits } from '../common/bulk.ts';
import { distinct, relatedConditions, type RelatedFilter } from '../common/filters.ts';
import { missingRefMessage, readRowRef, RowFieldError, type RowRef } from '../common/references.ts';
import { describeRatingScale, type RatingScale } from '../../ml/recommender/ratings.ts';
import { MAX_INTERACTION_VALUE, ratingValueProblem } from './interaction-values.ts';

export const INTERACTION_TYPES = ['VIEW', 'CLICK', 'ADD_TO_CART', 'PURCHASE', 'RATING'] as const;
export type InteractionTypeName = (typeof INTERACTION_TYPES)[number];
const TYPE_SET: ReadonlySet<string> = new Set(INTERACTION_TYPES);

// Defined beside the rating rule (the configuration checks the scale against it); re-exported for existing imports.
export { MAX_INTERACTION_VALUE };

export interface InteractionFilter extends RelatedFilter {
  types?: readonly string[] | null;
  occurredFrom?: Date | null;
  occurredTo?: Date | null;
}

interface ParsedRow {
  index: number;
  externalId: string | null;
  user: RowRef;
  product: RowRef;
  campaign: RowRef | null;
  type: InteractionTypeName;
  value: number | null;
  occurredAt: Date;
}

/**
 * The ingestion hot path. Validation is hand-written (no per-row zod parse: at 10,000 rows it
 * is most of the CPU time), references are resolved with one query per entity type, and all
 * rows are written with one `INSERT ... SELECT FROM unnest(...) ON CONFLICT` statement.
 */
export class InteractionsService {
  constructor(
    private readonly db: Db,
    private readonly limits: ServiceLimits,
    /** The configured scale of RATING values (RATING_MIN, RATING_MAX, RATING_STEP). */
    readonly ratingScale: RatingScale,
  ) {}

  async findInteraction(ref: { id?: string | null; externalId?: string | null }): Promise<Interaction | null> {
    if (ref.id) return this.db.interaction.findUnique({ where: { id: BigInt(ref.id) } });
    if (ref.externalId) return this.db.interaction.findUnique({ where: { dedupeKey: externalDedupeKey(ref.externalId.trim()) } });
    return null;
  }

  listInteractions(args: PageArgs & { filter?: InteractionFilter | null }): Promise<Connection<Interaction>> {
    return listNewestFirst(args, {
      source: this.db.interaction,
      where: interactionWhere(args.filter),
      sortField: 'occurredAt',
      idKind: 'bigint',
      maxPageSize: this.limits.maxPageSize,
    });
  }

  /**
   * Records events idempotently by dedupe key (externalId, or a hash of the content). Rows that
   * fail validation or reference unknown users/products/campaigns are refused with their index;
   * the rest are written by one statement in one transaction.
   */
  async recordInteractions(input: readonly unknown[]): Promise<BulkWriteResult> {
    assertBatchSize(input, this.limits.maxBatchSize);
    const now = Date.now();
    const errors: RowError[] = [];
    const rows: ParsedRow[] = [];
    for (let index = 0; index < input.length; index += 1) {
      const raw = input[index];
      const invalid = invalidTextError(raw, index, externalIdOf);
      if (invalid) {
        errors.push(invalid);
        continue;
      }
      try {
        rows.push(parseRow(raw, index, now, this.ratingScale));
      } catch (error) {
        if (!(error instanceof RowFieldError)) throw error;
        errors.push({
          index,
          externalId: externalIdOf(raw),
          code: ErrorCode.BAD_USER_INPUT,
          message: `${error.field}: ${error.message}`,
          field: error.field,
        });
      }
    }
    if (rows.length === 0) return nothingWritten(errors);

    const refusedRows = errors;
    return retryBulkWrite(() =>
      rawTransaction(this.db, async (sql) => {
        const errors = [...refusedRows]; // per attempt: a retried attempt starts over
        // One query per entity type; FOR KEY SHARE keeps the referenced rows until commit.
        const users = await resolveRefs(
          sql,
          'users',
          rows.map((row) => row.user),
        );
        const products = await resolveRefs(
          sql,
          'products',
          rows.map((row) => row.product),
        );
        const campaigns = await resolveRefs(
          sql,
          'campaigns',
          rows.map((row) => row.campaign),
        );

        const n = rows.length;
        const keys: string[] = [];
        const externalIds: (string | null)[] = [];
        const userIds: string[] = [];
        const productIds: string[] = [];
        const types: string[] = [];
        const values: (number | null)[] = [];
        const campaignIds: (string | null)[] = [];
        const occurredAts: string[] = [];
        const firstIndexOfKey = new Map<string, number>();
        let unchanged = 0;

        for (let i = 0; i < n; i += 1) {
          const row = rows[i];
          const userId = users.lookup(row.user);
          const productId = products.lookup(row.product);
          const campaignId = row.campaign ? campaigns.lookup(row.campaign) : null;
          const missing = userId === undefined ? row.user : productId === undefined ? row.product : campaignId === undefined ? row.campaign : null;
          if (missing) {
            const entity = missing.field.startsWith('user') ? 'user' : missing.field.startsWith('product') ? 'product' : 'campaign';
            errors.push({
              index: row.index,
              externalId: row.externalId,
              code: ErrorCode.NOT_FOUND,
              message: missingRefMessage(missing, entity),
              field: missing.field,
            });
            continue;
          }
          const occurredAt = row.occurredAt.toISOString();
          const key = row.externalId !== null ? externalDedupeKey(row.externalId) : contentDedupeKey(userId!, productId!, row.type, row.value, campaignId ?? null, occurredAt);
          const first = firstIndexOfKey.get(key);
          if (first !== undefined) {
            if (row.externalId !== null) {
              errors.push({
                index: row.index,
                externalId: row.externalId,
                code: ErrorCode.CONFLICT,
                message: `externalId "${row.externalId}" appears more than once in this batch (first at index ${first}).`,
                field: 'externalId',
              });
            } else {
              unchanged += 1; // the same event (identical content) twice in one batch
            }
            continue;
          }
          firstIndexOfKey.set(key, row.index);
          keys.push(key);
          externalIds.push(row.externalId);
          userIds.push(userId!);
          productIds.push(productId!);
          types.push(row.type);
          values.push(row.value);
          campaignIds.push(campaignId ?? null);
          occurredAts.push(occurredAt);
        }
        if (keys.length === 0) return bulkResult({ created: 0, updated: 0, unchanged }, errors);
        // Concurrent batches with the same dedupe keys wait here, so they never deadlock on each other's inserts.
        await lockKeys(sql, [{ space: LockSpace.interactions, keys }]);

        // Inserts new keys; updates an existing key only when its content differs. Rows left
        // alone by the WHERE clause are not returned, so they count as unchanged.
        const [counts] = await sql.rows<{ created: number; updated: number }>(
          `WITH written AS (
           INSERT INTO interactions (dedupe_key, external_id, user_id, product_id, type, value, campaign_id, occurred_at)
           SELECT r.k, r.e, r.u, r.p, r.t::"InteractionType", r.v, r.c, r.o
           FROM unnest($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::float8[], $7::uuid[], $8::timestamptz[])
             AS r(k, e, u, p, t, v, c, o)
           ON CONFLICT (dedupe_key) DO UPDATE SET
             external_id = EXCLUDED.external_id, user_id = EXCLUDED.user_id, product_id = EXCLUDED.product_id,
             type = EXCLUDED.type, value = EXCLUDED.value, campaign_id = EXCLUDED.campaign_id, occurred_at = EXCLUDED.occurred_at
           WHERE (interactions.user_id, interactions.product_id, interactions.type, interactions.value,
                  interactions.campaign_id, interactions.occurred_at)
             IS DISTINCT FROM
                 (EXCLUDED.user_id, EXCLUDED.product_id, EXCLUDED.type, EXCLUDED.value, EXCLUDED.campaign_id, EXCLUDED.occurred_at)
           RETURNING (xmax = 0) AS inserted
         )
         SELECT (count(*) FILTER (WHERE inserted))::int AS created, (count(*) FILTER (WHERE NOT inserted))::int AS updated
         FROM written`,
          [keys, externalIds, userIds, productIds, types, values, campaignIds, occurredAts],
        );
        const created = Number(counts?.created ?? 0);
        const updated = Number(counts?.updated ?? 0);
        unchanged += keys.length - created - updated;
        return bulkResult({ created, updated, unchanged }, errors);
      }),
    );
  }
}

export function externalDedupeKey(externalId: string): string {
  return `x:${externalId}`;
}

/** Content hash of an event without externalId; resolved local ids, so id and externalId references agree. */
export function contentDedupeKey(userId: string, productId: string, type: string, value: number | null, campaignId: string | null, occurredAtIso: string): string {
  const content = `${userId}|${productId}|${type}|${value === null ? '' : value}|${campaignId ?? ''}|${occurredAtIso}`;
  return `h:${createHash('sha256').update(content).digest('hex')}`;
}

function parseRow(raw: unknown, index: number, now: number, ratingScale: RatingScale): ParsedRow {
  if (!raw || typeof raw !== 'object') throw new RowFieldError('input', 'must be an object');
  const row = raw as Record<string, unknown>;

  let externalId: string | null = null;
  if (row.externalId !== undefined && row.externalId !== null) {
    if (typeof row.externalId !== 'string') throw new RowFieldError('externalId', 'must be a string');
    externalId = row.externalId.trim();
    if (externalId.length === 0) throw new RowFieldError('externalId', 'must not be empty');
    if (externalId.length > MAX_EXTERNAL_ID) throw new RowFieldError('externalId', `must be at most ${MAX_EXTERNAL_ID} characters`);
  }

  const user = readRowRef(row, ['userId', 'userExternalId'], 'User', { required: true })!;
  const product = readRowRef(row, ['productId', 'productExternalId'], 'Product', { required: true })!;
  const campaign = readRowRef(row, ['campaignId', 'campaignExternalId'], 'Campaign') ?? null;

  const type = row.type;
  if (typeof type !== 'string' || !TYPE_SET.has(type)) {
    throw new RowFieldError('type', `must be one of ${INTERACTION_TYPES.join(', ')}`);
  }

  let value: number | null = null;
  if (row.value !== undefined && row.value !== null) {
    if (typeof row.value !== 'number' || !Number.isFinite(row.value)) throw new RowFieldError('value', 'must be a finite number');
    if (Math.abs(row.value) > MAX_INTERACTION_VALUE) {
      throw new RowFieldError('value', `must be between -${MAX_INTERACTION_VALUE} and ${MAX_INTERACTION_VALUE}`);
    }
    value = row.value;
  }
  if (type === 'RATING') {
    if (value === null) throw new RowFieldError('value', `is required for RATING (a rating from ${describeRatingScale(ratingScale)})`);
    const problem = ratingValueProblem(ratingScale, value);
    if (problem) throw new RowFieldError('value', problem);
  } else if (type === 'PURCHASE') {
    if (value === null) value = 1;
    else if (value <= 0) throw new RowFieldError('value', 'a PURCHASE quantity must be greater than 0');
  }

  const occurred = row.occurredAt;
  const occurredAt = occurred instanceof Date ? occurred : typeof occurred === 'string' ? new Date(occurred) : null;
  if (!occurredAt) throw new RowFieldError('occurredAt', 'must be an ISO-8601 timestamp');
  const problem = eventTimeProblem(occurredAt, now);
  if (problem) throw new RowFieldError('occurredAt', problem);

  return { index, externalId, user, product, campaign, type: type as InteractionTypeName, value, occurredAt };
}

function externalIdOf(raw: unknown): string | null {
  const value = raw && typeof raw === 'object' ? (raw as { externalId?: unknown }).externalId : null;
  return typeof value === 'string' ? value : null;
}

function interactionWhere(filter: InteractionFilter | null | undefined): Prisma.InteractionWhereInput {
  if (!filter) return {};
  const conditions: Prisma.InteractionWhereInput[] = [];
  conditions.push(...relatedConditions(filter));
  if (filter.types) conditions.push({ type: { in: distinct(filter.types as InteractionTypeName[]) } });
  if (filter.occurredFrom) conditions.push({ occurredAt: { gte: filter.occurredFrom } });
  if (filter.occurredTo) conditions.push({ occurredAt: { lt: filter.occurredTo } });
  return { AND: conditions };
}
