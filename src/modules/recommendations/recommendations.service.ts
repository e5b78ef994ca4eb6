import { yieldToEventLoop } from '../common/cooperative.ts';
import type { Db } from '../../db/prisma.ts';
import { prepared, raw, type RawRunner } from '../../db/raw.ts';
import type { Product, User } from '../../generated/prisma/client.ts';
import { integerArgument } from '../../graphql/arguments.ts';
import { appError, ErrorCode, notFoundError, userInputError } from '../../graphql/errors.ts';
import { assertOneRef } from '../common/references.ts';
import { localIdOf } from '../../graphql/global-id.ts';
import type { Logger } from '../../logger.ts';
import {
  audienceReason,
  contentNeighbours,
  DEFAULT_SIGNALS,
  negativeRatingCeiling,
  RecommenderModel,
  strongerKind,
  type AudienceReason,
  type HistoryEntry,
  type ItemCatalogue,
  type InteractionKind,
  type Recommendation as CoreRecommendation,
  type SharedLevel,
  type SimilarItem,
  type SimilarityBasis,
  type SimilarityMetric,
  type Strategy,
} from '../../ml/recommender/index.ts';
import type { RatingScale } from '../../ml/recommender/ratings.ts';
import { ActiveModelCache } from '../models/active-model-cache.ts';
import type { ModelRegistry, ModelVersion } from '../models/registry.service.ts';

/** The recommender task served by the API (trainModel(kind: RECOMMENDER, task: "default")). */
export const RECOMMENDER_TASK = 'default';
export const MAX_RECOMMENDATIONS = 100;
export const MAX_AUDIENCE = 10_000;
/** Audience members read per query, with a turn of the event loop between queries (rows are parsed and resolved in one go). */
const AUDIENCE_USERS_PER_QUERY = 1_000;
export const MAX_EXCLUDED_PRODUCTS = 1_000;
/** Latest interactions of a user read per request that the model has not seen (usually none). */
const RECENT_EVENTS = 500;
/** A customer (not erased) and their latest interactions stored after $2; on every recommendation. */
const userActivity = (where: string) => `SELECT u.id::text, i.product_id::text, i.type::text, i.value, (extract(epoch FROM i.occurred_at) * 1000)::float8
   FROM users u
   LEFT JOIN LATERAL (
     SELECT product_id, type, value, occurred_at FROM interactions
     WHERE user_id = u.id AND created_at > $2 ORDER BY occurred_at DESC LIMIT ${RECENT_EVENTS}
   ) i ON true
   WHERE ${where} AND u.erased_at IS NULL`;
const USER_ACTIVITY_BY_ID = prepared('user_activity_by_id', userActivity('u.id = $1::uuid'));
const USER_ACTIVITY_BY_EXTERNAL_ID = prepared('user_activity_by_external_id', userActivity('u.external_id = $1'));
/** Extra candidates asked from the model, in case fresh product rows drop some. */
const MARGIN = 5;

export type ReasonKind = CoreRecommendation['reason']['kind'];

export interface RecommendationModel {
  product: Product;
  score: number;
  reason: { kind: ReasonKind; text: string; relatedProduct: Product | null };
}

export interface RecommendationListModel {
  items: RecommendationModel[];
  strategyUsed: Strategy;
  fallback: boolean;
  modelVersion: ModelVersion | null;
}

export interface SimilarProductModel {
  product: Product;
  score: number;
  reason: { basis: SimilarityBasis; text: string; sharedCustomers: number | null };
}

export interface AudienceMemberModel {
  user: User;
  score: number;
  /** Worded when first read: large audiences are mostly read for user and score alone. */
  readonly reason: string;
}

/** Per-request DataLoaders the service reads entities through (one batched query each). */
export interface EntityLoaders {
  productById: { loadMany(ids: readonly string[]): Promise<(Product | null | Error)[]> };
  userById: { loadMany(ids: readonly string[]): Promise<(User | null | Error)[]> };
}

/** Product metadata by model item index, for filters and reason texts without per-request SQL. */
interface Catalogue extends ItemCatalogue {
  category: (string | null)[];
  name: string[];
  tags: string[][];
}

