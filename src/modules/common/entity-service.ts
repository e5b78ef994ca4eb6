import type { Db } from '../../db/prisma.ts';
import { findByRef, type RefSource } from '../../db/references.ts';
import { listNewestFirst, type Connection, type ListSource, type PageArgs } from '../../graphql/pagination.ts';
import type { ServiceLimits } from './bulk.ts';
import type { EntityRef } from './references.ts';

/**
 * The reads every plain entity module serves, written once: one row by its reference (local id
 * or externalId) and newest-first pages (by createdAt) of the rows its filter matches. A module's
 * service extends it and adds its writes.
 */
export abstract class EntityService<T extends { id: string; createdAt: Date }, Filter, Where> {
  protected constructor(
    protected readonly db: Db,
    protected readonly limits: ServiceLimits,
    private readonly rows: RefSource<T> & ListSource<T, Where>,
    private readonly where: (filter: Filter | null | undefined) => Where,
  ) {}

  /** The row a lookup names, or null. */
  find(ref: EntityRef): Promise<T | null> {
    return findByRef(this.rows, ref);
  }

  /** Newest first, with the module's filter and cursor pagination. */
  list(args: PageArgs & { filter?: Filter | null }): Promise<Connection<T>> {
    return listNewestFirst(args, { source: this.rows, where: this.where(args.filter), sortField: 'createdAt', maxPageSize: this.limits.maxPageSize });
  }
}
