import DataLoader from 'dataloader';
import type { Db } from '../../db/prisma.ts';
import type { Feedback, FeedbackLabel, FeedbackPrediction } from '../../generated/prisma/client.ts';
import { byKey, groupByKey, limitedKey } from '../common/loaders.ts';
import { MAX_TASKS_PER_FEEDBACK } from '../common/task-name.ts';

/** Columns of `feedback` under the Prisma model's field names, for raw queries. */
const FEEDBACK_COLUMNS = `f.id::text AS id, f.external_id AS "externalId", f.user_id::text AS "userId", f.product_id::text AS "productId",
  f.campaign_id::text AS "campaignId", f.channel::text AS channel, f.text, f.rating, f.language,
  f.created_at AS "createdAt", f.updated_at AS "updatedAt"`;

type ParentColumn = 'user_id' | 'product_id' | 'campaign_id';

/**
 * The newest `limit` feedback items of each parent, for every parent a page asked for, in one
 * ROW_NUMBER() statement per distinct limit (normally one per request).
 */
function newestFeedbackBy(db: Db, column: ParentColumn) {
  return new DataLoader<string, Feedback[]>(async (keys) => {
    const byLimit = new Map<number, string[]>();
    for (const key of keys) {
      const [parentId, limit] = key.split('|');
      const list = byLimit.get(Number(limit));
      if (list) list.push(parentId);
      else byLimit.set(Number(limit), [parentId]);
    }
    const results = new Map<string, Feedback[]>();
    for (const [limit, parentIds] of byLimit) {
      const rows =
        limit === 0
          ? []
          : await db.$queryRawUnsafe<(Feedback & { parentId: string; rn: bigint })[]>(
              `SELECT * FROM (
                 SELECT ${FEEDBACK_COLUMNS}, f.${column}::text AS "parentId",
                   ROW_NUMBER() OVER (PARTITION BY f.${column} ORDER BY f.created_at DESC, f.id DESC) AS rn
                 FROM feedback f
                 WHERE f.${column} = ANY($1::uuid[])
               ) ranked
               WHERE rn <= $2
               ORDER BY "parentId", rn`,
              [...new Set(parentIds)],
              limit,
            );
      const grouped = groupByKey(parentIds, rows, (row) => row.parentId);
      parentIds.forEach((parentId, i) =>
        results.set(limitedKey(parentId, limit), grouped[i].map(({ parentId: _p, rn: _rn, ...feedback }) => feedback as Feedback)),
      );
    }
    return keys.map((key) => results.get(key) ?? []);
  });
}

export function createFeedbackLoaders(db: Db) {
  return {
    feedbackById: new DataLoader<string, Feedback | null>(async (ids) =>
      byKey(ids, await db.feedback.findMany({ where: { id: { in: [...ids] } } }), (row) => row.id),
    ),
    feedbackLabelsByFeedbackId: new DataLoader<string, FeedbackLabel[]>(async (ids) =>
      groupByKey(ids, await db.feedbackLabel.findMany({ where: { feedbackId: { in: [...ids] } }, orderBy: { task: 'asc' } }), (row) => row.feedbackId).map(
        (labels) => labels.slice(0, MAX_TASKS_PER_FEEDBACK),
      ),
    ),
    feedbackPredictionsByFeedbackId: new DataLoader<string, FeedbackPrediction[]>(async (ids) =>
      groupByKey(
        ids,
        await db.feedbackPrediction.findMany({ where: { feedbackId: { in: [...ids] } }, orderBy: { task: 'asc' } }),
        (row) => row.feedbackId,
      ).map((predictions) => predictions.slice(0, MAX_TASKS_PER_FEEDBACK)),
    ),
    /** Keys: limitedKey(userId, first). */
    feedbackByUser: newestFeedbackBy(db, 'user_id'),
    /** Keys: limitedKey(productId, first). */
    feedbackByProduct: newestFeedbackBy(db, 'product_id'),
    /** Keys: limitedKey(campaignId, first). */
    feedbackByCampaign: newestFeedbackBy(db, 'campaign_id'),
  };
}
export type FeedbackLoaders = ReturnType<typeof createFeedbackLoaders>;