/** The active model with its id maps and in-memory catalogue. */
export interface LoadedRecommender {
  model: RecommenderModel;
  userIndex: Map<string, number>;
  itemIndex: Map<string, number>;
  itemIds: readonly string[];
  /** Interactions stored after this time are not in the model (folded in per request). */
  snapshotAt: Date;
  catalogue: Catalogue;
  catalogueLoadedAt: number;
  catalogueRefresh?: Promise<void>;
  eligible?: { users: Uint8Array; loadedAt: number };
  eligibleRefresh?: Promise<void>;
}

interface RecentEvent {
  productId: string;
  type: InteractionKind;
  value: number | null;
  occurredAt: number;
}

interface PopularRow {
  id: string;
  category: string | null;
  price: number | null;
  users: number;
}

export interface RecommendationServiceOptions {
  /** The configured scale of RATING values: the POPULAR fallback leaves out ratings that are negative on it. */
  ratingScale: RatingScale;
  /** How often product metadata (active, price, category, name) of a loaded model is re-read. */
  catalogueRefreshMs?: number;
  /** How long the POPULAR fallback aggregate is reused. */
  popularRefreshMs?: number;
  /** How long the set of consenting users is reused (returned users are always re-checked). */
  eligibleRefreshMs?: number;
}

function present<T>(rows: (T | null | Error)[]): (T | null)[] {
  return rows.map((row) => (row instanceof Error ? null : row));
}

function priceOf(product: Product): number | null {
  return product.price === null ? null : Number(product.price);
}

/**
 * Serves the active recommender from memory: recommendations, similar products and campaign
 * audiences. Nothing is trained on the request path; each request costs at most one small
 * indexed query of its own plus one batched DataLoader query for the returned entities.
 */
export class RecommendationService {
  readonly models: ActiveModelCache<LoadedRecommender>;
  private readonly sql: RawRunner;
  private readonly catalogueRefreshMs: number;
  private readonly popularRefreshMs: number;
  private readonly eligibleRefreshMs: number;
  /** Ratings at or below this are dislikes (signals.ts's rule), not engagement. */
  private readonly dislikedRatingMax: number;
  private popular: { rows: PopularRow[]; loadedAt: number } | null = null;
  private popularRefresh: Promise<void> | undefined;

  constructor(
    db: Db,
    registry: ModelRegistry,
    private readonly logger: Logger,
    options: RecommendationServiceOptions,
  ) {
    this.sql = raw(db);
    // Without a model, the rule training would apply next: the default signals on the configured scale.
    this.dislikedRatingMax = negativeRatingCeiling({ ...DEFAULT_SIGNALS, ratings: options.ratingScale });
    this.catalogueRefreshMs = options.catalogueRefreshMs ?? 30_000;
    this.popularRefreshMs = options.popularRefreshMs ?? 60_000;
    this.eligibleRefreshMs = options.eligibleRefreshMs ?? 5_000;
    this.models = new ActiveModelCache<LoadedRecommender>(registry, 'RECOMMENDER', (artifact, version) => this.loadModel(artifact, version));
  }

  private async loadModel(artifact: Uint8Array, version: ModelVersion): Promise<LoadedRecommender> {
    const started = performance.now();
    const model = RecommenderModel.deserialize(artifact);
    const ids = model.ids;
    if (!ids) throw new Error(`recommender version ${version.id} has no id mapping`);
    const stats = (version.dataStats ?? {}) as { snapshotAt?: string };
    const loaded: LoadedRecommender = {
      model,
      userIndex: new Map(ids.users.map((id, index) => [id, index])),
      itemIndex: new Map(ids.items.map((id, index) => [id, index])),
      itemIds: ids.items,
      snapshotAt: stats.snapshotAt ? new Date(stats.snapshotAt) : version.createdAt,
      catalogue: await this.readCatalogue(ids.items),
      catalogueLoadedAt: Date.now(),
    };
    this.logger.info({ version: version.version, items: model.itemCount, users: model.userCount, ms: Math.round(performance.now() - started) }, 'recommender loaded');
    return loaded;
  }

