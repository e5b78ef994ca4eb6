/**
 * CSV exports for CRM upload (`npm run export`): model predictions of feedback, per-user
 * recommendations and campaign audiences. Personal fields (email, name) are written only for an
 * ADMIN API key, validated exactly as the server does (ApiKeysService.authenticate: the api_keys
 * table or ADMIN_API_KEY); audiences and recommendations hold only consenting, non-erased users.
 * Free-text columns (product names, reasons) are masked for other keys as the API masks free text
 * (emails, phone numbers, ID numbers → `[email]`, `[phone]`, `[id-number]`: src/privacy/masking.ts).
 */
import fs from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { GraphQLError } from 'graphql';
import type { Db } from '../db/prisma.ts';
import type { User } from '../generated/prisma/client.ts';
import type { Role } from '../modules/access/viewer.ts';
import { toGlobalId } from '../graphql/global-id.ts';
import { createLoaders } from '../app/loaders.ts';
import type { Services } from '../app/services.ts';
import { csvLine } from './csv.ts';
import { maskFreeText, seesPersonalData } from '../privacy/masking.ts';

export const EXPORT_KINDS = ['predictions', 'recommendations', 'audience'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/** A problem with the command or its preconditions (nothing, or only a header, was written): exit code 2. */
export class ExportError extends Error {}

export interface ExportOptions {
  kind: ExportKind;
  /** predictions: the task (default sentiment). */
  task?: string;
  /** audience: the campaign's externalId (required). */
  campaign?: string;
  /** predictions: at most this many rows; audience: audience size (default 1000); recommendations: per user (default 10). */
  limit?: number;
  /** recommendations: at most this many users (default all consenting users). */
  users?: number;
  /** The API key whose role decides on personal fields; none: no personal fields. */
  apiKey?: string | null;
}

export interface ExportSummary {
  kind: ExportKind;
  rows: number;
  role: Role | null;
  personalFields: boolean;
}

/** An audience ranking: users with a score, most likely responders first. */
export type AudienceProvider = (campaignExternalId: string, limit: number) => Promise<{ user: User; score: number; reason: string }[]>;

async function writeTo(out: Writable, line: string): Promise<void> {
  if (!out.write(line)) await once(out, 'drain');
}

/** Writes the export as CSV to `out`; returns counts. */
export async function runExport(
  services: Services,
  db: Db,
  options: ExportOptions,
  out: Writable,
  deps: { audience?: AudienceProvider } = {},
): Promise<ExportSummary> {
  if (!EXPORT_KINDS.includes(options.kind)) throw new ExportError(`Unknown export "${options.kind}"; use one of ${EXPORT_KINDS.join(', ')}.`);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) throw new ExportError('--limit must be a positive integer.');
  let role: Role | null = null;
  if (options.apiKey) {
    const viewer = await services.apiKeys.authenticate(options.apiKey);
    if (!viewer) throw new ExportError('The API key is not valid: it is unknown or has been revoked. Nothing was exported.');
    role = viewer.role;
  }
  const personal = role !== null && seesPersonalData(role);
  const summary: ExportSummary = { kind: options.kind, rows: 0, role, personalFields: personal };

  if (options.kind === 'predictions') {
    const task = options.task ?? 'sentiment';
    const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    await writeTo(out, csvLine(['feedbackId', 'feedbackExternalId', 'userExternalId', 'productExternalId', 'campaignExternalId', 'task', 'label', 'confidence', 'modelVersion', 'predictedAt']));
    let after = '00000000-0000-0000-0000-000000000000';
    // Keyset pages by feedback id: constant memory whatever the table size. Erased users' feedback is left out.
    while (summary.rows < limit) {
      const page = await db.$queryRaw<
        { id: string; external_id: string | null; user: string | null; product: string | null; campaign: string | null; label: string; confidence: number; version: number; created_at: Date }[]
      >`
        SELECT f.id::text, f.external_id, u.external_id AS user, pr.external_id AS product, c.external_id AS campaign,
          p.label, p.confidence, mv.version, p.created_at
        FROM feedback_predictions p
        JOIN feedback f ON f.id = p.feedback_id
        JOIN model_versions mv ON mv.id = p.model_version_id
        LEFT JOIN users u ON u.id = f.user_id
        LEFT JOIN products pr ON pr.id = f.product_id
        LEFT JOIN campaigns c ON c.id = f.campaign_id
        WHERE p.task = ${task} AND p.feedback_id > ${after}::uuid AND u.erased_at IS NULL
        ORDER BY p.feedback_id
        LIMIT ${Math.min(5000, limit - summary.rows)}`;
      if (page.length === 0) break;
      for (const row of page) {
        await writeTo(out, csvLine([toGlobalId('Feedback', row.id), row.external_id, row.user, row.product, row.campaign, task, row.label, row.confidence, row.version, row.created_at]));
      }
      summary.rows += page.length;
      after = page[page.length - 1]!.id;
    }
    return summary;
  }

  const personalHeader = personal ? ['email', 'name'] : [];
  const personalValues = (user: User) => (personal ? [services.users.emailOf(user), services.users.nameOf(user)] : []);
  const freeText = (text: string) => (personal ? text : maskFreeText(text));

  if (options.kind === 'audience') {
    if (!options.campaign) throw new ExportError('audience needs --campaign <externalId>.');
    const limit = options.limit ?? 1000;
    const audience = deps.audience ?? defaultAudience(services, db);
    let members;
    try {
      members = await audience(options.campaign, limit);
    } catch (error) {
      if (error instanceof GraphQLError) throw new ExportError(`${error.message} (${String(error.extensions.code)})`);
      throw error;
    }
    await writeTo(out, csvLine(['rank', 'userExternalId', ...personalHeader, 'score', 'reason']));
    for (const member of members) {
      // Consent and erasure are checked again on the row: an audience never holds anyone else.
      if (!member.user.marketingConsent || member.user.erasedAt) continue;
      summary.rows += 1;
      await writeTo(out, csvLine([summary.rows, member.user.externalId, ...personalValues(member.user), member.score, freeText(member.reason)]));
    }
    return summary;
  }

  // recommendations: per consenting, non-erased user, the active recommender's top `limit`.
  const recommender = (services as Partial<Services> & { recommendations?: Services['recommendations'] }).recommendations;
  const active = await db.modelVersion.count({ where: { kind: 'RECOMMENDER', active: true } });
  if (!recommender || active === 0) {
    throw new ExportError('Exporting recommendations needs an active recommender: run trainModel(kind: RECOMMENDER) and wait for the job to succeed (or activateModel).');
  }
  const perUser = options.limit ?? 10;
  const maxUsers = options.users ?? Number.MAX_SAFE_INTEGER;
  await writeTo(out, csvLine(['userExternalId', ...personalHeader, 'rank', 'productExternalId', 'productName', 'score', 'reason']));
  let after = '00000000-0000-0000-0000-000000000000';
  let users = 0;
  while (users < maxUsers) {
    const page = await db.user.findMany({
      where: { id: { gt: after }, marketingConsent: true, erasedAt: null },
      orderBy: { id: 'asc' },
      take: Math.min(500, maxUsers - users),
    });
    if (page.length === 0) break;
    for (const user of page) {
      const loaders = createLoaders(db);
      const list = await recommender.recommendations({ userId: toGlobalId('User', user.id), limit: perUser }, loaders);
      let rank = 0;
      for (const item of list.items) {
        rank += 1;
        summary.rows += 1;
        await writeTo(out, csvLine([user.externalId, ...personalValues(user), rank, item.product.externalId, freeText(item.product.name), item.score, freeText(item.reason.text)]));
      }
    }
    users += page.length;
    after = page[page.length - 1]!.id;
  }
  return summary;
}

/** The recommendations module's campaignAudience, when that module is present. */
function defaultAudience(services: Services, db: Db): AudienceProvider {
  return async (campaignExternalId, limit) => {
    const recommender = (services as Partial<Services> & { recommendations?: Services['recommendations'] }).recommendations;
    if (!recommender) throw new ExportError('Exporting an audience needs an active recommender (the recommendations module is not available).');
    return recommender.campaignAudience({ campaignExternalId, limit }, createLoaders(db));
  };
}

/** Opens the output: a file path, or stdout for `-`/undefined. */
export function openOutput(file: string | undefined): Writable {
  return !file || file === '-' ? process.stdout : fs.createWriteStream(file, { encoding: 'utf8' });
}
