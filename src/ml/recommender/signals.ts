/**
 * Interaction signals → aggregated sparse user×item matrix (CSR).
 * Funnel types carry increasing positive weight; a rating in the bottom
 * `ratingNegativeFraction` of its scale becomes negative evidence (a disliked item
 * should push the user away from it, not count as engagement). Ratings are
 * normalised over their scale (`ratings`, passed in by the caller), so a 1–10
 * scale weighs like a 0.5–5 one.
 */
import { DEFAULT_RATING_SCALE, LEGACY_RATING_SCALE, ratingPosition, type RatingScale } from './ratings.js';
import type { InteractionInput, InteractionKind, SignalConfig } from './types.js';

/**
 * On the default 0.5–5 scale these are exactly the rule of 1.5 per star above 2 and
 * −(3 − r) × 1.5 at or below 2 (ratings ≤ 2 are negative), for every half star.
 */
export const DEFAULT_SIGNALS: SignalConfig = {
  weights: { VIEW: 1, CLICK: 2, ADD_TO_CART: 4, PURCHASE: 8 },
  ratingNegativeFraction: 1 / 3,
  ratingWeight: 6.75,
  ratingNegativeWeight: 1.5,
  ratings: DEFAULT_RATING_SCALE,
  halfLifeDays: null,
};

// A rating this close above the threshold (relative to the range) still counts as at it: decimal scales round.
const THRESHOLD_SLACK = 1e-9;

/**
 * The highest rating value that is negative evidence under `cfg` (ratings ≤ this are disliked):
 * min + ratingNegativeFraction × (max − min), plus rounding slack. The one definition of the
 * rule; serving's SQL for disliked items compares against this value too.
 */
export function negativeRatingCeiling(cfg: Pick<SignalConfig, 'ratings' | 'ratingNegativeFraction'>): number {
  const range = cfg.ratings.max - cfg.ratings.min;
  return cfg.ratings.min + cfg.ratingNegativeFraction * range + THRESHOLD_SLACK * range;
}

/** True when a rating of `value` is negative evidence (see negativeRatingCeiling). */
export function isNegativeRating(cfg: Pick<SignalConfig, 'ratings' | 'ratingNegativeFraction'>, value: number): boolean {
  return value <= negativeRatingCeiling(cfg);
}

/** Signed weight of one event before time decay. */
export function signalWeight(cfg: SignalConfig, type: InteractionKind, value?: number | null): number {
  if (type !== 'RATING') return cfg.weights[type];
  const { min, max } = cfg.ratings;
  // Threshold and slope in rating units: on the default scale 2 and 1.5 exactly, so weights are exact too.
  const threshold = min + cfg.ratingNegativeFraction * (max - min);
  const perUnit = cfg.ratingWeight / (max - min);
  // Unknown rating: mildly positive, the mirror of a rating at the threshold.
  if (value === null || value === undefined || !Number.isFinite(value)) return cfg.ratingNegativeWeight;
  // Linear in the rating's position on its scale; at the threshold already −ratingNegativeWeight.
  return isNegativeRating(cfg, value) ? -cfg.ratingNegativeWeight - (threshold - value) * perUnit : (value - threshold) * perUnit;
}

/** What a model header stored before rating scales: an absolute threshold and a weight per star. */
export interface LegacySignalConfig {
  weights: SignalConfig['weights'];
  ratingNegativeMax: number;
  ratingScale: number;
  halfLifeDays: number | null;
}

/**
 * Signals of a model stored before rating scales, in today's form with the same weight for every
 * rating: `(r − T) × s` above T = ratingNegativeMax, `−(T + 1 − r) × s` at or below, on the 1–5 scale they assumed.
 */
export function upgradeLegacySignals(legacy: LegacySignalConfig): SignalConfig {
  const scale: RatingScale = LEGACY_RATING_SCALE;
  const range = scale.max - scale.min;
  return {
    weights: legacy.weights,
    ratingNegativeFraction: ratingPosition(scale, legacy.ratingNegativeMax),
    ratingWeight: legacy.ratingScale * range,
    ratingNegativeWeight: legacy.ratingScale,
    ratings: scale,
    halfLifeDays: legacy.halfLifeDays,
  };
}