  private async readCatalogue(itemIds: readonly string[]): Promise<Catalogue> {
    const n = itemIds.length;
    const catalogue: Catalogue = {
      active: new Uint8Array(n), // deleted products stay inactive
      price: new Float64Array(n).fill(Number.NaN),
      category: new Array<string | null>(n).fill(null),
      name: new Array<string>(n).fill(''),
      tags: new Array<string[]>(n).fill([]),
    };
    const index = new Map(itemIds.map((id, i) => [id, i]));
    const rows = await this.sql.arrays<[string, string, string | null, string[] | null, number | null, boolean]>(
      'SELECT id::text, name, category, tags, price::float8, active FROM products WHERE id = ANY($1::uuid[])',
      [itemIds],
    );
    for (const [id, name, category, tags, price, active] of rows) {
      const i = index.get(id)!;
      catalogue.active[i] = active ? 1 : 0;
      catalogue.price[i] = price ?? Number.NaN;
      catalogue.category[i] = category;
      catalogue.name[i] = name;
      catalogue.tags[i] = tags ?? [];
    }
    return catalogue;
  }

  /** The active model; its catalogue is re-read in the background when older than the refresh interval. */
  private async active(): Promise<{ version: ModelVersion; model: LoadedRecommender } | null> {
    const active = await this.models.get(RECOMMENDER_TASK);
    if (!active) return null;
    const loaded = active.model;
    if (Date.now() - loaded.catalogueLoadedAt >= this.catalogueRefreshMs && !loaded.catalogueRefresh) {
      loaded.catalogueRefresh = this.readCatalogue(loaded.itemIds)
        .then((catalogue) => {
          loaded.catalogue = catalogue;
          loaded.catalogueLoadedAt = Date.now();
        })
        .catch((error: unknown) => this.logger.warn({ err: error }, 'refreshing the recommender catalogue failed'))
        .finally(() => {
          loaded.catalogueRefresh = undefined;
        });
    }
    return active;
  }

  /**
   * One indexed query: resolves the user (not erased) and reads their latest interactions stored
   * after `after` — the active model's data snapshot, so usually none: the model holds the rest,
   * kinds included (null: all). Null when the user is unknown. A customer the model does not know
   * had no interaction when it was trained, so theirs are all after it.
   */
  private async userActivity(ref: { id: string | null; externalId: string | null }, after: Date | null): Promise<{ userId: string; events: RecentEvent[] } | null> {
    if (!ref.id && !ref.externalId) return null;
    const rows = await this.sql.arrays<[string, string | null, InteractionKind | null, number | null, number | null]>(ref.id ? USER_ACTIVITY_BY_ID : USER_ACTIVITY_BY_EXTERNAL_ID, [
      ref.id ?? ref.externalId,
      after ?? new Date(0),
    ]);
    if (rows.length === 0) return null;
    const events: RecentEvent[] = [];
    for (const [, productId, type, value, occurredAt] of rows) {
      if (productId === null || type === null) continue;
      events.push({ productId, type, value, occurredAt: occurredAt ?? 0 });
    }
    return { userId: rows[0][0], events };
  }

