import { z } from 'zod';
import type { Db } from '../../../db/prisma.ts';
import { poolOf } from '../../../db/prisma.ts';
import { ErrorCode, userInputError } from '../../../graphql/errors.ts';
import {
  InsufficientInteractionDataError,
  MIN_TRAINING,
  type InteractionInput,
  type InteractionKind,
  type ItemFeatureInput,
  type RecommenderHyperparameters,
  type TrainingProgress,
} from '../../../ml/recommender/index.ts';
import { TrainingInputError, type ModelTrainer, type TrainingProgressUpdate } from './trainer.ts';
import { packInteractions } from './training-compute.ts';
import { runTraining } from './training-thread.ts';

/** Mirrors RecommenderHyperparameters (src/ml/recommender/types.ts); unknown keys are refused. */
const HyperparametersSchema = z
  .object({
    signals: z
      .object({
        weights: z
          .object({ VIEW: z.number().positive().max(1000), CLICK: z.number().positive().max(1000), ADD_TO_CART: z.number().positive().max(1000), PURCHASE: z.number().positive().max(1000) })
          .partial()
          .strict(),
        ratingNegativeMax: z.number().min(0).max(10),
        ratingScale: z.number().positive().max(100),
        halfLifeDays: z.number().positive().max(36_500).nullable(),
      })
      .partial()
      .strict(),
    als: z
      .object({
        factors: z.number().int().min(2).max(256),
        iterations: z.number().int().min(1).max(100),
        regularization: z.number().positive().max(1000),
        regularizationExponent: z.number().min(0).max(2),
        unobservedWeight: z.number().positive().max(100),
        alpha: z.number().min(0).max(1000),
        cgSteps: z.number().int().min(1).max(20),
      })
      .partial()
      .strict(),
    neighbours: z.number().int().min(1).max(1000),
    blend: z.union([
      z.literal('auto'),
      z
        .object({
          collaborative: z.number().min(0).max(100),
          knn: z.number().min(0).max(100),
          content: z.number().min(0).max(100),
          popularity: z.number().min(0).max(100),
          // Optional so blends written before EASE stay valid; absent = 0 (no EASE lists are fitted).
          ease: z.number().min(0).max(100).optional(),
        })
        .strict()
        .refine((w) => w.collaborative + w.knn + w.content + w.popularity + (w.ease ?? 0) > 0, 'at least one blend weight must be positive'),
    ]),
    ease: z
      .object({
        maxItems: z.number().int().min(0).max(5000),
        coverage: z.number().gt(0).max(1),
        regularization: z.number().positive().max(100_000),
        neighbours: z.number().int().min(1).max(1000),
      })
      .partial()
      .strict(),
    tuneEase: z.boolean(),
    tuneAls: z.boolean(),
    evaluate: z.boolean(),
    testFraction: z.number().min(0.05).max(0.5),
    maxEvalUsers: z.number().int().min(10).max(100_000),
    trendingHalfLifeDays: z.number().positive().max(36_500),
    seed: z.number().int(),
  })
  .partial()
  .strict()
  .superRefine((hp, ctx) => {
    const w = { VIEW: 1, CLICK: 2, ADD_TO_CART: 4, PURCHASE: 8, ...(hp.signals?.weights ?? {}) };
    if (!(w.VIEW <= w.CLICK && w.CLICK <= w.ADD_TO_CART && w.ADD_TO_CART <= w.PURCHASE)) {
      ctx.addIssue({ code: 'custom', path: ['signals', 'weights'], message: 'weights must satisfy VIEW <= CLICK <= ADD_TO_CART <= PURCHASE (defaults 1, 2, 4, 8)' });
    }
  });