export function timeOf(t: Date | number): number {
  return typeof t === 'number' ? t : t.getTime();
}

export function decayFactor(cfg: SignalConfig, eventMs: number, referenceMs: number): number {
  if (cfg.halfLifeDays === null) return 1;
  const ageDays = Math.max(0, referenceMs - eventMs) / 86_400_000;
  return Math.pow(0.5, ageDays / cfg.halfLifeDays);
}

/** Compressed sparse rows; values are signed aggregated signals. */
export interface CsrMatrix {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
  /** Latest event time (ms) per stored entry. */
  lastSeen: Float64Array;
}

/**
 * Sums the decayed weights of all events per (user, item). Invalid indices are
 * dropped (the caller validated counts). O(n + nnz log(row length)).
 */
export function buildInteractionMatrix(interactions: readonly InteractionInput[], userCount: number, itemCount: number, cfg: SignalConfig, referenceMs?: number): CsrMatrix {
  let ref = referenceMs ?? -Infinity;
  if (referenceMs === undefined) for (const it of interactions) ref = Math.max(ref, timeOf(it.occurredAt));
  const counts = new Int32Array(userCount + 1);
  for (const it of interactions) {
    if (it.user >= 0 && it.user < userCount && it.item >= 0 && it.item < itemCount) counts[it.user + 1]++;
  }
  for (let u = 0; u < userCount; u++) counts[u + 1] += counts[u];
  const fill = counts.slice(0, userCount);
  const items = new Int32Array(counts[userCount]);
  const weights = new Float64Array(counts[userCount]);
  const times = new Float64Array(counts[userCount]);
  for (const it of interactions) {
    if (!(it.user >= 0 && it.user < userCount && it.item >= 0 && it.item < itemCount)) continue;
    const p = fill[it.user]++;
    const t = timeOf(it.occurredAt);
    items[p] = it.item;
    weights[p] = signalWeight(cfg, it.type, it.value) * decayFactor(cfg, t, ref);
    times[p] = t;
  }
  // Aggregate duplicates within each user's slice.
  const indptr = new Int32Array(userCount + 1);
  const outIdx: number[] = [];
  const outVal: number[] = [];
  const outTime: number[] = [];
  for (let u = 0; u < userCount; u++) {
    const lo = counts[u];
    const hi = counts[u + 1];
    const order: number[] = [];
    for (let p = lo; p < hi; p++) order.push(p);
    order.sort((a, b) => items[a] - items[b]);
    let k = 0;
    while (k < order.length) {
      const item = items[order[k]];
      let w = 0;
      let t = -Infinity;
      while (k < order.length && items[order[k]] === item) {
        w += weights[order[k]];
        t = Math.max(t, times[order[k]]);
        k++;
      }
      outIdx.push(item);
      outVal.push(w);
      outTime.push(t);
    }
    indptr[u + 1] = outIdx.length;
  }
  return {
    rows: userCount,
    cols: itemCount,
    indptr,
    indices: Int32Array.from(outIdx),
    values: Float32Array.from(outVal),
    lastSeen: Float64Array.from(outTime),
  };
}

export function transpose(m: CsrMatrix): CsrMatrix {
  const indptr = new Int32Array(m.cols + 1);
  for (let p = 0; p < m.indices.length; p++) indptr[m.indices[p] + 1]++;
  for (let c = 0; c < m.cols; c++) indptr[c + 1] += indptr[c];
  const fill = indptr.slice(0, m.cols);
  const indices = new Int32Array(m.indices.length);
  const values = new Float32Array(m.indices.length);
  const lastSeen = new Float64Array(m.indices.length);
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) {
      const q = fill[m.indices[p]]++;
      indices[q] = r;
      values[q] = m.values[p];
      lastSeen[q] = m.lastSeen[p];
    }
  }
  return { rows: m.cols, cols: m.rows, indptr, indices, values, lastSeen };
}
