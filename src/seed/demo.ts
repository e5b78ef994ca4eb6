import type { Db } from '../db/prisma.ts';
import type { Logger } from '../logger.ts';

/** Seeds the demo data set once (skipped when any user exists). Filled in by the seed generator. */
export async function seedDemoDataOnce(db: Db, _logger: Logger): Promise<Record<string, number> | null> {
  if ((await db.user.count()) > 0) return null;
  return null;
}
