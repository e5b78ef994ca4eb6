import DataLoader from 'dataloader';
import type { Db } from '../../db/prisma.ts';
import { Prisma, type Feedback, type FeedbackLabel, type FeedbackPrediction } from '../../generated/prisma/client.ts';
import { byKey, firstRowsPerParent, groupByKey, perLimit } from '../common/loaders.ts';
import { MAX_TASKS_PER_FEEDBACK } from '../common/task-name.ts';

/** Columns of `feedback` under the Prisma model's field names, for raw queries. */
const FEEDBACK_COLUMNS = `f.id::text AS id, f.external_id AS "externalId", f.user_id::text AS "userId", f.product_id::text AS "productId",
  f.campaign_id::text AS "campaignId", f.channel::text AS channel, f.text, f.rating, f.language,
  f.created_at AS "createdAt", f.updated_at AS "updatedAt"`;

type ParentColumn = 'user_id' | 'product_id' | 'campaign_id';

/** The newest `limit` feedback items of each parent, in one statement per distinct limit (normally one per request). */
function newestFeedbackBy(db: Db, column: ParentColumn) {
  const query = { columns: Prisma.raw(FEEDBACK_COLUMNS), from: Prisma.sql`feedback f`, parent: Prisma.raw(`f.${column}`), order: Prisma.sql`f.created_at DESC, f.id DESC` };
  return new DataLoader<string, Feedback[]>((keys) => perLimit(keys, (parentIds, limit) => firstRowsPerParent<Feedback>(db, query, parentIds, limit)));
}

export function createFeedbackLoaders(db: Db) {
  return {
    feedbackById: new DataLoader<string, Feedback | null>(async (ids) => byKey(ids, await db.feedback.findMany({ where: { id: { in: [...ids] } } }), (row) => row.id)),
    feedbackLabelsByFeedbackId: new DataLoader<string, FeedbackLabel[]>(async (ids) =>
      groupByKey(ids, await db.feedbackLabel.findMany({ where: { feedbackId: { in: [...ids] } }, orderBy: { task: 'asc' } }), (row) => row.feedbackId).map((labels) =>
        labels.slice(0, MAX_TASKS_PER_FEEDBACK),
      ),
    ),
    feedbackPredictionsByFeedbackId: new DataLoader<string, FeedbackPrediction[]>(async (ids) =>
      groupByKey(ids, await db.feedbackPrediction.findMany({ where: { feedbackId: { in: [...ids] } }, orderBy: { task: 'asc' } }), (row) => row.feedbackId).map((predictions) =>
        predictions.slice(0, MAX_TASKS_PER_FEEDBACK),
      ),
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
