import DataLoader from 'dataloader';
import type { Db } from '../../db/prisma.ts';
import type { User } from '../../generated/prisma/client.ts';
import { byKey } from '../common/loaders.ts';

export function createUserLoaders(db: Db) {
  return {
    userById: new DataLoader<string, User | null>(async (ids) =>
      byKey(ids, await db.user.findMany({ where: { id: { in: [...ids] } } }), (user) => user.id),
    ),
  };
}
export type UserLoaders = ReturnType<typeof createUserLoaders>;
