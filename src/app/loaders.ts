import type { Db } from '../db/prisma.ts';
import { createModelLoaders } from '../modules/models/models.loaders.ts';
import { createUserLoaders } from '../modules/users/users.loaders.ts';
import { createInteractionLoaders } from '../modules/interactions/interactions.loaders.ts';
import { createFeedbackLoaders } from '../modules/feedback/feedback.loaders.ts';
import { createProductLoaders } from '../modules/products/products.loaders.ts';
import { createCampaignLoaders } from '../modules/campaigns/campaigns.loaders.ts';
import { createAnalyticsLoaders } from '../modules/analytics/analytics.loaders.ts';

const GROUPS = [
  createModelLoaders,
  createUserLoaders,
  createInteractionLoaders,
  createFeedbackLoaders,
  createProductLoaders,
  createCampaignLoaders,
  createAnalyticsLoaders,
] as const;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
export type Loaders = UnionToIntersection<ReturnType<(typeof GROUPS)[number]>>;

const DB = Symbol('db');
type Holder = { [DB]: Db } & Record<string, unknown>;

/**
 * One prototype per process whose getters build a module's loaders on first use: a request
 * builds only the groups it reads (a recommendation, one of seven), not ~30 DataLoaders.
 */
let prototype: object | undefined;
function loadersPrototype(db: Db): object {
  if (prototype) return prototype;
  const proto: Record<string, unknown> = {};
  for (const group of GROUPS) {
    // The group's keys, read once from a throwaway instance (building loaders runs no query).
    const keys = Object.keys(group(db));
    for (const key of keys) {
      Object.defineProperty(proto, key, {
        get(this: Holder) {
          const built = group(this[DB]) as Record<string, unknown>;
          for (const name of keys) Object.defineProperty(this, name, { value: built[name], enumerable: true });
          return built[key];
        },
      });
    }
  }
  prototype = proto;
  return proto;
}

/** Per-request DataLoaders: batching and caching live exactly as long as one request. */
export function createLoaders(db: Db): Loaders {
  const loaders = Object.create(loadersPrototype(db)) as Holder;
  loaders[DB] = db;
  return loaders as unknown as Loaders;
}
