import { slices, yieldToEventLoop } from '../common/cooperative.ts';
import type { Db } from '../../db/prisma.ts';
import type { ModelVersion } from './registry.service.ts';
import { appError, ErrorCode, userInputError } from '../../graphql/errors.ts';
import type { Logger } from '../../logger.ts';
// Erased feedback keeps its row for aggregates, but its placeholder text is not classified.
import { ERASED_TEXT } from '../users/users.service.ts';
import { QUEUES, type JobQueue } from '../../jobs/queue.ts';
import type { Prediction, TextClassifier } from '../../ml/classifier/index.ts';
import type { ActiveModelCache } from './active-model-cache.ts';
import { parseTaskName } from '../common/task-name.ts';
import { MAX_TEXT_LENGTH } from '../common/text.ts';

export const MAX_TEXTS_PER_CALL = 1_000;
/** One prediction slice: sized to stay well under SLICE_BUDGET_MS (measured in docs/benchmarks.md, "Event loop under heavy requests"). */
const CLASSIFY_SLICE_CHARACTERS = 5_000;
const CLASSIFY_SLICE_TEXTS = 64;
const PREDICTION_CHUNK = 500;

export interface ClassifiedText extends Prediction {
  text: string;
}

/**
 * Predictions in slices, with a turn of the event loop between them: 1,000 long texts take
 * seconds of a core, which would otherwise hold every other request (and health checks) up.
 */
async function predictInSlices(model: TextClassifier, texts: readonly string[]): Promise<Prediction[]> {
  const out: Prediction[] = [];
  for (const slice of slices(texts, (text) => text.length, CLASSIFY_SLICE_CHARACTERS, CLASSIFY_SLICE_TEXTS)) {
    if (out.length) await yieldToEventLoop();
    out.push(...model.predict(slice));
  }
  return out;
}

/** Serves the active classifier of each task and stores predictions on feedback. */
export class ClassificationService {
  constructor(
    private readonly db: Db,
    private readonly models: ActiveModelCache<TextClassifier>,
    private readonly logger: Logger,
  ) {}

  async classify(taskName: string, texts: readonly string[]): Promise<{ modelVersion: ModelVersion; results: ClassifiedText[] }> {
    // The task-name rule of labelling and training: a name that can never be trained is refused.
    const task = parseTaskName(taskName);
    if (texts.length === 0 || texts.length > MAX_TEXTS_PER_CALL) {
      throw userInputError(`texts must hold 1 to ${MAX_TEXTS_PER_CALL} texts; got ${texts.length}.`, { argument: 'texts' });
    }
    texts.forEach((text, index) => {
      if (!text.trim()) throw userInputError(`texts[${index}] is empty.`, { argument: 'texts', index });
      if (text.length > MAX_TEXT_LENGTH) {
        throw userInputError(`texts[${index}] has ${text.length} characters; the limit is ${MAX_TEXT_LENGTH}.`, { argument: 'texts', index });
      }
    });
    const active = await this.models.get(task);
    if (!active) {
      throw appError(
        ErrorCode.MODEL_NOT_READY,
        `No classifier is active for task "${task}". Label feedback, run trainModel(kind: TEXT_CLASSIFIER, task: "${task}") and wait for it to finish.`,
        { task },
      );
    }
    const predictions = await predictInSlices(active.model, texts);
    return { modelVersion: active.version, results: predictions.map((prediction, i) => ({ ...prediction, text: texts[i]! })) };
  }

  /** Tasks that have an active classifier right now. */
  async activeTasks(): Promise<string[]> {
    const rows = await this.db.modelVersion.findMany({ where: { kind: 'TEXT_CLASSIFIER', active: true }, select: { task: true } });
    return rows.map((row) => row.task);
  }

