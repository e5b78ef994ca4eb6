import type { Db } from '../../../db/prisma.ts';
import { rawTransaction } from '../../../db/raw.ts';
import { ErrorCode, userInputError } from '../../../graphql/errors.ts';
import {
  canonicalIndexOrder,
  holdOutProtocol,
  InsufficientInteractionDataError,
  MIN_TRAINING,
  RecommenderHyperparametersSchema,
  type InteractionInput,
  type InteractionKind,
  type ItemFeatureInput,
  type TrainingProgress,
} from '../../../ml/recommender/index.ts';
import type { RatingScale } from '../../../ml/recommender/ratings.ts';
// The task the recommendations are served for: the one the recommender may be trained for.
import { RECOMMENDER_TASK } from '../../recommendations/recommendations.service.ts';
import { parseHyperparameters, TrainingInputError, type ModelTrainer, type TrainingProgressUpdate } from './trainer.ts';
import { packInteractions } from './training-compute.ts';
import { runTrainingWithProgress } from './training-thread.ts';

// Partial: a stage the core adds later is reported under its own name until it gets a label.
const STAGE_LABEL: Partial<Record<TrainingProgress['stage'], string>> = {
  prepare: 'preparing',
  features: 'content features',
  tune: 'tuning',
  als: 'training',
  ease: 'EASE item model',
  knn: 'item neighbours',
  similar: 'similar products',
  evaluate: 'evaluating',
  final: 'fitting on all data',
  candidates: 'serving lists',
};

/** Rows read for training, in the index space handed to the ML core. */
export interface RecommenderTrainingRows {
  userIds: string[];
  productIds: string[];
  items: ItemFeatureInput[];
  activeProducts: number;
  interactions: InteractionInput[];
  /** Interactions of erased users left out. */
  erasedInteractions: number;
  /** Transaction time of the read: interactions stored later are "newer than the model". */
  snapshotAt: Date;
}

type ProductRow = [string, string, string | null, string[] | null, number | null, Record<string, unknown> | null, boolean];
type UserRow = [string, string];
type InteractionRow = [string, string, InteractionKind, number | null, number];

// Users and products are numbered by externalId (canonicalIndexOrder), not by the random UUID
// or the order rows come back in, and the core sorts interactions by content: the same stored
// data gives the same model in any database.
const PRODUCTS_SQL = `
  SELECT p.id::text, p.external_id, p.category, p.tags, p.price::float8, p.attributes, p.active
  FROM products p
  WHERE p.active OR EXISTS (SELECT 1 FROM interactions i WHERE i.product_id = p.id)`;
const USERS_SQL = `
  SELECT u.id::text, u.external_id FROM users u
  WHERE u.erased_at IS NULL AND EXISTS (SELECT 1 FROM interactions i WHERE i.user_id = u.id)`;
const INTERACTIONS_SQL = `
  SELECT i.user_id::text, i.product_id::text, i.type::text, i.value, (extract(epoch FROM i.occurred_at) * 1000)::float8
  FROM interactions i JOIN users u ON u.id = i.user_id
  WHERE u.erased_at IS NULL`;
const ERASED_SQL = `SELECT count(*)::int FROM interactions i JOIN users u ON u.id = i.user_id WHERE u.erased_at IS NOT NULL`;
const FETCH_ROWS = 20_000;

/**
 * Reads products and interactions in one read-only, repeatable-read transaction: the catalogue
 * (every active product, plus inactive ones that have interactions), the non-erased users with
 * interactions, and their interactions streamed through a server-side cursor.
 */
