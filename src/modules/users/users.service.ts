import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../../db/prisma.ts';
import { rawIn } from '../../db/raw.ts';
import { findByRef } from '../../db/references.ts';
import { LockSpace, lockKeys } from '../../db/advisory-locks.ts';
import type { Prisma, User } from '../../generated/prisma/client.ts';
import { ErrorCode, notFoundError } from '../../graphql/errors.ts';
import type { EntityRef } from '../common/references.ts';
import type { FieldCipher } from '../../privacy/field-crypto.ts';
import { listNewestFirst, type Connection, type PageArgs } from '../../graphql/pagination.ts';
import { searchContains } from '../common/filters.ts';
import { BULK_TRANSACTION, bulkResult, bulkTransaction, checkBatch, fields, nothingWritten, rejectDuplicateKeys } from '../common/bulk.ts';
import type { BulkWriteResult, RowError, ServiceLimits } from '../common/bulk.ts';
import { NO_MODEL_CHANGES, type ModelErasureOutcome, type ModelErasureService } from '../models/model-erasure.service.ts';

export interface UserFilter {
  search?: string | null;
  marketingConsent?: boolean | null;
  createdFrom?: Date | null;
  createdTo?: Date | null;
  includeErased?: boolean | null;
}

/** What `eraseUser` reports; `auditCounts` goes to the audit log (no personal values). */
export interface ErasureResultModel {
  user: User;
  erased: boolean;
  erasedAt: Date;
  feedbackErased: number;
  interactionsKept: number;
  /** What happened to the models trained on the person (see ModelErasureService). */
  models: ModelErasureOutcome;
  auditCounts: Record<string, number | string>;
}

/** Text that replaces an erased user's feedback. */
export const ERASED_TEXT = '[erased]';

/** Reference to one user as clients give it: exactly one of id (local), externalId or email. */
export interface UserRef extends EntityRef {
  email?: string | null;
}

