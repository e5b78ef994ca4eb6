import DataLoader from 'dataloader';
import type { Db } from '../../db/prisma.ts';
import type { Interaction } from '../../generated/prisma/client.ts';
import { byKey, groupByKey, limitedKey } from '../common/loaders.ts';

/** Columns of `interactions` under the Prisma model's field names, for raw queries. */
const INTERACTION_COLUMNS = `i.id, i.dedupe_key AS "dedupeKey", i.external_id AS "externalId", i.user_id::text AS "userId",
  i.product_id::text AS "productId", i.type::text AS type, i.value, i.campaign_id::text AS "campaignId",
  i.occurred_at AS "occurredAt", i.created_at AS "createdAt"`;

/** DataLoader key for User.interactions: parent, limit and the (sorted) type filter. */
export function userInteractionsKey(userId: string, first: number, types: readonly string[] | null | undefined): string {
  return limitedKey(userId, first, types?.length ? [...new Set(types)].sort().join(',') : '');
}

/** DataLoader key for Product.interactionCount: parent and the (sorted) type filter. */
export function productCountKey(productId: string, types: readonly string[] | null | undefined): string {
  return `${productId}|${types?.length ? [...new Set(types)].sort().join(',') : ''}`;
}

function splitKey(key: string): { parentId: string; limit: number; types: string[] | null } {
  const [parentId, limit, types] = key.split('|');
  return { parentId, limit: Number(limit), types: types ? types.split(',') : null };
}

/** Groups keys that share everything but the parent, so each group is one SQL statement. */
function groupKeys<T extends { parentId: string }>(keys: readonly string[], parse: (key: string) => T, groupOf: (key: T) => string) {
  const groups = new Map<string, { sample: T; parentIds: string[] }>();
  for (const key of keys) {
    const parsed = parse(key);
    const group = groupOf(parsed);
    const entry = groups.get(group);
    if (entry) entry.parentIds.push(parsed.parentId);
    else groups.set(group, { sample: parsed, parentIds: [parsed.parentId] });
  }
  return [...groups.values()];
}

export function createInteractionLoaders(db: Db) {
  return {
    interactionById: new DataLoader<string, Interaction | null>(async (ids) =>
      byKey(ids, await db.interaction.findMany({ where: { id: { in: ids.map((id) => BigInt(id)) } } }), (row) => String(row.id)),
    ),

    /** Newest interactions per user: one ROW_NUMBER() query for all parents of a page. */
    interactionsByUser: new DataLoader<string, Interaction[]>(async (keys) => {
      const results = new Map<string, Interaction[]>();
      for (const { sample, parentIds } of groupKeys(keys, splitKey, (k) => `${k.limit}|${k.types?.join(',') ?? ''}`)) {
        const rows =
          sample.limit === 0
            ? []
            : await db.$queryRawUnsafe<(Interaction & { rn: bigint })[]>(
                `SELECT * FROM (
                   SELECT ${INTERACTION_COLUMNS},
                     ROW_NUMBER() OVER (PARTITION BY i.user_id ORDER BY i.occurred_at DESC, i.id DESC) AS rn
                   FROM interactions i
                   WHERE i.user_id = ANY($1::uuid[]) AND ($2::text[] IS NULL OR i.type::text = ANY($2::text[]))
                 ) ranked
                 WHERE rn <= $3
                 ORDER BY "userId", rn`,
                [...new Set(parentIds)],
                sample.types,
                sample.limit,
              );
        const grouped = groupByKey(parentIds, rows.map(stripRank), (row) => row.userId);
        parentIds.forEach((parentId, i) => results.set(userInteractionsKey(parentId, sample.limit, sample.types), grouped[i]));
      }
      return keys.map((key) => results.get(key) ?? []);
    }),

    /** Event counts per product: one GROUP BY for all parents of a page. */
    interactionCountByProduct: new DataLoader<string, number>(async (keys) => {
      const results = new Map<string, number>();
      const parse = (key: string) => {
        const [parentId, types] = key.split('|');
        return { parentId, types: types ? types.split(',') : null };
      };
      for (const { sample, parentIds } of groupKeys(keys, parse, (k) => k.types?.join(',') ?? '')) {
        const rows = await db.$queryRawUnsafe<{ productId: string; count: number }[]>(
          `SELECT product_id::text AS "productId", count(*)::int AS count
           FROM interactions
           WHERE product_id = ANY($1::uuid[]) AND ($2::text[] IS NULL OR type::text = ANY($2::text[]))
           GROUP BY product_id`,
          [...new Set(parentIds)],
          sample.types,
        );
        const counts = new Map(rows.map((row) => [row.productId, Number(row.count)]));
        for (const parentId of parentIds) results.set(productCountKey(parentId, sample.types), counts.get(parentId) ?? 0);
      }
      return keys.map((key) => results.get(key) ?? 0);
    }),
  };
}
export type InteractionLoaders = ReturnType<typeof createInteractionLoaders>;

function stripRank(row: Interaction & { rn?: unknown }): Interaction {
  const { rn: _rank, ...interaction } = row;
  return interaction;
}
