/**
 * Content scorer: items' sparse feature rows (category, tags, price band, attributes). A user's
 * profile is the log-weighted mean of their positively engaged items' rows; an item scores its
 * dot product with the profile.
 */
import { sparseSimilarity, type SimilarityMetric, type SparseVector } from '../similarity.js';
import type { UserHistory } from './history.js';

export interface ContentRows {
  /** itemCount + 1 offsets. */
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
  dimensions: number;
}

export class ContentScorer {
  readonly itemCount: number;

  constructor(readonly rows: ContentRows) {
    this.itemCount = rows.indptr.length - 1;
  }

  /** Content profile: log-weighted mean of positively engaged items' feature rows. */
  profile(history: UserHistory): Float32Array {
    const { indptr: ip, indices: ci, values: cv } = this.rows;
    const profile = new Float32Array(this.rows.dimensions);
    for (let h = 0; h < history.items.length; h++) {
      const w = history.weights[h];
      if (!(w > 0)) continue;
      const lw = Math.log1p(w);
      const i = history.items[h];
      for (let q = ip[i]; q < ip[i + 1]; q++) profile[ci[q]] += lw * cv[q];
    }
    return profile;
  }

  scores(profile: Float32Array, out: Float32Array = new Float32Array(this.itemCount)): Float32Array {
    const { indptr: ip, indices: ci, values: cv } = this.rows;
    for (let i = 0; i < this.itemCount; i++) {
      let s = 0;
      for (let q = ip[i]; q < ip[i + 1]; q++) s += cv[q] * profile[ci[q]];
      out[i] = s;
    }
    return out;
  }

  row(item: number): SparseVector {
    const { indptr: ip, indices: ci, values: cv } = this.rows;
    return { indices: ci.subarray(ip[item], ip[item + 1]), values: cv.subarray(ip[item], ip[item + 1]) };
  }

  similarity(metric: SimilarityMetric, a: number, b: number): number {
    return sparseSimilarity(metric, this.row(a), this.row(b), this.rows.dimensions);
  }

  /** Similarity of `item`'s row to every item's under the metric. */
  similarities(item: number, metric: SimilarityMetric, out: Float32Array = new Float32Array(this.itemCount)): Float32Array {
    const q = this.row(item);
    for (let j = 0; j < this.itemCount; j++) out[j] = sparseSimilarity(metric, q, this.row(j), this.rows.dimensions);
    return out;
  }
}
