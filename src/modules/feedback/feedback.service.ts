import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../../db/prisma.ts';
import type { Feedback, Prisma } from '../../generated/prisma/client.ts';
import { rawIn } from '../../db/raw.ts';
import { findByRef, resolveRefs } from '../../db/references.ts';
import { LockSpace, lockKeys } from '../../db/advisory-locks.ts';
import { ErrorCode, userInputError } from '../../graphql/errors.ts';
import { listNewestFirst, type Connection, type PageArgs } from '../../graphql/pagination.ts';
import { detectLanguage } from '../../ml/text/language.ts';
import { bulkResult, bulkTransaction, checkBatch, fields, nothingWritten } from '../common/bulk.ts';
import type { BulkWriteResult, IndexedRow, ServiceLimits } from '../common/bulk.ts';
import { distinct, relatedConditions, searchContains, type RelatedFilter } from '../common/filters.ts';
import { missingRefMessage, oneOfProblem, oneRefRefinement, readRowRef, RowFieldError, type EntityRef, type RowRef } from '../common/references.ts';
import { taskNameField } from '../common/task-name.ts';
import { MAX_TEXT_LENGTH } from '../common/text.ts';
import { maskFreeText } from '../../privacy/masking.ts';

export const FEEDBACK_CHANNELS = ['REVIEW', 'SURVEY', 'SOCIAL', 'SUPPORT', 'AD_COMMENT'] as const;
type FeedbackChannelName = (typeof FEEDBACK_CHANNELS)[number];

export interface LabelCondition {
  task: string;
  label?: string | null;
}

export interface FeedbackFilter extends RelatedFilter {
  channel?: string | null;
  channels?: readonly string[] | null;
  language?: string | null;
  label?: LabelCondition | null;
  unlabeledTask?: string | null;
  predictedLabel?: LabelCondition | null;
  ratingMin?: number | null;
  ratingMax?: number | null;
  createdFrom?: Date | null;
  createdTo?: Date | null;
  search?: string | null;
}

const labelField = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const optionalRef = fields.externalId.nullish();

/** Reference pairs of FeedbackInput: [id field, externalId field, node type]. */
const REF_PAIRS = [
  ['userId', 'userExternalId', 'User'],
  ['productId', 'productExternalId', 'Product'],
  ['campaignId', 'campaignExternalId', 'Campaign'],
] as const;

