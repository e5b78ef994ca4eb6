/**
 * Item-kNN with cosine similarity on binary positive interactions
 * (sim(i,j) = |U_i ∩ U_j| / sqrt(|U_i|·|U_j|)), keeping the top K neighbours per
 * item. Co-occurrences are accumulated per item over its users' rows, so the
 * cost is Σ_u n_u² and memory O(items·K).
 */
import { TopKBuffer } from '../shared/top-k.js';
import type { CsrMatrix } from './signals.js';

export interface NeighbourLists {
  k: number;
  /** items × k neighbour indices, -1 padded. */
  indices: Int32Array;
  /** items × k similarities, 0 padded. */
  sims: Float32Array;
}

export function buildItemKnn(userItem: CsrMatrix, itemUser: CsrMatrix, k: number): NeighbourLists {
  const nItems = userItem.cols;
  const counts = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) {
    for (let q = itemUser.indptr[i]; q < itemUser.indptr[i + 1]; q++) if (itemUser.values[q] > 0) counts[i]++;
  }
  const indices = new Int32Array(nItems * k).fill(-1);
  const sims = new Float32Array(nItems * k);
  const acc = new Float64Array(nItems);
  const touched = new Int32Array(nItems);
  const top = new TopKBuffer(k);
  for (let i = 0; i < nItems; i++) {
    if (counts[i] === 0) continue;
    let nTouched = 0;
    for (let q = itemUser.indptr[i]; q < itemUser.indptr[i + 1]; q++) {
      if (!(itemUser.values[q] > 0)) continue;
      const u = itemUser.indices[q];
      for (let p = userItem.indptr[u]; p < userItem.indptr[u + 1]; p++) {
        if (!(userItem.values[p] > 0)) continue;
        const j = userItem.indices[p];
        if (j === i) continue;
        if (acc[j] === 0) touched[nTouched++] = j;
        acc[j] += 1;
      }
    }
    // Touched items come in visiting order, not by index: the buffer orders ties by index.
    top.reset();
    for (let t = 0; t < nTouched; t++) {
      const j = touched[t];
      top.offer(acc[j] / Math.sqrt(counts[i] * counts[j]), j);
      acc[j] = 0;
    }
    for (let t = 0; t < top.size; t++) {
      indices[i * k + t] = top.ids[t];
      sims[i * k + t] = top.values[t];
    }
  }
  return { k, indices, sims };
}

/** score(j) = Σ_{i ∈ history, positive} sim(i, j), accumulated into `out` (length items). */
export function knnScores(lists: NeighbourLists, history: ArrayLike<number>, weights: ArrayLike<number>, out: Float32Array): void {
  const k = lists.k;
  for (let h = 0; h < history.length; h++) {
    if (!(weights[h] > 0)) continue;
    const o = history[h] * k;
    for (let t = 0; t < k; t++) {
      const j = lists.indices[o + t];
      if (j < 0) break;
      out[j] += lists.sims[o + t];
    }
  }
}
