import { z } from 'zod';
import type { Db } from '../../db/prisma.ts';
import type { Prisma, User } from '../../generated/prisma/client.ts';
import { userInputError } from '../../graphql/errors.ts';
import { afterPosition, paginate, type Connection, type PageArgs } from '../../graphql/pagination.ts';
import {
  assertBatchSize,
  bulkResult,
  fields,
  rejectDuplicateKeys,
  validateRows,
  type BulkWriteResult,
  type RowError,
} from '../common/bulk.ts';
import { ErrorCode } from '../../graphql/errors.ts';

export interface UserFilter {
  search?: string | null;
  marketingConsent?: boolean | null;
  createdFrom?: Date | null;
  createdTo?: Date | null;
}

/** Reference to one user as clients give it: exactly one of id (local) or externalId. */
export interface UserRef {
  id?: string | null;
  externalId?: string | null;
}

const UserInputSchema = z.object({
  externalId: fields.externalId,
  email: z
    .string()
    .trim()
    .toLowerCase()
    .max(320, 'must be at most 320 characters')
    .pipe(z.email('must be a valid email address'))
    .nullish(),
  name: fields.shortText(200).nullish(),
  attributes: fields.attributes.nullish(),
  marketingConsent: z.boolean().nullish(),
});
type UserInput = z.output<typeof UserInputSchema>;

/** The columns an upsert may write, after merging the input over the stored row. */
interface UserValues {
  externalId: string;
  email: string | null;
  name: string | null;
  attributes: Record<string, unknown>;
  marketingConsent: boolean;
}

export class UsersService {
  constructor(
    private readonly db: Db,
    private readonly limits: { maxBatchSize: number; maxPageSize: number },
  ) {}

  async findUser(ref: UserRef): Promise<User | null> {
    if (ref.id) return this.db.user.findUnique({ where: { id: ref.id } });
    if (ref.externalId) return this.db.user.findUnique({ where: { externalId: ref.externalId } });
    return null;
  }

  listUsers(args: PageArgs & { filter?: UserFilter | null }): Promise<Connection<User>> {
    const where = userWhere(args.filter);
    return paginate(args, {
      maxPageSize: this.limits.maxPageSize,
      position: (user) => ({ sort: user.createdAt, id: user.id }),
      fetch: (take, after) =>
        this.db.user.findMany({
          where: { AND: [where, afterPosition('createdAt', after)] },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          take,
        }),
      count: () => this.db.user.count({ where }),
    });
  }