  async recommendations(
    args: {
      userId?: string | null;
      userExternalId?: string | null;
      limit?: number | null;
      strategy?: Strategy | null;
      filter?: { category?: string | null; priceMax?: number | null; excludeInteracted?: boolean | null; excludeProductIds?: readonly string[] | null } | null;
    },
    loaders: EntityLoaders,
  ): Promise<RecommendationListModel> {
    assertOneRef(args.userId, args.userExternalId, ['userId', 'userExternalId'], { required: false });
    // The default is the schema's (`limit: Int = 10`); an explicit null is refused.
    const limit = integerArgument(args.limit, { min: 1, max: MAX_RECOMMENDATIONS, argument: 'limit' });
    const strategy: Strategy = args.strategy ?? 'HYBRID';
    const filter = args.filter ?? {};
    const category = filter.category ?? null;
    const priceMax = filter.priceMax ?? null;
    if (priceMax !== null && !Number.isFinite(priceMax)) throw userInputError('filter.priceMax must be a finite number.', { argument: 'filter.priceMax' });
    const excludeInteracted = filter.excludeInteracted ?? true;
    const excludeIds = filter.excludeProductIds ?? [];
    if (excludeIds.length > MAX_EXCLUDED_PRODUCTS) {
      throw userInputError(`filter.excludeProductIds may hold at most ${MAX_EXCLUDED_PRODUCTS} IDs; got ${excludeIds.length}.`, { argument: 'filter.excludeProductIds' });
    }
    const excluded = new Set(excludeIds.map((id) => localIdOf('Product', id, 'filter.excludeProductIds')));
    const ref = { id: args.userId ? localIdOf('User', args.userId, 'userId') : null, externalId: args.userExternalId ?? null };
    const matches = (product: Product) =>
      product.active && (category === null || product.category === category) && (priceMax === null || (priceOf(product) ?? Infinity) <= priceMax);

    const active = await this.active();
    if (!active) {
      const [activity, popular] = await Promise.all([this.userActivity(ref, null), this.popularProducts()]);
      const interacted = new Set(excludeInteracted ? (activity?.events ?? []).map((event) => event.productId) : []);
      const candidates: PopularRow[] = [];
      for (const row of popular) {
        if (excluded.has(row.id) || interacted.has(row.id)) continue;
        if (category !== null && row.category !== category) continue;
        if (priceMax !== null && !(row.price !== null && row.price <= priceMax)) continue;
        candidates.push(row);
        if (candidates.length >= limit + MARGIN) break;
      }
      const products = present(await loaders.productById.loadMany(candidates.map((row) => row.id)));
      const newUser = !activity || activity.events.length === 0;
      const items: RecommendationModel[] = [];
      candidates.forEach((row, i) => {
        const product = products[i];
        if (!product || !matches(product) || items.length >= limit) return;
        items.push({
          product,
          score: row.users,
          reason: newUser
            ? { kind: 'NEW_USER', text: 'Popular with other customers (no history for you yet)', relatedProduct: null }
            : { kind: 'POPULAR', text: 'Popular with other customers', relatedProduct: null },
        });
      });
      return { items, strategyUsed: 'POPULAR', fallback: true, modelVersion: null };
    }

    const loaded = active.model;
    const { model, catalogue } = loaded;
    const activity = await this.userActivity(ref, loaded.snapshotAt);
    const userIndex = activity ? (loaded.userIndex.get(activity.userId) ?? null) : null;
    // Interactions the model has not seen.
    const extra: HistoryEntry[] = [];
    for (const event of activity?.events ?? []) {
      const item = loaded.itemIndex.get(event.productId);
      if (item !== undefined) extra.push({ item, type: event.type, value: event.value, occurredAt: event.occurredAt });
    }
    const exclude = new Set<number>();
    for (const id of excluded) {
      const item = loaded.itemIndex.get(id);
      if (item !== undefined) exclude.add(item);
    }
    const recs = model.recommendForUser(userIndex, extra, {
      limit: limit + MARGIN,
      strategy,
      exclude,
      includeSeen: !excludeInteracted,
      filter: (i) => catalogue.active[i] === 1 && (category === null || catalogue.category[i] === category) && (priceMax === null || catalogue.price[i] <= priceMax),
    });
    const hasHistory = extra.length > 0 || model.hasHistory(userIndex);

    const related = recs.map((rec) => (rec.reason.itemIndex !== undefined && rec.reason.itemIndex >= 0 ? loaded.itemIds[rec.reason.itemIndex] : null));
    const ids = [...new Set([...recs.map((rec) => loaded.itemIds[rec.item]), ...related.filter((id): id is string => id !== null)])];
    const byId = new Map<string, Product>();
    present(await loaders.productById.loadMany(ids)).forEach((product) => product && byId.set(product.id, product));
    // What the customer did with a product: the strongest kind the model recorded, or since.
    const since = new Map<string, InteractionKind>();
    for (const event of activity?.events ?? []) since.set(event.productId, strongerKind(since.get(event.productId), event.type));
    const did = (product: Product): InteractionKind | null => {
      const item = loaded.itemIndex.get(product.id);
      const recorded = item === undefined ? null : model.strongestKind(userIndex, item);
      const fresh = since.get(product.id);
      return fresh ? strongerKind(recorded, fresh) : recorded;
    };
    const items: RecommendationModel[] = [];
    recs.forEach((rec, i) => {
      const product = byId.get(loaded.itemIds[rec.item]);
      if (!product || !matches(product) || items.length >= limit) return;
      const relatedProduct = related[i] ? (byId.get(related[i]!) ?? null) : null;
      items.push({ product, score: rec.score, reason: { ...reasonText(rec.reason, relatedProduct, did), relatedProduct } });
    });
    return { items, strategyUsed: hasHistory ? strategy : 'POPULAR', fallback: false, modelVersion: active.version };
  }