  /**
   * Predicts feedback that has no human label for the task and either no prediction yet
   * (`scope: 'missing'`, run after every submitFeedback) or one from another version
   * (`scope: 'stale'`, the reclassifyFeedback backfill). Returns how many were stored.
   */
  async predictFeedback(task: string, scope: 'missing' | 'stale', limit = Number.MAX_SAFE_INTEGER): Promise<number> {
    const active = await this.models.get(task);
    if (!active) return 0;
    let stored = 0;
    for (;;) {
      const take = Math.min(PREDICTION_CHUNK, limit - stored);
      if (take <= 0) break;
      const rows =
        scope === 'missing'
          ? await this.db.$queryRaw<{ id: string; text: string }[]>`
              SELECT f.id::text, f.text FROM feedback f
              WHERE f.text <> ${ERASED_TEXT}
                AND NOT EXISTS (SELECT 1 FROM feedback_labels l WHERE l.feedback_id = f.id AND l.task = ${task})
                AND NOT EXISTS (SELECT 1 FROM feedback_predictions p WHERE p.feedback_id = f.id AND p.task = ${task})
              ORDER BY f.created_at DESC LIMIT ${take}`
          : await this.db.$queryRaw<{ id: string; text: string }[]>`
              SELECT f.id::text, f.text FROM feedback f
              WHERE f.text <> ${ERASED_TEXT}
                AND NOT EXISTS (SELECT 1 FROM feedback_labels l WHERE l.feedback_id = f.id AND l.task = ${task})
                AND NOT EXISTS (SELECT 1 FROM feedback_predictions p WHERE p.feedback_id = f.id AND p.task = ${task}
                                AND p.model_version_id = ${active.version.id}::uuid)
              ORDER BY f.created_at DESC LIMIT ${take}`;
      if (rows.length === 0) break;
      const predictions = await predictInSlices(
        active.model,
        rows.map((row) => row.text),
      );
      const payload = rows.map((row, i) => ({
        feedbackId: row.id,
        label: predictions[i].label,
        confidence: predictions[i].confidence,
        scores: predictions[i].scores,
      }));
      await this.db.$executeRaw`
        INSERT INTO feedback_predictions (feedback_id, task, label, confidence, scores, model_version_id, created_at)
        SELECT r."feedbackId", ${task}, r.label, r.confidence, r.scores, ${active.version.id}::uuid, now()
        FROM jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) AS r("feedbackId" uuid, label text, confidence float8, scores jsonb)
        ON CONFLICT (feedback_id, task) DO UPDATE SET label = EXCLUDED.label, confidence = EXCLUDED.confidence,
          scores = EXCLUDED.scores, model_version_id = EXCLUDED.model_version_id, created_at = EXCLUDED.created_at`;
      stored += rows.length;
      if (rows.length < take) break;
    }
    if (stored) this.logger.debug({ task, scope, stored }, 'feedback predictions stored');
    return stored;
  }

  /** Queues the backfill of stale predictions for a task (the reclassifyFeedback mutation). */
  async requestReclassification(taskName: string, queue: JobQueue | null) {
    const task = parseTaskName(taskName);
    const active = await this.models.get(task);
    if (!active) {
      throw appError(ErrorCode.MODEL_NOT_READY, `No classifier is active for task "${task}"; nothing to reclassify with.`, { task });
    }
    if (!queue) throw appError(ErrorCode.INTERNAL_SERVER_ERROR, 'The job queue is not running on this server.');
    const [{ pending }] = await this.db.$queryRaw<{ pending: number }[]>`
      SELECT count(*)::int AS pending FROM feedback f
      WHERE f.text <> ${ERASED_TEXT}
        AND NOT EXISTS (SELECT 1 FROM feedback_labels l WHERE l.feedback_id = f.id AND l.task = ${task})
        AND NOT EXISTS (SELECT 1 FROM feedback_predictions p WHERE p.feedback_id = f.id AND p.task = ${task}
                        AND p.model_version_id = ${active.version.id}::uuid)`;
    const jobId = await queue.send(QUEUES.reclassify, { task, modelVersionId: active.version.id });
    return { task, modelVersion: active.version, pending, jobId };
  }

  /** After new feedback arrives: classify it for every task with an active model. */
  async classifyNewFeedback(): Promise<void> {
    for (const task of await this.activeTasks()) await this.predictFeedback(task, 'missing', 20_000);
  }
}