  /**
   * Creates or updates users by externalId in one transaction. Omitted fields keep their
   * stored values; explicit nulls clear them. Emails must stay unique.
   */
  async upsertUsers(input: readonly unknown[]): Promise<BulkWriteResult> {
    assertBatchSize(input, this.limits.maxBatchSize);
    const validated = validateRows(input, UserInputSchema);
    const byExternalId = rejectDuplicateKeys(validated.valid, (row) => row.externalId, 'externalId', (row) => row.externalId);
    const byEmail = rejectDuplicateKeys(byExternalId.unique, (row) => row.email ?? null, 'email', (row) => row.externalId);
    const errors: RowError[] = [...validated.errors, ...byExternalId.errors, ...byEmail.errors];
    const rows = byEmail.unique;
    if (rows.length === 0) return bulkResult({ created: 0, updated: 0, unchanged: 0 }, errors);

    return this.db.$transaction(async (tx) => {
      const existing = await tx.user.findMany({
        where: { externalId: { in: rows.map((row) => row.value.externalId) } },
      });
      const existingByExternalId = new Map(existing.map((user) => [user.externalId, user]));
      const emails = rows.map((row) => row.value.email).filter((email): email is string => !!email);
      const emailOwners = emails.length
        ? await tx.user.findMany({ where: { email: { in: emails } }, select: { email: true, externalId: true } })
        : [];
      const ownerOfEmail = new Map(emailOwners.map((owner) => [owner.email, owner.externalId]));

      const inserts: UserValues[] = [];
      const updates: (UserValues & { id: string })[] = [];
      let unchanged = 0;
      for (const { index, value } of rows) {
        const owner = value.email ? ownerOfEmail.get(value.email) : undefined;
        if (owner !== undefined && owner !== value.externalId) {
          errors.push({
            index,
            externalId: value.externalId,
            code: ErrorCode.CONFLICT,
            message: `email is already used by another user (externalId "${owner}").`,
            field: 'email',
          });
          continue;
        }
        const stored = existingByExternalId.get(value.externalId);
        const merged = mergeUser(value, stored);
        if (!stored) inserts.push(merged);
        else if (userChanged(stored, merged)) updates.push({ ...merged, id: stored.id });
        else unchanged += 1;
      }
      if (inserts.length) {
        await tx.$executeRaw`
          INSERT INTO users (id, external_id, email, name, attributes, marketing_consent, created_at, updated_at)
          SELECT gen_random_uuid(), r."externalId", r.email, r.name, r.attributes, r."marketingConsent", now(), now()
          FROM jsonb_to_recordset(${JSON.stringify(inserts)}::jsonb)
            AS r("externalId" text, email text, name text, attributes jsonb, "marketingConsent" boolean)`;
      }
      if (updates.length) {
        await tx.$executeRaw`
          UPDATE users AS u SET email = r.email, name = r.name, attributes = r.attributes,
            marketing_consent = r."marketingConsent", updated_at = now()
          FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb)
            AS r(id uuid, email text, name text, attributes jsonb, "marketingConsent" boolean)
          WHERE u.id = r.id`;
      }
      return bulkResult({ created: inserts.length, updated: updates.length, unchanged }, errors);
    });
  }
}

export function assertSingleRef(ref: UserRef | { id?: string | null; externalId?: string | null }, entity: string): void {
  const given = [ref.id, ref.externalId].filter((value) => value !== undefined && value !== null).length;
  if (given !== 1) throw userInputError(`Give exactly one of id or externalId to look up a ${entity}.`);
}

function mergeUser(input: UserInput, stored: User | undefined): UserValues {
  return {
    externalId: input.externalId,
    email: pick(input.email, stored?.email, null),
    name: pick(input.name, stored?.name, null),
    attributes: pick(input.attributes, stored?.attributes as Record<string, unknown> | undefined, null) ?? {},
    marketingConsent: pick(input.marketingConsent, stored?.marketingConsent, null) ?? false,
  };
}

/** Omitted (undefined) keeps the stored value, or the fallback for a new row; null clears. */
export function pick<T>(given: T | null | undefined, stored: T | null | undefined, fallback: T | null): T | null {
  if (given !== undefined) return given;
  return stored !== undefined ? stored : fallback;
}

function userChanged(stored: User, next: UserValues): boolean {
  return (
    stored.email !== next.email ||
    stored.name !== next.name ||
    stored.marketingConsent !== next.marketingConsent ||
    !jsonEqual(stored.attributes, next.attributes)
  );
}

/** Key-order-insensitive JSON equality (Postgres jsonb does not keep key order). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function userWhere(filter: UserFilter | null | undefined): Prisma.UserWhereInput {
  if (!filter) return {};
  const conditions: Prisma.UserWhereInput[] = [];
  if (filter.search) {
    const contains = filter.search;
    conditions.push({
      OR: [
        { externalId: { contains, mode: 'insensitive' } },
        { email: { contains, mode: 'insensitive' } },
        { name: { contains, mode: 'insensitive' } },
      ],
    });
  }
  if (filter.marketingConsent !== undefined && filter.marketingConsent !== null) {
    conditions.push({ marketingConsent: filter.marketingConsent });
  }
  if (filter.createdFrom) conditions.push({ createdAt: { gte: filter.createdFrom } });
  if (filter.createdTo) conditions.push({ createdAt: { lt: filter.createdTo } });
  return { AND: conditions };
}