  /** Products engaged with (not disliked: see dislikedRatingMax) by the most distinct users; reused for popularRefreshMs. */
  private async popularProducts(): Promise<PopularRow[]> {
    const cached = this.popular;
    const stale = !cached || Date.now() - cached.loadedAt >= this.popularRefreshMs;
    if (stale && !this.popularRefresh) {
      this.popularRefresh = this.sql
        .arrays<[string, string | null, number | null, number]>(
          `SELECT p.id::text, p.category, p.price::float8, count(DISTINCT i.user_id)::int AS users
         FROM interactions i JOIN products p ON p.id = i.product_id
         WHERE p.active AND NOT (i.type = 'RATING' AND i.value IS NOT NULL AND i.value <= $1::float8)
         GROUP BY p.id ORDER BY users DESC, p.id LIMIT 20000`,
          [this.dislikedRatingMax],
        )
        .then((rows) => {
          this.popular = { rows: rows.map(([id, category, price, users]) => ({ id, category, price, users })), loadedAt: Date.now() };
        })
        .finally(() => {
          this.popularRefresh = undefined;
        });
    }
    if (!cached) await this.popularRefresh;
    return this.popular?.rows ?? [];
  }

  async similarProducts(
    args: { productId?: string | null; productExternalId?: string | null; limit?: number | null; metric?: SimilarityMetric | null },
    loaders: EntityLoaders,
  ): Promise<SimilarProductModel[]> {
    assertOneRef(args.productId, args.productExternalId, ['productId', 'productExternalId']);
    const limit = integerArgument(args.limit, { min: 1, max: MAX_RECOMMENDATIONS, argument: 'limit' });
    const metric: SimilarityMetric = args.metric ?? 'COSINE';
    const id = args.productId ? localIdOf('Product', args.productId, 'productId') : null;
    const active = await this.active();
    const known = id !== null && active ? active.model.itemIndex.get(id) : undefined;
    if (known !== undefined) {
      // The hot path: a product the model knows needs one statement, loading it and its neighbours.
      const loaded = active!.model;
      const scored = loaded.model.similarItems(known, limit + MARGIN, metric, { filter: (j) => loaded.catalogue.active[j] === 1 });
      const [self, ...products] = present(await loaders.productById.loadMany([id!, ...scored.map((s) => loaded.itemIds[s.item])]));
      if (!self) throw notFoundError('Product', args.productId!);
      return similarFrom(scored, products, id!, limit);
    }
    const [found] = await this.sql.arrays<[string, string | null, string[] | null, number | null]>(
      `SELECT id::text, category, tags, price::float8 FROM products WHERE ${id ? 'id = $1::uuid' : 'external_id = $1'}`,
      [id ?? args.productExternalId],
    );
    if (!found) throw notFoundError('Product', id ? args.productId! : `with externalId "${args.productExternalId}"`);
    if (!active) throw modelNotReady();
    const loaded = active.model;
    const { catalogue } = loaded;
    const item = loaded.itemIndex.get(found[0]);
    let scored: SimilarItem[];
    if (item !== undefined) {
      scored = loaded.model.similarItems(item, limit + MARGIN, metric, { filter: (j) => catalogue.active[j] === 1 });
    } else {
      scored = contentNeighbours(catalogue, { category: found[1], tags: found[2] ?? [], price: found[3] }, limit + MARGIN).map((s) => ({ ...s, basis: 'CONTENT' }));
    }
    const products = present(await loaders.productById.loadMany(scored.map((s) => loaded.itemIds[s.item])));
    return similarFrom(scored, products, found[0], limit);
  }

