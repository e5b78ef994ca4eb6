import type { Config } from './config.ts';
import type { Db } from './db/prisma.ts';
import { UsersService } from './modules/users/users.service.ts';

/** Long-lived, stateless services; one set per process. */
export function createServices(db: Db, config: Pick<Config, 'MAX_BATCH_SIZE' | 'MAX_PAGE_SIZE'>) {
  const limits = { maxBatchSize: config.MAX_BATCH_SIZE, maxPageSize: config.MAX_PAGE_SIZE };
  return {
    limits,
    users: new UsersService(db, limits),
  };
}
export type Services = ReturnType<typeof createServices>;