// Partial: a stage the core adds later is reported under its own name until it gets a label.
const STAGE_LABEL: Partial<Record<TrainingProgress['stage'], string>> = {
  prepare: 'preparing',
  features: 'content features',
  tune: 'tuning',
  als: 'training',
  ease: 'EASE item model',
  knn: 'item neighbours',
  evaluate: 'evaluating',
  final: 'fitting on all data',
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

type ProductRow = [string, string | null, string[] | null, number | null, Record<string, unknown> | null, boolean];
type InteractionRow = [string, string, InteractionKind, number | null, number];

const PRODUCTS_SQL = `
  SELECT p.id::text, p.category, p.tags, p.price::float8, p.attributes, p.active
  FROM products p
  WHERE p.active OR EXISTS (SELECT 1 FROM interactions i WHERE i.product_id = p.id)
  ORDER BY p.id`;
// Ordered by user (the (user_id, occurred_at) index), so users get dense indices in one pass.
const INTERACTIONS_SQL = `
  SELECT i.user_id::text, i.product_id::text, i.type::text, i.value, (extract(epoch FROM i.occurred_at) * 1000)::float8
  FROM interactions i JOIN users u ON u.id = i.user_id
  WHERE u.erased_at IS NULL
  ORDER BY i.user_id, i.occurred_at, i.id`;
const ERASED_SQL = `SELECT count(*)::int FROM interactions i JOIN users u ON u.id = i.user_id WHERE u.erased_at IS NOT NULL`;
const FETCH_ROWS = 20_000;

/**
 * Reads products and interactions in one read-only, repeatable-read transaction: the catalogue
 * (every active product, plus inactive ones that have interactions) and the interactions of
 * non-erased users streamed through a server-side cursor, ordered by user.
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
    for (const [id, category, tags, price, attributes, active] of rows) {
      productIndex.set(id, out.productIds.length);
      out.productIds.push(id);
      out.items.push({ category, tags: tags ?? [], price, attributes: (attributes ?? {}) as ItemFeatureInput['attributes'] });
      if (active) out.activeProducts += 1;
    }
  };
  const addInteractions = (rows: InteractionRow[]) => {
    for (const [userId, productId, type, value, ms] of rows) {
      const item = productIndex.get(productId);
      if (item === undefined) continue;
      let user = userIndex.get(userId);
      if (user === undefined) {
        user = out.userIds.length;
        userIndex.set(userId, user);
        out.userIds.push(userId);
      }
      out.interactions.push({ user, item, type, value, occurredAt: ms });
    }
  };

  const pool = poolOf(db);
  if (!pool) {
    // No pg pool behind this client (not expected in this service): read in one go.
    const [{ now }] = await db.$queryRawUnsafe<{ now: Date }[]>('SELECT now() AS now');
    out.snapshotAt = now;
    const products = await db.$queryRawUnsafe<Record<string, unknown>[]>(PRODUCTS_SQL);
    addProducts(products.map((row) => Object.values(row) as ProductRow));
    const interactions = await db.$queryRawUnsafe<Record<string, unknown>[]>(INTERACTIONS_SQL);
    addInteractions(interactions.map((row) => Object.values(row) as InteractionRow));
    out.erasedInteractions = Number(Object.values((await db.$queryRawUnsafe<Record<string, unknown>[]>(ERASED_SQL))[0])[0]);
    return out;
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const now = await client.query<[Date]>({ text: 'SELECT now()', rowMode: 'array' });
    out.snapshotAt = now.rows[0][0];
    addProducts((await client.query<ProductRow>({ text: PRODUCTS_SQL, rowMode: 'array' })).rows);
    out.erasedInteractions = (await client.query<[number]>({ text: ERASED_SQL, rowMode: 'array' })).rows[0][0];
    await client.query(`DECLARE recommender_training NO SCROLL CURSOR FOR ${INTERACTIONS_SQL}`);
    for (;;) {
      const batch = await client.query<InteractionRow>({ text: `FETCH ${FETCH_ROWS} FROM recommender_training`, rowMode: 'array' });
      addInteractions(batch.rows);
      if (batch.rows.length < FETCH_ROWS) break;
    }
    await client.query('COMMIT');
    // Progress is written on another connection, so only after COMMIT: the embedded database
    // serialises transactions, and a write waiting behind this one would deadlock it.
    await onRows?.(out.interactions.length);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
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

/** Trains the hybrid recommender (iALS + item-kNN + content + popularity) from stored behaviour. */
export const recommenderTrainer: ModelTrainer = {
  kind: 'RECOMMENDER',

  validate(task, hyperparameters) {
    if (task !== 'default') {
      throw userInputError(`The recommender is trained and served for task "default" only; got "${task}".`, { argument: 'task' });
    }
    const parsed = HyperparametersSchema.safeParse(hyperparameters);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw userInputError(`hyperparameters.${issue?.path.join('.') || ''}: ${issue?.message}`, { argument: 'hyperparameters' });
    }
  },

  async train({ db, hyperparameters, onProgress, signal, thread }) {
    const hp = HyperparametersSchema.parse(hyperparameters) as RecommenderHyperparameters;
    await onProgress({ stage: 'loading data', fraction: 0.01 });
    const data = await readRecommenderTrainingData(db, (rows) => onProgress({ stage: `loading data (${rows} interactions)`, fraction: 0.05 }));
    const distinctProducts = new Set(data.interactions.map((it) => it.item)).size;
    const found = { interactions: data.interactions.length, users: data.userIds.length, products: distinctProducts };
    if (found.interactions < MIN_TRAINING.interactions || found.users < MIN_TRAINING.users || found.products < MIN_TRAINING.items) {
      throw new TrainingInputError(ErrorCode.INSUFFICIENT_TRAINING_DATA, insufficientMessage(found));
    }

    // The core reports from CPU-bound loops without waiting; updates are written in order.
    let fraction = 0.1;
    let chain: Promise<void> = Promise.resolve();
    let tuneSteps = 0;
    const report = (update: TrainingProgressUpdate) => {
      chain = chain.then(() => onProgress(update)).catch(() => undefined);
    };
    const onCoreProgress = (p: TrainingProgress) => {
      let next = fraction;
      const within = p.iteration !== undefined && p.iterations ? p.iteration / p.iterations : 0;
      if (p.stage === 'prepare') next = 0.1;
      else if (p.stage === 'features') next = 0.12;
      else if (p.stage === 'tune') next = Math.min(0.45, 0.15 + 0.01 * ++tuneSteps);
      else if (p.stage === 'evaluate') next = 0.47 + 0.2 * within;
      else if (p.stage === 'final' || p.stage === 'knn') next = Math.max(0.7, fraction);
      else if (p.stage === 'als') next = 0.72 + 0.23 * within;
      fraction = Math.max(fraction, next);
      report({
        stage: p.message && p.stage !== 'als' ? `${STAGE_LABEL[p.stage] ?? p.stage}: ${p.message}` : (STAGE_LABEL[p.stage] ?? p.stage),
        ...(p.iteration !== undefined && p.iterations !== undefined ? { epoch: p.iteration, epochs: p.iterations } : {}),
        ...(p.loss !== undefined && Number.isFinite(p.loss) ? { loss: p.loss } : {}),
        fraction,
      });
    };

    let session;
    try {
      session = await runTraining(
        'RECOMMENDER',
        {
          userIds: data.userIds,
          productIds: data.productIds,
          items: data.items,
          // Typed-array columns, transferred to the thread rather than cloned object by object.
          interactions: packInteractions(data.interactions),
          hyperparameters: hp,
        },
        { thread, signal, onProgress: onCoreProgress },
      );
    } catch (error) {
      if (error instanceof InsufficientInteractionDataError) throw new TrainingInputError(ErrorCode.INSUFFICIENT_TRAINING_DATA, insufficientMessage(found));
      throw error;
    } finally {
      await chain;
    }
    const result = session.output;
    try {
      await onProgress({ stage: 'storing', fraction: 0.97 });
    } catch (error) {
      session.dispose();
      throw error;
    }

    const { metrics, model, chosen, artifact } = result;
    const testFraction = hp.testFraction ?? 0.2;
    const maxEvalUsers = hp.maxEvalUsers ?? 2000;
    const seed = hp.seed ?? 42;
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
            protocol: `temporal hold-out: latest ${Math.round(testFraction * 100)}% of each user's interactions, full-catalogue ranking excluding training items, at most ${maxEvalUsers} users`,
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
        erasedUserInteractionsExcluded: data.erasedInteractions,
        snapshotAt: data.snapshotAt.toISOString(),
        featureReport: result.featureReport,
        artifactBytes: artifact.byteLength,
        modelArrayBytes: model.arrayBytes,
      },
      hyperparameters: {
        ...hp,
        signals: chosen.signals,
        als: chosen.als,
        blend: chosen.blend,
        ease: chosen.ease,
        neighbours: hp.neighbours ?? model.knnK,
        tuneAls: hp.tuneAls ?? true,
        evaluate: hp.evaluate ?? true,
        testFraction,
        maxEvalUsers,
        trendingHalfLifeDays: model.trendingHalfLifeDays,
        seed,
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
};
