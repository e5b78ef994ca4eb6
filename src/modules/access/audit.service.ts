import type { Db } from '../../db/prisma.ts';
import type { AuditEntry, Prisma } from '../../generated/prisma/client.ts';
import type { Role } from './viewer.ts';
import type { ServiceLimits } from '../common/bulk.ts';
import { listNewestFirst, type Connection, type PageArgs } from '../../graphql/pagination.ts';

export interface AuditRecord {
  keyId: string | null;
  keyName: string | null;
  role: Role;
  operation: string;
  outcome: 'OK' | 'ERROR';
  errorCode: string | null;
  counts: Record<string, number | string>;
  requestId: string | null;
}

export interface AuditLogFilter {
  operation?: string | null;
  keyId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** The audit log of mutations: one row per executed mutation root field, no personal values. */
export class AuditService {
  constructor(
    private readonly db: Db,
    private readonly limits: Pick<ServiceLimits, 'maxPageSize'>,
  ) {}

  async record(entries: readonly AuditRecord[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.auditEntry.createMany({ data: entries.map((entry) => ({ ...entry, counts: entry.counts })) });
  }

  list(args: PageArgs & { filter?: AuditLogFilter | null }): Promise<Connection<AuditEntry>> {
    const filter = args.filter ?? {};
    const where: Prisma.AuditEntryWhereInput = {
      AND: [
        filter.operation ? { operation: filter.operation } : {},
        filter.keyId ? { keyId: filter.keyId } : {},
        filter.from ? { at: { gte: filter.from } } : {},
        filter.to ? { at: { lt: filter.to } } : {},
      ],
    };
    return listNewestFirst(args, { source: this.db.auditEntry, where, sortField: 'at', idKind: 'bigint', maxPageSize: this.limits.maxPageSize });
  }
}
