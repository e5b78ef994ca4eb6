import type { Db } from '../db/prisma.ts';
import { createUserLoaders } from '../modules/users/users.loaders.ts';

/** Per-request DataLoaders: batching and caching live exactly as long as one request. */
export function createLoaders(db: Db) {
  return {
    ...createUserLoaders(db),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
