import type { Db } from '../db/prisma.ts';
import type { Logger } from '../logger.ts';
import type { BulkWriteResult } from '../modules/common/bulk.ts';
import type { Services } from '../app/services.ts';
import { isOnRatingScale, ratingAt, ratingPosition, type RatingScale } from '../ml/recommender/ratings.ts';
import { SYNTHETIC_RATING_SCALE } from '../ml/synthetic/behaviour.ts';
import { DEMO_SIZE, generateSeedDataset, type SeedSize } from './generator.ts';

export interface SeedReport {
  users: number;
  products: number;
  campaigns: number;
  campaignMetrics: number;
  interactions: number;
  feedback: number;
  seconds: number;
}

type Progress = (stage: string, done: number, total: number) => void;

/**
 * Writes a generated data set through the same services as the GraphQL bulk mutations, so
 * the seed obeys every validation rule and is idempotent: running it twice changes nothing.
 */
export async function seedDataset(services: Services, size: SeedSize, options: { seed?: number; batchSize?: number; onProgress?: Progress } = {}): Promise<SeedReport> {
  const started = Date.now();
  const dataset = generateSeedDataset(size, options.seed ?? 7);
  const batch = Math.min(options.batchSize ?? 5_000, services.limits.maxBatchSize);
  const progress = options.onProgress ?? (() => undefined);

  const writeAll = async <T>(stage: string, rows: T[], write: (chunk: T[]) => Promise<BulkWriteResult>) => {
    let written = 0;
    for (let i = 0; i < rows.length; i += batch) {
      const result = await write(rows.slice(i, i + batch));
      assertNoRowErrors(stage, result);
      written += result.created + result.updated + result.unchanged;
      progress(stage, Math.min(i + batch, rows.length), rows.length);
    }
    return written;
  };

  const report: SeedReport = {
    users: await writeAll('users', dataset.users, (rows) => services.users.upsertUsers(rows)),
    products: await writeAll('products', dataset.products, (rows) => services.products.upsertProducts(rows)),
    campaigns: await writeAll('campaigns', dataset.campaigns, (rows) => services.campaigns.upsertCampaigns(rows)),
    campaignMetrics: await writeAll('campaign metrics', dataset.metrics, (rows) => services.campaigns.recordCampaignMetrics(rows)),
    interactions: 0,
    feedback: 0,
    seconds: 0,
  };
  const onScale = demoRatingsOn(services.interactions.ratingScale);
  for (const chunk of dataset.interactionChunks(batch)) {
    const result = await services.interactions.recordInteractions(chunk.map(onScale));
    assertNoRowErrors('interactions', result);
    report.interactions += result.created + result.updated + result.unchanged;
    progress('interactions', report.interactions, size.interactions);
  }
  report.feedback = await writeAll('feedback', dataset.feedback, (rows) => services.feedback.submitFeedback(rows));
  report.seconds = Math.round((Date.now() - started) / 100) / 10;
  return report;
}

/** Seeds the demo data set on first start (skipped when any user exists). */
export async function seedDemoDataOnce(db: Db, services: Services, logger: Logger): Promise<SeedReport | null> {
  if ((await db.user.count()) > 0) return null;
  logger.info(DEMO_SIZE, 'empty database: seeding the demo data set');
  return seedDataset(services, DEMO_SIZE);
}

function assertNoRowErrors(stage: string, result: BulkWriteResult): void {
  if (result.failed > 0) {
    const first = result.errors[0];
    throw new Error(`seeding ${stage}: ${result.failed} rows refused, first at index ${first?.index}: ${first?.message}`);
  }
}

/**
 * The generator rates in whole stars 1 to 5. On a five-star scale that holds them (the default
 * 0.5–5, or 1–5) they are written as they are; on any other configured scale each is placed at the
 * same position (1 → min, 5 → max, snapped to the step), so the demo data fits every valid scale.
 */
function demoRatingsOn(scale: RatingScale): <T extends { type: string; value: number | null }>(row: T) => T {
  const from = SYNTHETIC_RATING_SCALE;
  const stars = Array.from({ length: (from.max - from.min) / from.step + 1 }, (_, i) => from.min + i * from.step);
  const asIs = scale.max === from.max && stars.every((value) => isOnRatingScale(scale, value));
  return (row) => (asIs || row.type !== 'RATING' || row.value === null ? row : { ...row, value: ratingAt(scale, ratingPosition(from, row.value)) });
}