const UserInputSchema = z.object({
  externalId: fields.externalId,
  email: z.string().trim().toLowerCase().max(320, 'must be at most 320 characters').pipe(z.email('must be a valid email address')).nullish(),
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

/** A row as written: personal values encrypted, email hashed. */
interface StoredUserValues {
  id: string;
  externalId: string;
  emailCiphertext: string | null;
  nameCiphertext: string | null;
  emailHash: string | null;
  attributes: Record<string, unknown>;
  marketingConsent: boolean;
  consentChanged: boolean;
}

export class UsersService {
  constructor(
    private readonly db: Db,
    private readonly limits: ServiceLimits,
    private readonly cipher: FieldCipher,
    /** Reaches the models trained on an erased person's feedback; absent, models are left alone (scripts). */
    private readonly modelErasure?: ModelErasureService,
  ) {}

  /** The plaintext email of a stored row (decrypted; a not yet backfilled row's legacy column). */
  emailOf(user: User): string | null {
    return user.emailCiphertext ? this.cipher.decrypt(user.emailCiphertext, 'users.email') : user.legacyEmail;
  }

  nameOf(user: User): string | null {
    return user.nameCiphertext ? this.cipher.decrypt(user.nameCiphertext, 'users.name') : user.legacyName;
  }

  async findUser(ref: UserRef): Promise<User | null> {
    if (ref.email && !ref.id && !ref.externalId) return this.db.user.findUnique({ where: { emailHash: this.cipher.hashEmail(ref.email) } });
    return findByRef(this.db.user, ref);
  }

  /**
   * Users newest first. Erased users are left out unless `includeErased`. `search` matches a
   * substring of externalId; with `personalSearch` (ADMIN keys) a whole email address also
   * matches through its keyed hash. Names and emails are encrypted, so they are not searchable.
   */
  listUsers(args: PageArgs & { filter?: UserFilter | null }, options: { personalSearch?: boolean } = {}): Promise<Connection<User>> {
    return listNewestFirst(args, {
      source: this.db.user,
      where: this.userWhere(args.filter, options.personalSearch ?? false),
      sortField: 'createdAt',
      maxPageSize: this.limits.maxPageSize,
    });
  }

  private userWhere(filter: UserFilter | null | undefined, personalSearch: boolean): Prisma.UserWhereInput {
    const conditions: Prisma.UserWhereInput[] = [];
    if (!filter?.includeErased) conditions.push({ erasedAt: null });
    if (filter?.search) {
      const search = filter.search;
      const matches: Prisma.UserWhereInput[] = [{ externalId: searchContains(search) }];
      if (personalSearch && search.includes('@')) matches.push({ emailHash: this.cipher.hashEmail(search) });
      conditions.push({ OR: matches });
    }
    if (filter?.marketingConsent !== undefined && filter?.marketingConsent !== null) {
      conditions.push({ marketingConsent: filter.marketingConsent });
    }
    if (filter?.createdFrom) conditions.push({ createdAt: { gte: filter.createdFrom } });
    if (filter?.createdTo) conditions.push({ createdAt: { lt: filter.createdTo } });
    return { AND: conditions };
  }

  /**
   * Creates or updates users by externalId in one transaction. Omitted fields keep their
   * stored values; explicit nulls clear them. Emails must stay unique (checked through their
   * keyed hash). Email and name are written encrypted; changes are detected on decrypted values.
   * Every change of marketing consent (a new user with consent counts as one) is recorded in
   * consent_changes with `source` (the API key's name; `import` for scripts).
   */
  async upsertUsers(input: readonly unknown[], options: { source?: string } = {}): Promise<BulkWriteResult> {
    const source = options.source ?? 'import';
    const checked = checkBatch(input, UserInputSchema, { maxBatchSize: this.limits.maxBatchSize, unique: 'externalId' });
    const byEmail = rejectDuplicateKeys(
      checked.rows,
      (row) => row.email ?? null,
      'email',
      (row) => row.externalId,
    );
    const refused: RowError[] = [...checked.errors, ...byEmail.errors];
    const rows = byEmail.unique;
    if (rows.length === 0) return nothingWritten(refused);

    const emails = [...new Set(rows.map((row) => row.value.email).filter((email): email is string => !!email))];
    const hashOf = new Map(emails.map((email) => [email, this.cipher.hashEmail(email)]));
    return bulkTransaction(this.db, async (tx) => {
      const errors = [...refused]; // per attempt: a retried attempt starts over
      // Concurrent batches naming the same users or emails wait here, then read what the other committed.
      await lockKeys(rawIn(tx), [
        { space: LockSpace.users, keys: rows.map((row) => row.value.externalId) },
        { space: LockSpace.userEmails, keys: hashOf.values() },
      ]);
      const existing = await tx.user.findMany({
        where: { externalId: { in: rows.map((row) => row.value.externalId) } },
      });
      const existingByExternalId = new Map(existing.map((user) => [user.externalId, user]));
      const emailOwners = emails.length
        ? await tx.user.findMany({
            where: { OR: [{ emailHash: { in: [...hashOf.values()] } }, { legacyEmail: { in: emails } }] },
            select: { emailHash: true, legacyEmail: true, externalId: true },
          })
        : [];
      const ownerOfHash = new Map<string, string>();
      for (const owner of emailOwners) {
        const hash = owner.emailHash ?? (owner.legacyEmail ? this.cipher.hashEmail(owner.legacyEmail) : null);
        if (hash) ownerOfHash.set(hash, owner.externalId);
      }

      const inserts: StoredUserValues[] = [];
      const updates: StoredUserValues[] = [];
      const consentChanges: { userId: string; granted: boolean }[] = [];
      let unchanged = 0;
      for (const { index, value } of rows) {
        const owner = value.email ? ownerOfHash.get(hashOf.get(value.email)!) : undefined;
        if (owner !== undefined && owner !== value.externalId) {
          errors.push({
            index,
            externalId: value.externalId,
            code: ErrorCode.CONFLICT,
            message: 'email is already used by another customer.',
            field: 'email',
          });
          continue;
        }
        const stored = existingByExternalId.get(value.externalId);
        const current = stored ? this.decrypted(stored) : undefined;
        const merged = mergeUser(value, current);
        if (!stored) {
          const row = this.toStored(randomUUID(), merged, merged.marketingConsent);
          inserts.push(row);
          if (merged.marketingConsent) consentChanges.push({ userId: row.id, granted: true });
        } else if (userChanged(current!, merged)) {
          const consentChanged = current!.marketingConsent !== merged.marketingConsent;
          // Unchanged values keep their ciphertext, so an update touches only what changed.
          const row = this.toStored(stored.id, merged, consentChanged);
          if (current!.email === merged.email && stored.emailCiphertext) row.emailCiphertext = stored.emailCiphertext;
          if (current!.name === merged.name && stored.nameCiphertext) row.nameCiphertext = stored.nameCiphertext;
          updates.push(row);
          if (consentChanged) consentChanges.push({ userId: stored.id, granted: merged.marketingConsent });
        } else unchanged += 1;
      }
      if (inserts.length) {
        await tx.$executeRaw`
          INSERT INTO users (id, external_id, email_ciphertext, name_ciphertext, email_hash, attributes, marketing_consent,
            marketing_consent_updated_at, created_at, updated_at)
          SELECT r.id, r."externalId", r."emailCiphertext", r."nameCiphertext", r."emailHash", r.attributes, r."marketingConsent",
            CASE WHEN r."consentChanged" THEN now() END, now(), now()
          FROM jsonb_to_recordset(${JSON.stringify(inserts)}::jsonb)
            AS r(id uuid, "externalId" text, "emailCiphertext" text, "nameCiphertext" text, "emailHash" text, attributes jsonb,
              "marketingConsent" boolean, "consentChanged" boolean)`;
      }
      if (updates.length) {
        await tx.$executeRaw`
          UPDATE users AS u SET email = NULL, name = NULL, email_ciphertext = r."emailCiphertext", name_ciphertext = r."nameCiphertext",
            email_hash = r."emailHash", attributes = r.attributes, marketing_consent = r."marketingConsent",
            marketing_consent_updated_at = CASE WHEN r."consentChanged" THEN now() ELSE u.marketing_consent_updated_at END,
            updated_at = now()
          FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb)
            AS r(id uuid, "emailCiphertext" text, "nameCiphertext" text, "emailHash" text, attributes jsonb,
              "marketingConsent" boolean, "consentChanged" boolean)
          WHERE u.id = r.id`;
      }
      if (consentChanges.length) {
        await tx.$executeRaw`
          INSERT INTO consent_changes (user_id, granted, source, changed_at)
          SELECT r."userId", r.granted, ${source}, now()
          FROM jsonb_to_recordset(${JSON.stringify(consentChanges)}::jsonb) AS r("userId" uuid, granted boolean)`;
      }
      return bulkResult({ created: inserts.length, updated: updates.length, unchanged }, errors);
    });
  }

  private decrypted(user: User): UserValues {
    return {
      externalId: user.externalId,
      email: this.emailOf(user),
      name: this.nameOf(user),
      attributes: user.attributes as Record<string, unknown>,
      marketingConsent: user.marketingConsent,
    };
  }

  private toStored(id: string, values: UserValues, consentChanged: boolean): StoredUserValues {
    return {
      id,
      externalId: values.externalId,
      emailCiphertext: this.cipher.encrypt(values.email, 'users.email'),
      nameCiphertext: this.cipher.encrypt(values.name, 'users.name'),
      emailHash: values.email ? this.cipher.hashEmail(values.email) : null,
      attributes: values.attributes,
      marketingConsent: values.marketingConsent,
      consentChanged,
    };
  }

  /**
   * Right to erasure (see `eraseUser` in users.graphql), in one transaction. Idempotent: an
   * already erased user is reported with `erased: false` and left as it is.
   */
  async eraseUser(ref: UserRef): Promise<ErasureResultModel> {
    const result = await this.db.$transaction(async (tx): Promise<ErasureResultModel> => {
      const user = await findByRef(tx.user, ref);
      if (!user) throw notFoundError('User', ref.id ? `with id ${ref.id}` : `with externalId "${ref.externalId}"`);
      // Serialise concurrent erasures of the same user.
      await tx.$executeRaw`SELECT id FROM users WHERE id = ${user.id}::uuid FOR UPDATE`;
      const interactionsKept = await tx.interaction.count({ where: { userId: user.id } });
      if (user.erasedAt) {
        return {
          user,
          erased: false,
          erasedAt: user.erasedAt,
          feedbackErased: 0,
          interactionsKept,
          models: NO_MODEL_CHANGES,
          auditCounts: { affected: 0, targetId: user.id, feedbackErased: 0, interactionsKept, modelVersionsPurged: 0, modelRetrainsQueued: 0 },
        };
      }
      const erasedAt = new Date();
      // First, while the person's labels still say which tasks they were in.
      const models = this.modelErasure ? await this.modelErasure.eraseFromModels(tx, user.id) : NO_MODEL_CHANGES;
      await tx.$executeRaw`
        DELETE FROM feedback_labels WHERE feedback_id IN (SELECT id FROM feedback WHERE user_id = ${user.id}::uuid)`;
      const feedbackErased = await tx.$executeRaw`
        UPDATE feedback SET text = ${ERASED_TEXT}, external_id = NULL, updated_at = now() WHERE user_id = ${user.id}::uuid`;
      await tx.consentChange.deleteMany({ where: { userId: user.id } });
      const erased = await tx.user.update({
        where: { id: user.id },
        data: {
          externalId: `erased:${randomBytes(18).toString('base64url')}`,
          legacyEmail: null,
          legacyName: null,
          emailCiphertext: null,
          nameCiphertext: null,
          emailHash: null,
          attributes: {},
          marketingConsent: false,
          marketingConsentUpdatedAt: user.marketingConsent ? erasedAt : user.marketingConsentUpdatedAt,
          erasedAt,
        },
      });
      return {
        user: erased,
        erased: true,
        erasedAt,
        feedbackErased,
        interactionsKept,
        models,
        auditCounts: {
          affected: 1,
          targetId: user.id,
          feedbackErased,
          interactionsKept,
          modelVersionsPurged: models.versionsPurged,
          modelRetrainsQueued: models.retrainJobIds.length,
        },
      };
    }, BULK_TRANSACTION);
    await this.modelErasure?.afterCommit(result.models);
    return result;
  }
}

function mergeUser(input: UserInput, stored: UserValues | undefined): UserValues {
  return {
    externalId: input.externalId,
    email: pick(input.email, stored?.email, null),
    name: pick(input.name, stored?.name, null),
    attributes: pick(input.attributes, stored?.attributes, null) ?? {},
    marketingConsent: pick(input.marketingConsent, stored?.marketingConsent, null) ?? false,
  };
}

/** Omitted (undefined) keeps the stored value, or the fallback for a new row; null clears. */
export function pick<T>(given: T | null | undefined, stored: T | null | undefined, fallback: T | null): T | null {
  if (given !== undefined) return given;
  return stored !== undefined ? stored : fallback;
}

function userChanged(stored: UserValues, next: UserValues): boolean {
  return stored.email !== next.email || stored.name !== next.name || stored.marketingConsent !== next.marketingConsent || !jsonEqual(stored.attributes, next.attributes);
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