export async function readRecommenderTrainingData(db: Db, onRows?: (rows: number) => Promise<void>): Promise<RecommenderTrainingRows> {
  const productIndex = new Map<string, number>();
  const userIndex = new Map<string, number>();
  const out: RecommenderTrainingRows = {
    userIds: [],
    productIds: [],
    items: [],
    activeProducts: 0,
    interactions: [],
    erasedInteractions: 0,
    snapshotAt: new Date(),
  };
  const addProducts = (rows: ProductRow[]) => {
    for (const p of canonicalIndexOrder(rows.map((row) => row[1]))) {
      const [id, , category, tags, price, attributes, active] = rows[p];
      productIndex.set(id, out.productIds.length);
      out.productIds.push(id);
      out.items.push({ category, tags: tags ?? [], price, attributes: (attributes ?? {}) as ItemFeatureInput['attributes'] });
      if (active) out.activeProducts += 1;
    }
  };
  const addUsers = (rows: UserRow[]) => {
    for (const p of canonicalIndexOrder(rows.map((row) => row[1]))) {
      userIndex.set(rows[p][0], out.userIds.length);
      out.userIds.push(rows[p][0]);
    }
  };
  const addInteractions = (rows: InteractionRow[]) => {
    for (const [userId, productId, type, value, ms] of rows) {
      const item = productIndex.get(productId);
      const user = userIndex.get(userId);
      if (item === undefined || user === undefined) continue;
      out.interactions.push({ user, item, type, value, occurredAt: ms });
    }
  };

  out.snapshotAt = await rawTransaction(
    db,
    async (tx) => {
      const [[now]] = await tx.arrays<[Date]>('SELECT now()');
      addProducts(await tx.arrays<ProductRow>(PRODUCTS_SQL));
      addUsers(await tx.arrays<UserRow>(USERS_SQL));
      out.erasedInteractions = (await tx.arrays<[number]>(ERASED_SQL))[0][0];
      await tx.stream<InteractionRow>(INTERACTIONS_SQL, FETCH_ROWS, addInteractions);
      return now;
    },
    { mode: 'ISOLATION LEVEL REPEATABLE READ READ ONLY' },
  );
  // Progress is written on another connection, so only after COMMIT: the embedded database
  // serialises transactions, and a write waiting behind this one would deadlock it.
  await onRows?.(out.interactions.length);
  return out;
}

function insufficientMessage(found: { interactions: number; users: number; products: number }): string {
  return (
    `Training a recommender needs at least ${MIN_TRAINING.interactions} interactions from at least ${MIN_TRAINING.users} users ` +
    `on at least ${MIN_TRAINING.items} products (interactions of erased users are not used); ` +
    `found ${found.interactions} interactions from ${found.users} users on ${found.products} products. ` +
    `Record more behaviour with recordInteractions, then train again.`
  );
}

/**
 * Trains the hybrid recommender (iALS + item-kNN + content + popularity) from stored behaviour,
 * reading RATING values on `ratingScale` (the configured scale; the model stores it and serves with it).
 */
