/**
 * Serving helpers over what the service knows of its catalogue and a trained model, beyond the
 * model's own scores: neighbours of a product the model has never seen, and why a user is in a
 * campaign audience. Index-based, like the model; the service maps ids and words the result.
 */
import type { RecommenderModel } from './model.js';

/** Current product metadata by model item index (the service re-reads it from time to time). */
export interface ItemCatalogue {
  /** 1 for active products. */
  active: Uint8Array;
  /** NaN when unknown. */
  price: Float64Array;
  category: readonly (string | null)[];
  tags: readonly (readonly string[])[];
}

/** A product described by its metadata only. */
export interface ItemDescription {
  category: string | null;
  tags: readonly string[];
  price: number | null;
}

/**
 * Content neighbours of a product the model does not know: same category (1), tag overlap
 * (Jaccard) and price closeness (1 at equal prices, 0 at a factor of 4 apart), averaged over
 * the parts the product has, among active catalogue items. Empty when it has no category, tags or price.
 */
export function contentNeighbours(catalogue: ItemCatalogue, product: ItemDescription, limit: number): { item: number; score: number }[] {
  const parts = (product.category ? 1 : 0) + (product.tags.length ? 1 : 0) + (product.price !== null && product.price > 0 ? 1 : 0);
  if (parts === 0) return [];
  const tags = new Set(product.tags);
  const scored: { item: number; score: number }[] = [];
  for (let i = 0; i < catalogue.active.length; i++) {
    if (!catalogue.active[i]) continue;
    let s = 0;
    if (product.category && catalogue.category[i] === product.category) s += 1;
    if (tags.size) {
      let shared = 0;
      for (const tag of catalogue.tags[i]) if (tags.has(tag)) shared += 1;
      const union = tags.size + catalogue.tags[i].length - shared;
      s += union > 0 ? shared / union : 0;
    }
    if (product.price !== null && product.price > 0 && catalogue.price[i] > 0) {
      s += Math.max(0, 1 - Math.abs(Math.log(catalogue.price[i] / product.price)) / Math.log(4));
    }
    if (s > 0) scored.push({ item: i, score: s / parts });
  }
  scored.sort((a, b) => b.score - a.score || a.item - b.item);
  return scored.slice(0, limit);
}

export type AudienceReason =
  /** No positive stored history: ranked by the factors alone. */
  | { kind: 'SIMILAR_CUSTOMERS' }
  /** Already engaged (most strongly) with this target item. */
  | { kind: 'ENGAGED_WITH_TARGET'; item: number }
  /** Engaged with `item`, the closest (cosine of learned factors) to target `target`. */
  | { kind: 'SIMILAR_TO_TARGET'; item: number; target: number };

/**
 * Why a trained user is in an audience for `targets`: their most engaged target item, else the
 * pair (one of their 20 strongest items, one of the first 50 targets) closest in learned factors.
 */
export function audienceReason(model: RecommenderModel, user: number, targets: readonly number[]): AudienceReason {
  const a = model.arrays;
  const k = model.header.factors;
  const f = a.itemFactors;
  const history: { item: number; weight: number }[] = [];
  for (let q = a.historyIndptr[user]; q < a.historyIndptr[user + 1]; q++) if (a.historyWeights[q] > 0) history.push({ item: a.historyItems[q], weight: a.historyWeights[q] });
  if (history.length === 0) return { kind: 'SIMILAR_CUSTOMERS' };
  const targetSet = new Set(targets);
  const direct = history.filter((h) => targetSet.has(h.item)).sort((x, y) => y.weight - x.weight)[0];
  if (direct) return { kind: 'ENGAGED_WITH_TARGET', item: direct.item };
  history.sort((x, y) => y.weight - x.weight);
  // Norms in float64 here (the model's own are float32): the ranking of close pairs stays as it was served.
  const norm = (i: number) => {
    let s = 0;
    for (let d = 0; d < k; d++) s += f[i * k + d] * f[i * k + d];
    return Math.sqrt(s) || 1;
  };
  let best = { h: history[0].item, t: targets[0], sim: -Infinity };
  const someTargets = targets.slice(0, 50);
  const targetNorms = someTargets.map(norm);
  for (const h of history.slice(0, 20)) {
    const nh = norm(h.item);
    for (let ti = 0; ti < someTargets.length; ti++) {
      const t = someTargets[ti];
      let s = 0;
      for (let d = 0; d < k; d++) s += f[h.item * k + d] * f[t * k + d];
      const sim = s / (nh * targetNorms[ti]);
      if (sim > best.sim) best = { h: h.item, t, sim };
    }
  }
  return { kind: 'SIMILAR_TO_TARGET', item: best.h, target: best.t };
}
