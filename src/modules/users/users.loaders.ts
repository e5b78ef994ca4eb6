import DataLoader from 'dataloader';
import type { Db } from '../../db/prisma.ts';
import type { ConsentChange, User } from '../../generated/prisma/client.ts';
import { byKey } from '../common/loaders.ts';
import { raw } from '../../db/raw.ts';
import { usersById } from './users.rows.ts';

export function createUserLoaders(db: Db) {
  const sql = raw(db);
  return {
    userById: new DataLoader<string, User | null>(async (ids) => byKey(ids, await usersById(sql, ids), (user) => user.id)),
    /** Every consent change of each user, newest first. */
    consentHistoryByUserId: new DataLoader<string, ConsentChange[]>(async (ids) => {
      const rows = await db.consentChange.findMany({
        where: { userId: { in: [...ids] } },
        orderBy: [{ changedAt: 'desc' }, { id: 'desc' }],
      });
      const byUser = new Map<string, ConsentChange[]>(ids.map((id) => [id, []]));
      for (const row of rows) byUser.get(row.userId)?.push(row);
      return ids.map((id) => byUser.get(id) ?? []);
    }),
  };
}
export type UserLoaders = ReturnType<typeof createUserLoaders>;
