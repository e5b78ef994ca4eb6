import type { Db } from '../db/prisma.ts';
import { createModelLoaders } from '../modules/models/models.loaders.ts';
import { createUserLoaders } from '../modules/users/users.loaders.ts';
import { createInteractionLoaders } from '../modules/interactions/interactions.loaders.ts';
import { createFeedbackLoaders } from '../modules/feedback/feedback.loaders.ts';
import { createProductLoaders } from '../modules/products/products.loaders.ts';
import { createCampaignLoaders } from '../modules/campaigns/campaigns.loaders.ts';
import { createAnalyticsLoaders } from '../modules/analytics/analytics.loaders.ts';

/** Per-request DataLoaders: batching and caching live exactly as long as one request. */
export function createLoaders(db: Db) {
  return {
    ...createModelLoaders(db),
    ...createUserLoaders(db),
    ...createInteractionLoaders(db),
    ...createFeedbackLoaders(db),
    ...createProductLoaders(db),
    ...createCampaignLoaders(db),
    ...createAnalyticsLoaders(db),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