export const createRecommenderTrainer = (ratingScale: RatingScale): ModelTrainer => ({
  kind: 'RECOMMENDER',

  validate(task, hyperparameters) {
    if (task !== RECOMMENDER_TASK) {
      throw userInputError(`The recommender is trained and served for task "${RECOMMENDER_TASK}" only; got "${task}".`, { argument: 'task' });
    }
    return parseHyperparameters(RecommenderHyperparametersSchema, hyperparameters);
  },

  async train({ db, hyperparameters, onProgress, signal, thread, backend }) {
    const hp = parseHyperparameters(RecommenderHyperparametersSchema, hyperparameters);
    await onProgress({ stage: 'loading data', fraction: 0.01 });
    const data = await readRecommenderTrainingData(db, (rows) => onProgress({ stage: `loading data (${rows} interactions)`, fraction: 0.05 }));
    const distinctProducts = new Set(data.interactions.map((it) => it.item)).size;
    const found = { interactions: data.interactions.length, users: data.userIds.length, products: distinctProducts };
    if (found.interactions < MIN_TRAINING.interactions || found.users < MIN_TRAINING.users || found.products < MIN_TRAINING.items) {
      throw new TrainingInputError(ErrorCode.INSUFFICIENT_TRAINING_DATA, insufficientMessage(found));
    }

    let fraction = 0.1;
    let tuneSteps = 0;
    const toUpdate = (p: TrainingProgress): TrainingProgressUpdate => {
      let next = fraction;
      const within = p.iteration !== undefined && p.iterations ? p.iteration / p.iterations : 0;
      if (p.stage === 'prepare') next = 0.1;
      else if (p.stage === 'features') next = 0.12;
      else if (p.stage === 'tune') next = Math.min(0.45, 0.15 + 0.01 * ++tuneSteps);
      else if (p.stage === 'evaluate') next = 0.47 + 0.2 * within;
      else if (p.stage === 'final' || p.stage === 'knn') next = Math.max(0.7, fraction);
      else if (p.stage === 'als') next = 0.72 + 0.2 * within;
      else if (p.stage === 'candidates') next = 0.92 + 0.04 * within; // below 'storing' (0.97, training-thread.ts)
      fraction = Math.max(fraction, next);
      return {
        stage: p.message && p.stage !== 'als' ? `${STAGE_LABEL[p.stage] ?? p.stage}: ${p.message}` : (STAGE_LABEL[p.stage] ?? p.stage),
        ...(p.iteration !== undefined && p.iterations !== undefined ? { epoch: p.iteration, epochs: p.iterations } : {}),
        ...(p.loss !== undefined && Number.isFinite(p.loss) ? { loss: p.loss } : {}),
        fraction,
      };
    };

    let session;
    try {
      session = await runTrainingWithProgress(
        'RECOMMENDER',
        {
          userIds: data.userIds,
          productIds: data.productIds,
          items: data.items,
          // Typed-array columns, transferred to the thread rather than cloned object by object.
          interactions: packInteractions(data.interactions),
          hyperparameters: hp,
          ratingScale,
        },
        { thread, signal, backend, onProgress, toUpdate },
      );
    } catch (error) {
      if (error instanceof InsufficientInteractionDataError) throw new TrainingInputError(ErrorCode.INSUFFICIENT_TRAINING_DATA, insufficientMessage(found));
      throw error;
    }
    const result = session.output;
    const { metrics, model, chosen, artifact } = result;
    // The scale is the data's, not a hyperparameter: reported with the data, so a retrain with these hyperparameters validates.
    const { ratings, ...signals } = chosen.signals;
    const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

    return {
      artifact,
      labels: [],
      metrics: metrics
        ? {
            strategy: 'HYBRID',
            ndcgAt10: metrics.model.ndcgAt10,
            recallAt20: metrics.model.recallAt20,
            mapAt10: metrics.model.mapAt10,
            coverageAt20: metrics.model.coverageAt20,
            evaluatedUsers: metrics.model.users,
            liftOverPopularity: ratio(metrics.model.ndcgAt10, metrics.popularity.ndcgAt10),
            liftOverItemKnn: ratio(metrics.model.ndcgAt10, metrics.itemKnn.ndcgAt10),
            // Every report of the core (model, collaborative, content, itemKnn, popularity, the split sizes, ...).
            ...metrics,
            protocol: holdOutProtocol(hp),
            tuning: result.tuning,
          }
        : { strategy: 'HYBRID', evaluated: false },
      dataStats: {
        users: data.userIds.length,
        products: data.productIds.length,
        activeProducts: data.activeProducts,
        productsWithInteractions: distinctProducts,
        coldProducts: data.productIds.length - distinctProducts,
        interactions: data.interactions.length,
        ratingScale: ratings,
        erasedUserInteractionsExcluded: data.erasedInteractions,
        snapshotAt: data.snapshotAt.toISOString(),
        featureReport: result.featureReport,
        artifactBytes: artifact.byteLength,
        modelArrayBytes: model.arrayBytes,
      },
      // Every key resolved, with what training chose where it tunes (λs, blend) or derives (trending half-life).
      hyperparameters: {
        ...hp,
        signals,
        als: chosen.als,
        blend: chosen.blend,
        ease: chosen.ease,
        trendingHalfLifeDays: model.trendingHalfLifeDays,
      },
      backend: result.backend,
      trainingSeconds: result.trainingSeconds,
      primaryMetric: { name: 'ndcgAt10', value: metrics?.model.ndcgAt10 ?? 0 },
      thread: session.thread,
      // Runs where the model was trained: it holds this run's interactions and split.
      evaluateArtifact: (previousArtifact) => session.evaluate(previousArtifact),
      dispose: () => session.dispose(),
    };
  },
});
