/**
 * `marketing-ai export`: CSV for CRM upload, read through the API. Predictions page through the
 * `feedback` connection, recommendations through `users` (consenting customers) and one
 * `recommendations` query per customer, audiences come from `campaignAudience`. What each column
 * holds is what the server answers for the key: personal fields complete for ADMIN, masked for
 * ANALYST (`j***@example.com`, initials, `[email]` in free text), absent for INTEGRATION; and
 * every query the key's role may not run is refused by the server (FORBIDDEN).
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { GraphQLClient } from './client.ts';
import { csvLine } from './csv.ts';
import type { CliConsentingUsersQuery, CliFeedbackPredictionsQuery } from './generated/graphql.ts';
import { CAMPAIGN_AUDIENCE, CONSENTING_USERS, FEEDBACK_PREDICTIONS, MODEL_VERSION, SERVICE_INFO, USER_RECOMMENDATIONS } from './documents.ts';

export const EXPORT_KINDS = ['predictions', 'recommendations', 'audience'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/** Audience size when `--limit` is not given; the server caps it (campaignAudience's limit). */
export const DEFAULT_AUDIENCE_SIZE = 1000;
/** Products per customer when `--limit` is not given. */
export const DEFAULT_RECOMMENDATIONS_PER_USER = 10;
export const DEFAULT_EXPORT_CONCURRENCY = 4;

/** A problem with the command itself (nothing was asked of the server): exit code 2. */
export class ExportUsageError extends Error {}

export interface ExportRunOptions {
  kind: ExportKind;
  task?: string;
  campaign?: string;
  limit?: number;
  users?: number;
  concurrency?: number;
  onRows?: (rows: number) => void;
}

export interface ExportSummary {
  kind: ExportKind;
  rows: number;
  requests: number;
  seconds: number;
  /** recommendations: customers served the POPULAR fallback because no recommender is active. */
  fallbackUsers: number;
}

async function writeTo(out: Writable, line: string): Promise<void> {
  if (!out.write(line)) await once(out, 'drain');
}

/** Writes the export as CSV to `out`. Rejects with ApiError when the server refuses a query. */
export async function runExport(client: GraphQLClient, options: ExportRunOptions, out: Writable): Promise<ExportSummary> {
  const started = Date.now();
  for (const [name, value] of [
    ['--limit', options.limit],
    ['--users', options.users],
    ['--concurrency', options.concurrency],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new ExportUsageError(`${name} must be a positive integer.`);
  }
  if (options.kind === 'audience' && !options.campaign) throw new ExportUsageError('audience needs --campaign <externalId>.');
  const summary: ExportSummary = { kind: options.kind, rows: 0, requests: 0, seconds: 0, fallbackUsers: 0 };
  const request: GraphQLClient['request'] = (document, variables) => {
    summary.requests += 1;
    return client.request(document, variables);
  };
  const { serviceInfo } = await request(SERVICE_INFO, {});
  const pageSize = serviceInfo.maxPageSize;
  const row = async (values: unknown[]) => {
    await writeTo(out, csvLine(values));
    summary.rows += 1;
    options.onRows?.(summary.rows);
  };

  if (options.kind === 'predictions') {
    const task = options.task ?? 'sentiment';
    const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    await writeTo(
      out,
      csvLine(['feedbackId', 'feedbackExternalId', 'userExternalId', 'productExternalId', 'campaignExternalId', 'task', 'label', 'confidence', 'modelVersion', 'predictedAt']),
    );
    const versions = new Map<string, number | null>();
    const versionOf = async (id: string | null) => {
      if (id === null) return null;
      if (!versions.has(id)) versions.set(id, (await request(MODEL_VERSION, { id })).model?.version ?? null);
      return versions.get(id) ?? null;
    };
    let after: string | null = null;
    while (summary.rows < limit) {
      const { feedback }: CliFeedbackPredictionsQuery = await request(FEEDBACK_PREDICTIONS, {
        first: Math.min(pageSize, limit - summary.rows),
        after,
        task,
      });
      for (const { node } of feedback.edges) {
        const prediction = node.predictions.find((p) => p.task === task);
        if (!prediction || summary.rows >= limit) continue;
        await row([
          node.id,
          node.externalId,
          node.user?.externalId,
          node.product?.externalId,
          node.campaign?.externalId,
          task,
          prediction.label,
          prediction.confidence,
          await versionOf(prediction.modelVersionId),
          prediction.createdAt,
        ]);
      }
      if (!feedback.pageInfo.hasNextPage || !feedback.pageInfo.endCursor) break;
      after = feedback.pageInfo.endCursor;
    }
  } else if (options.kind === 'audience') {
    const { campaignAudience } = await request(CAMPAIGN_AUDIENCE, { campaignExternalId: options.campaign!, limit: options.limit ?? DEFAULT_AUDIENCE_SIZE });
    await writeTo(out, csvLine(['rank', 'userExternalId', 'email', 'name', 'score', 'reason']));
    let rank = 0;
    for (const member of campaignAudience) {
      rank += 1;
      await row([rank, member.user.externalId, member.user.email, member.user.name, member.score, member.reason]);
    }
  } else {
    const perUser = options.limit ?? DEFAULT_RECOMMENDATIONS_PER_USER;
    const maxUsers = options.users ?? Number.MAX_SAFE_INTEGER;
    const concurrency = options.concurrency ?? DEFAULT_EXPORT_CONCURRENCY;
    await writeTo(out, csvLine(['userExternalId', 'email', 'name', 'rank', 'productExternalId', 'productName', 'score', 'reason']));
    let after: string | null = null;
    let users = 0;
    while (users < maxUsers) {
      const { users: page }: CliConsentingUsersQuery = await request(CONSENTING_USERS, {
        first: Math.min(pageSize, maxUsers - users),
        after,
      });
      const nodes = page.edges.map((edge) => edge.node);
      // A page's customers are asked `concurrency` at a time; rows are written in page order.
      const lists: Awaited<ReturnType<typeof recommend>>[] = new Array(nodes.length);
      const recommend = (userExternalId: string) => request(USER_RECOMMENDATIONS, { userExternalId, limit: perUser });
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(concurrency, nodes.length) }, async () => {
          for (let i = next++; i < nodes.length; i = next++) lists[i] = await recommend(nodes[i]!.externalId);
        }),
      );
      for (const [i, user] of nodes.entries()) {
        let rank = 0;
        if (lists[i]!.recommendations.fallback) summary.fallbackUsers += 1;
        for (const item of lists[i]!.recommendations.items) {
          rank += 1;
          await row([user.externalId, user.email, user.name, rank, item.product.externalId, item.product.name, item.score, item.reason.text]);
        }
      }
      users += nodes.length;
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
      after = page.pageInfo.endCursor;
    }
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}
