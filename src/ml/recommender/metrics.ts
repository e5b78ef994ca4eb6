/**
 * Ranking metrics for top-K evaluation with binary relevance.
 * Recall@K is normalised by min(K, |relevant|) (as in Liang et al. 2018 /
 * Steck 2019) so a perfect list scores 1 even when |relevant| > K.
 */
import { TopKBuffer } from '../shared/top-k.js';

function countRelevant(relevant: ReadonlySet<number>): number {
  return relevant.size;
}

export function recallAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  const r = countRelevant(relevant);
  if (r === 0 || k <= 0) return 0;
  let hits = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i])) hits++;
  return hits / Math.min(k, r);
}

export function precisionAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  if (k <= 0) return 0;
  let hits = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i])) hits++;
  return hits / k;
}

/** NDCG@K with gain 1 per relevant item and log2(rank + 1) discount. */
export function ndcgAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  const r = countRelevant(relevant);
  if (r === 0 || k <= 0) return 0;
  let dcg = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i])) dcg += 1 / Math.log2(i + 2);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, r); i++) idcg += 1 / Math.log2(i + 2);
  return dcg / idcg;
}

/** AP@K = (1 / min(K, |relevant|)) * sum over hit ranks i <= K of precision@i. */
export function averagePrecisionAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  const r = countRelevant(relevant);
  if (r === 0 || k <= 0) return 0;
  let hits = 0;
  let sum = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) {
    if (relevant.has(ranked[i])) {
      hits++;
      sum += hits / (i + 1);
    }
  }
  return sum / Math.min(k, r);
}

/** Fraction of the catalogue that appears in at least one recommendation list. */
export function catalogueCoverage(lists: Iterable<ArrayLike<number>>, catalogueSize: number): number {
  if (catalogueSize <= 0) return 0;
  const seen = new Uint8Array(catalogueSize);
  let distinct = 0;
  for (const list of lists) {
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      if (item >= 0 && item < catalogueSize && seen[item] === 0) {
        seen[item] = 1;
        distinct++;
      }
    }
  }
  return distinct / catalogueSize;
}

/**
 * Indices of the k highest scores (descending; ties by lower index), skipping
 * entries where `skip` returns true or the score is not finite. O(n log k).
 */
export function topK(scores: ArrayLike<number>, k: number, skip?: (index: number) => boolean): { items: Int32Array; scores: Float32Array } {
  const top = new TopKBuffer(k);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    // `skip` (a Set lookup, a filter) only for scores that would enter.
    if (!Number.isFinite(s) || !top.admits(s)) continue;
    if (skip?.(i)) continue;
    top.offer(s, i);
  }
  return { items: top.ids.slice(0, top.size), scores: Float32Array.from(top.values.subarray(0, top.size)) };
}
