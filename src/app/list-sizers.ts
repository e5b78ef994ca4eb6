import type { ListSizer } from '../graphql/cost.ts';
import { bucketsSizer } from '../modules/analytics/buckets.ts';
import { daysSizer } from '../modules/campaigns/campaigns.loaders.ts';

/** The `@listSize(sizer:)` rules of the SDL, each owned by its module (src/graphql/cost.ts). */
export const LIST_SIZERS: Readonly<Record<string, ListSizer>> = {
  buckets: bucketsSizer,
  days: daysSizer,
};