  async campaignAudience(args: { campaignId?: string | null; campaignExternalId?: string | null; limit?: number | null }, loaders: EntityLoaders): Promise<AudienceMemberModel[]> {
    assertOneRef(args.campaignId, args.campaignExternalId, ['campaignId', 'campaignExternalId']);
    const limit = integerArgument(args.limit, { min: 1, max: MAX_AUDIENCE, argument: 'limit' });
    const id = args.campaignId ? localIdOf('Campaign', args.campaignId, 'campaignId') : null;
    const [found] = await this.sql.arrays<[string, string, string[] | null]>(
      `SELECT c.id::text, c.name, array_remove(array_agg(cp.product_id::text), NULL)
       FROM campaigns c LEFT JOIN campaign_products cp ON cp.campaign_id = c.id
       WHERE ${id ? 'c.id = $1::uuid' : 'c.external_id = $1'} GROUP BY c.id`,
      [id ?? args.campaignExternalId],
    );
    if (!found) throw notFoundError('Campaign', id ? args.campaignId! : `with externalId "${args.campaignExternalId}"`);
    const targetIds = found[2] ?? [];
    if (targetIds.length === 0) {
      throw userInputError(
        `Campaign "${found[1]}" has no target products, so there is nothing to predict affinity to. Set them with upsertCampaigns (productIds or productExternalIds) first.`,
        { argument: id ? 'campaignId' : 'campaignExternalId' },
      );
    }
    const active = await this.active();
    if (!active) throw modelNotReady();
    const loaded = active.model;
    const targets = targetIds.map((target) => loaded.itemIndex.get(target)).filter((i): i is number => i !== undefined);
    if (targets.length === 0) return []; // every target is newer than the model: retrain to score them
    const eligible = await this.eligibleUsers(loaded);
    // Scanned in slices with the event loop free between them: the customer base may be large.
    const scored = await loaded.model.scoreUsersForItemsInSlices(targets, limit + Math.min(1000, Math.ceil(limit * 0.05) + MARGIN), (u) => eligible[u] === 1, yieldToEventLoop);
    const out: AudienceMemberModel[] = [];
    for (let start = 0; start < scored.length && out.length < limit; start += AUDIENCE_USERS_PER_QUERY) {
      if (start > 0) await yieldToEventLoop();
      const slice = scored.slice(start, start + AUDIENCE_USERS_PER_QUERY);
      const users = present(await loaders.userById.loadMany(slice.map((s) => loaded.model.ids!.users[s.user])));
      for (let i = 0; i < slice.length && out.length < limit; i++) {
        const user = users[i];
        const s = slice[i]!;
        // Consent is re-checked on the row just read: a withdrawal is respected at once.
        if (!user?.marketingConsent || user.erasedAt) continue;
        out.push(audienceMember(user, s.score, () => audienceText(audienceReason(loaded.model, s.user, targets), loaded.catalogue)));
      }
    }
    return out;
  }

  /** Consenting, non-erased users by model user index; re-read when older than eligibleRefreshMs. */
  private async eligibleUsers(loaded: LoadedRecommender): Promise<Uint8Array> {
    const cached = loaded.eligible;
    if (cached && Date.now() - cached.loadedAt < this.eligibleRefreshMs) return cached.users;
    loaded.eligibleRefresh ??= this.sql
      .arrays<[string]>('SELECT id::text FROM users WHERE marketing_consent AND erased_at IS NULL')
      .then((rows) => {
        const users = new Uint8Array(loaded.model.userCount);
        for (const [id] of rows) {
          const u = loaded.userIndex.get(id);
          if (u !== undefined) users[u] = 1;
        }
        loaded.eligible = { users, loadedAt: Date.now() };
      })
      .finally(() => {
        loaded.eligibleRefresh = undefined;
      });
    await loaded.eligibleRefresh;
    return loaded.eligible!.users;
  }
}

function modelNotReady() {
  return appError(
    ErrorCode.MODEL_NOT_READY,
    `No recommender is active. Run trainModel(kind: RECOMMENDER, task: "${RECOMMENDER_TASK}") and wait for the job to succeed (or activate a version with activateModel).`,
    { kind: 'RECOMMENDER', task: RECOMMENDER_TASK },
  );
}