const FeedbackInputSchema = z
  .object({
    externalId: fields.externalId.nullish(),
    userId: z.string().nullish(),
    userExternalId: optionalRef,
    productId: z.string().nullish(),
    productExternalId: optionalRef,
    campaignId: z.string().nullish(),
    campaignExternalId: optionalRef,
    channel: z.enum(FEEDBACK_CHANNELS, `must be one of ${FEEDBACK_CHANNELS.join(', ')}`),
    text: z.string().trim().min(1, 'must not be empty').max(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`),
    rating: z.number().int('must be an integer').min(1, 'must be between 1 and 5').max(5, 'must be between 1 and 5').nullish(),
    language: z
      .string()
      .trim()
      .toLowerCase()
      .max(20, 'must be at most 20 characters')
      .regex(/^[a-z]{2,8}(-[a-z0-9]{1,8})*$/, 'must be a language code such as zh, en or pt-br')
      .nullish(),
    createdAt: fields.eventTime.nullish(),
    labels: z
      .array(z.object({ task: taskNameField, label: labelField }))
      .max(50, 'at most 50 labels per row')
      .nullish(),
  })
  .superRefine((row, ctx) => {
    for (const [idKey, externalKey] of REF_PAIRS) oneRefRefinement([idKey, externalKey], { required: false })(row, ctx);
    const seen = new Set<string>();
    row.labels?.forEach((label, i) => {
      if (seen.has(label.task)) ctx.addIssue({ code: 'custom', path: ['labels', i, 'task'], message: `task "${label.task}" appears twice` });
      seen.add(label.task);
    });
  });
type FeedbackInput = z.output<typeof FeedbackInputSchema>;

const LabelAssignmentSchema = z
  .object({
    feedbackId: z.string().nullish(),
    feedbackExternalId: fields.externalId.nullish(),
    task: taskNameField,
    label: labelField.nullish(),
    remove: z.boolean().nullish(),
  })
  .superRefine((row, ctx) => {
    const refProblem = oneOfProblem([row.feedbackId, row.feedbackExternalId], ['feedbackId', 'feedbackExternalId']);
    if (refProblem) ctx.addIssue({ code: 'custom', path: ['feedbackId'], message: refProblem });
    else if (row.remove && row.label != null) ctx.addIssue({ code: 'custom', path: ['label'], message: 'must be omitted when remove is true' });
    else if (!row.remove && row.label == null) ctx.addIssue({ code: 'custom', path: ['label'], message: 'is required unless remove is true' });
  });
type LabelAssignment = z.output<typeof LabelAssignmentSchema>;

/** A decoded reference: `null` clears, `undefined` keeps the stored value. */
type Ref = RowRef | null | undefined;

interface FeedbackValues {
  id: string;
  externalId: string | null;
  userId: string | null;
  productId: string | null;
  campaignId: string | null;
  channel: FeedbackChannelName;
  text: string;
  rating: number | null;
  language: string;
  createdAt: string;
}

/** Called after feedback was written (e.g. to classify it with the active models); must not throw. */
export type FeedbackWrittenHook = () => void;

export class FeedbackService {
  constructor(
    private readonly db: Db,
    private readonly limits: ServiceLimits,
    private readonly onWritten: FeedbackWrittenHook = () => undefined,
  ) {}

  findFeedback(ref: EntityRef): Promise<Feedback | null> {
    return findByRef(this.db.feedback, { id: ref.id, externalId: ref.externalId?.trim() });
  }

  /**
   * Feedback, newest first. With `maskedText` (roles that see the text masked), `filter.search`
   * matches the text as they see it: a row whose text matches only inside an email, phone number
   * or ID number is left out, so a search cannot probe identifiers it would not show.
   */
  async listFeedback(args: PageArgs & { filter?: FeedbackFilter | null }, options: { maskedText?: boolean } = {}): Promise<Connection<Feedback>> {
    let where = feedbackWhere(args.filter);
    const search = args.filter?.search;
    if (options.maskedText && search) {
      const hidden = await this.matchingOnlyInsideIdentifiers(search);
      if (hidden.length > 0) where = { AND: [where, { id: { notIn: hidden } }] };
    }
    return listNewestFirst(args, { source: this.db.feedback, where, sortField: 'createdAt', maxPageSize: this.limits.maxPageSize });
  }

  /**
   * IDs of feedback whose text contains `search` (as filter.search matches it) but whose masked
   * text does not. Only texts with a digit or an @ can hold an identifier, so only those are read.
   */
  private async matchingOnlyInsideIdentifiers(search: string): Promise<string[]> {
    const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.db.$queryRaw<{ id: string; text: string }[]>`
      SELECT id::text AS id, text FROM feedback WHERE text ILIKE ${pattern} AND text ~ '[0-9０-９@＠]'`;
    const needle = search.toLowerCase();
    return rows.filter((row) => !maskFreeText(row.text).toLowerCase().includes(needle)).map((row) => row.id);
  }

  /**
   * Stores feedback in one transaction. Rows with an externalId are matched by it (omitted
   * fields keep stored values, nulls clear them); rows without one are always created.
   * Language is detected from the text unless given. Labels given are upserted per task.
   */
  async submitFeedback(input: readonly unknown[]): Promise<BulkWriteResult> {
    const { rows: valid, errors } = checkBatch(input, FeedbackInputSchema, { maxBatchSize: this.limits.maxBatchSize, unique: 'externalId' });

    // Decode global IDs before touching the database; a malformed one is the row's fault.
    const rows: { index: number; value: FeedbackInput; refs: Record<'user' | 'product' | 'campaign', Ref> }[] = [];
    for (const row of valid) {
      try {
        rows.push({
          index: row.index,
          value: row.value,
          refs: {
            user: readRowRef(input[row.index] as Record<string, unknown>, ['userId', 'userExternalId'], 'User'),
            product: readRowRef(input[row.index] as Record<string, unknown>, ['productId', 'productExternalId'], 'Product'),
            campaign: readRowRef(input[row.index] as Record<string, unknown>, ['campaignId', 'campaignExternalId'], 'Campaign'),
          },
        });
      } catch (error) {
        if (!(error instanceof RowFieldError)) throw error;
        errors.push({
          index: row.index,
          externalId: row.value.externalId ?? null,
          code: ErrorCode.BAD_USER_INPUT,
          message: `${error.field}: ${error.message}`,
          field: error.field,
        });
      }
    }
    if (rows.length === 0) return nothingWritten(errors);

    const refusedRows = errors;
    const result = await bulkTransaction(this.db, async (tx) => {
      const errors = [...refusedRows]; // per attempt: a retried attempt starts over
      const sql = rawIn(tx);
      const externalIds = rows.map((row) => row.value.externalId).filter((id): id is string => !!id);
      // Concurrent batches naming the same feedback wait here, then read what the other committed.
      await lockKeys(sql, [{ space: LockSpace.feedback, keys: externalIds }]);
      const resolved = {
        user: await resolveRefs(
          sql,
          'users',
          rows.map((row) => row.refs.user),
        ),
        product: await resolveRefs(
          sql,
          'products',
          rows.map((row) => row.refs.product),
        ),
        campaign: await resolveRefs(
          sql,
          'campaigns',
          rows.map((row) => row.refs.campaign),
        ),
      };
      const stored = externalIds.length ? await tx.feedback.findMany({ where: { externalId: { in: externalIds } } }) : [];
      const storedByExternalId = new Map(stored.map((row) => [row.externalId!, row]));
      // Labels of stored feedback are also written by labelFeedback: the same locks (a later space, so still in order).
      await lockKeys(sql, [
        {
          space: LockSpace.feedbackLabels,
          keys: rows.flatMap((row) => {
            const previous = row.value.externalId ? storedByExternalId.get(row.value.externalId) : undefined;
            return previous ? (row.value.labels ?? []).map((label) => labelLockKey(previous.id, label.task)) : [];
          }),
        },
      ]);
      const storedLabels = stored.length ? await tx.feedbackLabel.findMany({ where: { feedbackId: { in: stored.map((row) => row.id) } } }) : [];
      const labelOf = new Map(storedLabels.map((label) => [`${label.feedbackId}|${label.task}`, label.label]));

      const inserts: FeedbackValues[] = [];
      const updates: FeedbackValues[] = [];
      const labelWrites: { feedbackId: string; task: string; label: string }[] = [];
      let unchanged = 0;
      for (const row of rows) {
        const refIds: Partial<Record<'user' | 'product' | 'campaign', string | null | undefined>> = {};
        let missing: { ref: RowRef; entity: string } | null = null;
        for (const entity of ['user', 'product', 'campaign'] as const) {
          const ref = row.refs[entity];
          if (ref === undefined || ref === null) {
            refIds[entity] = ref;
            continue;
          }
          const id = resolved[entity].lookup(ref);
          if (id === undefined) {
            missing = { ref, entity };
            break;
          }
          refIds[entity] = id;
        }
        if (missing) {
          errors.push({
            index: row.index,
            externalId: row.value.externalId ?? null,
            code: ErrorCode.NOT_FOUND,
            message: missingRefMessage(missing.ref, missing.entity),
            field: missing.ref.field,
          });
          continue;
        }
        const value = row.value;
        const previous = value.externalId ? storedByExternalId.get(value.externalId) : undefined;
        const text = value.text;
        const keep = <T>(given: T | null | undefined, old: T | null | undefined): T | null => (given !== undefined ? given : old !== undefined ? old : null);
        const next: FeedbackValues = {
          id: previous?.id ?? randomUUID(),
          externalId: value.externalId ?? null,
          userId: keep(refIds.user, previous?.userId),
          productId: keep(refIds.product, previous?.productId),
          campaignId: keep(refIds.campaign, previous?.campaignId),
          channel: value.channel,
          text,
          rating: keep(value.rating, previous?.rating),
          language: value.language ?? (previous && previous.text === text ? previous.language : detectLanguage(text)),
          createdAt: (value.createdAt ?? previous?.createdAt ?? new Date()).toISOString(),
        };
        const labelChanges = (value.labels ?? []).filter((label) => labelOf.get(`${next.id}|${label.task}`) !== label.label);
        labelWrites.push(...labelChanges.map((label) => ({ feedbackId: next.id, task: label.task, label: label.label })));
        if (!previous) inserts.push(next);
        else if (feedbackChanged(previous, next)) updates.push(next);
        else if (labelChanges.length)
          updates.push(next); // only labels changed; the row itself is rewritten as is
        else unchanged += 1;
      }

      if (inserts.length) {
        await tx.$executeRaw`
          INSERT INTO feedback (id, external_id, user_id, product_id, campaign_id, channel, text, rating, language, created_at, updated_at)
          SELECT r.id, r."externalId", r."userId", r."productId", r."campaignId", r.channel::"FeedbackChannel", r.text, r.rating,
            r.language, r."createdAt", now()
          FROM jsonb_to_recordset(${JSON.stringify(inserts)}::jsonb) AS r(id uuid, "externalId" text, "userId" uuid, "productId" uuid,
            "campaignId" uuid, channel text, text text, rating int, language text, "createdAt" timestamptz)`;
      }
      const rowUpdates = updates.filter((row) => feedbackChanged(storedByExternalId.get(row.externalId!)!, row));
      if (rowUpdates.length) {
        await tx.$executeRaw`
          UPDATE feedback AS f SET user_id = r."userId", product_id = r."productId", campaign_id = r."campaignId",
            channel = r.channel::"FeedbackChannel", text = r.text, rating = r.rating, language = r.language,
            created_at = r."createdAt", updated_at = now()
          FROM jsonb_to_recordset(${JSON.stringify(rowUpdates)}::jsonb) AS r(id uuid, "userId" uuid, "productId" uuid,
            "campaignId" uuid, channel text, text text, rating int, language text, "createdAt" timestamptz)
          WHERE f.id = r.id`;
      }
      if (labelWrites.length) await upsertLabels(tx, labelWrites);
      return bulkResult({ created: inserts.length, updated: updates.length, unchanged }, errors);
    });
    if (result.created + result.updated > 0) this.onWritten();
    return result;
  }

  /**
   * Sets or removes human labels keyed by (feedback, task). New labels count as created,
   * changed or removed ones as updated, labels already as asked as unchanged.
   */
  async labelFeedback(input: readonly unknown[]): Promise<BulkWriteResult> {
    const { rows: valid, errors } = checkBatch(input, LabelAssignmentSchema, { maxBatchSize: this.limits.maxBatchSize, externalIdOf: () => null });
    const rows: (IndexedRow<LabelAssignment> & { ref: RowRef })[] = [];
    for (const row of valid) {
      try {
        const ref = readRowRef(row.value, ['feedbackId', 'feedbackExternalId'], 'Feedback', { required: true })!;
        rows.push({ ...row, ref });
      } catch (error) {
        if (!(error instanceof RowFieldError)) throw error;
        errors.push({ index: row.index, externalId: null, code: ErrorCode.BAD_USER_INPUT, message: `${error.field}: ${error.message}`, field: error.field });
      }
    }
    if (rows.length === 0) return nothingWritten(errors);

    const refusedRows = errors;
    return bulkTransaction(this.db, async (tx) => {
      const errors = [...refusedRows]; // per attempt: a retried attempt starts over
      const resolved = await resolveRefs(
        rawIn(tx),
        'feedback',
        rows.map((row) => row.ref),
      );
      const targets: { index: number; feedbackId: string; task: string; label: string | null }[] = [];
      const seen = new Map<string, number>();
      for (const row of rows) {
        const feedbackId = resolved.lookup(row.ref);
        if (feedbackId === undefined) {
          errors.push({
            index: row.index,
            externalId: row.value.feedbackExternalId ?? null,
            code: ErrorCode.NOT_FOUND,
            message: missingRefMessage(row.ref, 'feedback'),
            field: row.ref.field,
          });
          continue;
        }
        const key = `${feedbackId}|${row.value.task}`;
        const first = seen.get(key);
        if (first !== undefined) {
          errors.push({
            index: row.index,
            externalId: row.value.feedbackExternalId ?? null,
            code: ErrorCode.CONFLICT,
            message: `task "${row.value.task}" of this feedback appears more than once in this batch (first at index ${first}).`,
            field: 'task',
          });
          continue;
        }
        seen.set(key, row.index);
        targets.push({ index: row.index, feedbackId, task: row.value.task, label: row.value.remove ? null : row.value.label! });
      }
      if (targets.length === 0) return nothingWritten(errors);

      // Concurrent batches labelling the same (feedback, task) wait here, then read what the other committed.
      await lockKeys(rawIn(tx), [{ space: LockSpace.feedbackLabels, keys: targets.map((t) => labelLockKey(t.feedbackId, t.task)) }]);
      const existing = await tx.$queryRaw<{ feedbackId: string; task: string; label: string }[]>`
        SELECT l.feedback_id::text AS "feedbackId", l.task, l.label
        FROM feedback_labels l
        JOIN unnest(${targets.map((t) => t.feedbackId)}::uuid[], ${targets.map((t) => t.task)}::text[]) AS r(feedback_id, task)
          ON l.feedback_id = r.feedback_id AND l.task = r.task`;
      const current = new Map(existing.map((row) => [`${row.feedbackId}|${row.task}`, row.label]));
      let created = 0;
      let updated = 0;
      let unchanged = 0;
      const writes: { feedbackId: string; task: string; label: string }[] = [];
      const removals: { feedbackId: string; task: string }[] = [];
      for (const target of targets) {
        const stored = current.get(`${target.feedbackId}|${target.task}`);
        if (target.label === null) {
          if (stored === undefined) unchanged += 1;
          else {
            updated += 1;
            removals.push(target);
          }
        } else if (stored === undefined) {
          created += 1;
          writes.push({ feedbackId: target.feedbackId, task: target.task, label: target.label });
        } else if (stored !== target.label) {
          updated += 1;
          writes.push({ feedbackId: target.feedbackId, task: target.task, label: target.label });
        } else unchanged += 1;
      }
      if (writes.length) await upsertLabels(tx, writes);
      if (removals.length) {
        await tx.$executeRaw`
          DELETE FROM feedback_labels l
          USING unnest(${removals.map((r) => r.feedbackId)}::uuid[], ${removals.map((r) => r.task)}::text[]) AS r(feedback_id, task)
          WHERE l.feedback_id = r.feedback_id AND l.task = r.task`;
      }
      return bulkResult({ created, updated, unchanged }, errors);
    });
  }
}

function feedbackChanged(stored: Feedback, next: FeedbackValues): boolean {
  return (
    stored.userId !== next.userId ||
    stored.productId !== next.productId ||
    stored.campaignId !== next.campaignId ||
    stored.channel !== next.channel ||
    stored.text !== next.text ||
    stored.rating !== next.rating ||
    stored.language !== next.language ||
    stored.createdAt.toISOString() !== next.createdAt
  );
}

/** The lock key of one feedback's label for one task (see lockKeys). */
function labelLockKey(feedbackId: string, task: string): string {
  return `${feedbackId}|${task}`;
}

async function upsertLabels(tx: Prisma.TransactionClient, labels: { feedbackId: string; task: string; label: string }[]): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO feedback_labels (feedback_id, task, label, created_at, updated_at)
    SELECT r.feedback_id, r.task, r.label, now(), now()
    FROM unnest(${labels.map((l) => l.feedbackId)}::uuid[], ${labels.map((l) => l.task)}::text[], ${labels.map((l) => l.label)}::text[])
      AS r(feedback_id, task, label)
    ON CONFLICT (feedback_id, task) DO UPDATE SET label = EXCLUDED.label, updated_at = now()
    WHERE feedback_labels.label IS DISTINCT FROM EXCLUDED.label`;
}

function labelCondition(condition: LabelCondition, argument: string): { task: string; label?: string } {
  const task = condition.task.trim();
  if (!task) throw userInputError(`${argument}.task must not be empty.`, { argument: 'filter' });
  return condition.label != null ? { task, label: condition.label.trim() } : { task };
}

function feedbackWhere(filter: FeedbackFilter | null | undefined): Prisma.FeedbackWhereInput {
  if (!filter) return {};
  const conditions: Prisma.FeedbackWhereInput[] = [];
  conditions.push(...relatedConditions(filter));
  if (filter.channel) conditions.push({ channel: filter.channel as FeedbackChannelName });
  if (filter.channels) conditions.push({ channel: { in: distinct(filter.channels as FeedbackChannelName[]) } });
  if (filter.language) conditions.push({ language: filter.language.trim().toLowerCase() });
  if (filter.label) conditions.push({ labels: { some: labelCondition(filter.label, 'filter.label') } });
  if (filter.unlabeledTask) conditions.push({ labels: { none: { task: filter.unlabeledTask.trim() } } });
  if (filter.predictedLabel) conditions.push({ predictions: { some: labelCondition(filter.predictedLabel, 'filter.predictedLabel') } });
  if (filter.ratingMin != null) conditions.push({ rating: { gte: filter.ratingMin } });
  if (filter.ratingMax != null) conditions.push({ rating: { lte: filter.ratingMax } });
  if (filter.createdFrom) conditions.push({ createdAt: { gte: filter.createdFrom } });
  if (filter.createdTo) conditions.push({ createdAt: { lt: filter.createdTo } });
  if (filter.search) conditions.push({ text: searchContains(filter.search) });
  return { AND: conditions };
}
