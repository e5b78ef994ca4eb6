/**
 * Similarity measures used for item–item and user–user comparisons. Pure
 * functions over dense vectors, plus sparse variants (sorted index lists) for
 * interaction vectors where density would waste memory.
 */
export type SimilarityMetric = 'COSINE' | 'PEARSON' | 'EUCLIDEAN';

export interface SparseVector {
  /** Strictly increasing dimension indices. */
  indices: ArrayLike<number>;
  values: ArrayLike<number>;
}

function checkLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`vector lengths differ: ${a.length} vs ${b.length}`);
}

/** cos(a, b); 0 when either vector is all zeros (no evidence, not "opposite"). */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkLength(a, b);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Pearson correlation; 0 when either vector has zero variance. */
export function pearsonCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkLength(a, b);
  const n = a.length;
  if (n === 0) return 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  return va === 0 || vb === 0 ? 0 : cov / Math.sqrt(va * vb);
}

export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkLength(a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Distance mapped to a similarity in (0, 1]: 1 / (1 + d). */
export function euclideanSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return 1 / (1 + euclideanDistance(a, b));
}

export function similarity(metric: SimilarityMetric, a: ArrayLike<number>, b: ArrayLike<number>): number {
  switch (metric) {
    case 'COSINE':
      return cosineSimilarity(a, b);
    case 'PEARSON':
      return pearsonCorrelation(a, b);
    case 'EUCLIDEAN':
      return euclideanSimilarity(a, b);
  }
}

interface SparseStats {
  dot: number;
  sa: number;
  sb: number;
  qa: number;
  qb: number;
}

function sparseStats(a: SparseVector, b: SparseVector): SparseStats {
  let i = 0;
  let j = 0;
  let dot = 0;
  while (i < a.indices.length && j < b.indices.length) {
    const ia = a.indices[i];
    const ib = b.indices[j];
    if (ia === ib) {
      dot += a.values[i++] * b.values[j++];
    } else if (ia < ib) i++;
    else j++;
  }
  let sa = 0;
  let qa = 0;
  for (let k = 0; k < a.values.length; k++) {
    sa += a.values[k];
    qa += a.values[k] * a.values[k];
  }
  let sb = 0;
  let qb = 0;
  for (let k = 0; k < b.values.length; k++) {
    sb += b.values[k];
    qb += b.values[k] * b.values[k];
  }
  return { dot, sa, sb, qa, qb };
}

/**
 * Sparse similarity over a space of `dimension` coordinates (absent = 0), e.g.
 * two users' interaction vectors over the catalogue. Same definitions as the
 * dense functions, so results match densified vectors exactly.
 */
export function sparseSimilarity(metric: SimilarityMetric, a: SparseVector, b: SparseVector, dimension: number): number {
  const { dot, sa, sb, qa, qb } = sparseStats(a, b);
  switch (metric) {
    case 'COSINE':
      return qa === 0 || qb === 0 ? 0 : dot / Math.sqrt(qa * qb);
    case 'PEARSON': {
      if (dimension <= 0) return 0;
      const cov = dot - (sa * sb) / dimension;
      const va = qa - (sa * sa) / dimension;
      const vb = qb - (sb * sb) / dimension;
      return va <= 1e-12 || vb <= 1e-12 ? 0 : cov / Math.sqrt(va * vb);
    }
    case 'EUCLIDEAN':
      return 1 / (1 + Math.sqrt(Math.max(0, qa + qb - 2 * dot)));
  }
}
