import DataLoader from 'dataloader';
import type { Db } from '../../db/prisma.ts';
import { AnalyticsService, type SentimentSummaryValues } from './analytics.service.ts';

/** Key of a sentiment summary: the parent's local id and the task. */
export interface SentimentKey {
  parentId: string;
  task: string;
}

/** One GROUP BY statement per task (normally one per page) for all parents a page asks for. */
function sentimentLoader(analytics: AnalyticsService, column: 'product_id' | 'campaign_id') {
  return new DataLoader<SentimentKey, SentimentSummaryValues, string>(
    async (keys) => {
      const byTask = new Map<string, string[]>();
      for (const key of keys) byTask.set(key.task, [...(byTask.get(key.task) ?? []), key.parentId]);
      const results = new Map<string, SentimentSummaryValues>();
      await Promise.all(
        [...byTask].map(async ([task, ids]) => {
          const summaries = await analytics.sentimentSummaries(column, ids, task);
          for (const [id, summary] of summaries) results.set(`${id}|${task}`, summary);
        }),
      );
      return keys.map((key) => results.get(`${key.parentId}|${key.task}`)!);
    },
    { cacheKeyFn: (key) => `${key.parentId}|${key.task}` },
  );
}

export function createAnalyticsLoaders(db: Db) {
  const analytics = new AnalyticsService(db);
  return {
    sentimentByProductId: sentimentLoader(analytics, 'product_id'),
    sentimentByCampaignId: sentimentLoader(analytics, 'campaign_id'),
  };
}
export type AnalyticsLoaders = ReturnType<typeof createAnalyticsLoaders>;