const VERB: Record<InteractionKind, (name: string) => string> = {
  PURCHASE: (name) => `bought ${name}`,
  ADD_TO_CART: (name) => `added ${name} to your cart`,
  RATING: (name) => `rated ${name}`,
  CLICK: (name) => `clicked on ${name}`,
  VIEW: (name) => `viewed ${name}`,
};

function reasonText(reason: CoreRecommendation['reason'], related: Product | null, kindWith: (product: Product) => InteractionKind | null): { kind: ReasonKind; text: string } {
  const did = (product: Product) => {
    const type = kindWith(product);
    return type ? VERB[type](product.name) : `showed interest in ${product.name}`;
  };
  switch (reason.kind) {
    case 'BECAUSE_YOU_INTERACTED':
      return { kind: reason.kind, text: related ? `Because you ${did(related)}` : 'Because of products you engaged with' };
    case 'SIMILAR_CONTENT':
      return {
        kind: reason.kind,
        text: related ? `Similar to ${related.name}, which you ${did(related).replace(` ${related.name}`, '')}` : 'Similar to products you engaged with',
      };
    case 'POPULAR_IN_CATEGORY':
      return { kind: reason.kind, text: reason.category && reason.category !== 'missing' ? `Popular in ${reason.category}` : 'Popular in categories you like' };
    case 'POPULAR':
      return { kind: reason.kind, text: 'Popular right now' };
    case 'NEW_USER':
      return { kind: reason.kind, text: 'Popular right now (no history for you yet)' };
  }
}

/** A member whose reason is worded on first read and kept (graphql-js reads it while completing the list, slice by slice). */
function audienceMember(user: User, score: number, word: () => string): AudienceMemberModel {
  let reason: string | undefined;
  return {
    user,
    score,
    get reason() {
      return (reason ??= word());
    },
  };
}

/** The neighbours whose product rows are still active, with their reasons, up to `limit`. */
function similarFrom(scored: readonly SimilarItem[], products: readonly (Product | null)[], selfId: string, limit: number): SimilarProductModel[] {
  const out: SimilarProductModel[] = [];
  scored.forEach((s, i) => {
    const product = products[i];
    if (product?.active && product.id !== selfId && out.length < limit) out.push({ product, score: s.score, reason: similarReason(s) });
  });
  return out;
}

/** What both products' customers did, as "<done> by N customers who <did> this". */
const SHARED_WORDS: Record<SharedLevel, [done: string, did: string]> = {
  PURCHASE: ['Bought', 'bought'],
  ADD_TO_CART: ['Added to cart', 'added to cart'],
  RATING: ['Liked', 'liked'],
  CLICK: ['Clicked on', 'clicked on'],
  VIEW: ['Viewed', 'viewed'],
  INTERACTED: ['Rated or engaged with', 'rated or engaged with'],
};

function similarReason(s: SimilarItem): SimilarProductModel['reason'] {
  if (s.basis === 'BEHAVIOUR' && s.shared) {
    const [done, did] = SHARED_WORDS[s.shared.level];
    const n = s.shared.customers;
    return { basis: s.basis, text: `${done} by ${n} ${n === 1 ? 'customer' : 'customers'} who ${did} this`, sharedCustomers: n };
  }
  if (s.basis === 'CONTENT') return { basis: s.basis, text: 'Similar product features (category, tags, price)', sharedCustomers: null };
  return { basis: 'FACTORS', text: 'Engaged with by the same kind of customers (learned model)', sharedCustomers: null };
}

function audienceText(reason: AudienceReason, catalogue: Catalogue): string {
  const name = (i: number) => catalogue.name[i] || 'a product';
  switch (reason.kind) {
    case 'SIMILAR_CUSTOMERS':
      return 'Predicted from the behaviour of similar customers';
    case 'ENGAGED_WITH_TARGET':
      return `Already engaged with campaign product ${name(reason.item)}`;
    case 'SIMILAR_TO_TARGET':
      return `Engaged with ${name(reason.item)}, similar to campaign product ${name(reason.target)}`;
  }
}
