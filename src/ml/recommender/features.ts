/**
 * Content features per item, with explicit missing-value rules:
 * - category: one-hot; missing → its own 'missing' level.
 * - tags: multi-hot over the most frequent tags (IDF-weighted); no tags → a
 *   'tags_missing' indicator.
 * - price: quantile band one-hot (5 bands from observed prices); missing → a
 *   'price_missing' band (no imputation: "unknown price" is not "median price").
 * - numeric attributes: standardised (z-score, clipped to ±3); missing → median
 *   fill plus a per-attribute missing indicator, so the model can tell them apart.
 * - categorical attributes: one-hot over the most frequent levels + 'other';
 *   missing → explicit 'missing' level (the mode is reported, not imputed).
 * An attribute key absent from an item counts as missing, same as null.
 * Rows are L2-normalised so content scores are cosines.
 */
import type { AttributeMissingReport, FeatureReport, ItemFeatureInput } from './types.js';

const MAX_TAGS = 200;
const MAX_LEVELS = 24;
const PRICE_BANDS = 5;
// Block weights: category/tags dominate, price and attributes refine.
const W_CATEGORY = 1.0;
const W_TAGS = 1.0;
const W_PRICE = 0.5;
const W_NUMERIC = 0.25;
const W_INDICATOR = 0.2;
const W_CATEGORICAL = 0.6;

export interface ContentFeatures {
  itemCount: number;
  dimensions: number;
  /** Sparse rows (CSR), L2-normalised: items have ~10 non-zeros out of hundreds of columns. */
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
  names: string[];
  categories: string[];
  /** Category index per item (into `categories`), -1 when missing. */
  itemCategory: Int32Array;
  report: FeatureReport;
}

function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) || (typeof v === 'string' && v.trim() === '');
}

function median(sorted: number[]): number {
  if (sorted.length === 0) return 0;
  const m = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

function topLevels(counts: Map<string, number>, max: number): string[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, max)
    .map(([k]) => k);
}

export function buildContentFeatures(items: readonly (ItemFeatureInput | undefined)[] | undefined, itemCount: number): ContentFeatures {
  const get = (i: number): ItemFeatureInput => items?.[i] ?? {};
  const report: AttributeMissingReport[] = [];
  const names: string[] = [];
  type Writer = (row: Float32Array, i: number) => void;
  const writers: Writer[] = [];
  const rate = (m: number): number => (itemCount === 0 ? 0 : m / itemCount);

  // Category.
  const catCounts = new Map<string, number>();
  let catMissing = 0;
  for (let i = 0; i < itemCount; i++) {
    const c = get(i).category;
    if (isMissing(c)) catMissing++;
    else catCounts.set(String(c), (catCounts.get(String(c)) ?? 0) + 1);
  }
  const categories = [...catCounts.keys()].sort();
  const catIndex = new Map(categories.map((c, k) => [c, k]));
  const itemCategory = new Int32Array(itemCount).fill(-1);
  for (let i = 0; i < itemCount; i++) {
    const c = get(i).category;
    if (!isMissing(c)) itemCategory[i] = catIndex.get(String(c)) ?? -1;
  }
  const catBase = names.length;
  for (const c of categories) names.push(`category=${c}`);
  names.push('category=missing');
  writers.push((row, i) => {
    const k = itemCategory[i];
    row[catBase + (k >= 0 ? k : categories.length)] = W_CATEGORY;
  });
  report.push({ name: 'category', kind: 'category', missing: catMissing, missingRate: rate(catMissing), strategy: "one-hot; missing → 'missing' level" });

  // Tags.
  const tagCounts = new Map<string, number>();
  let tagsMissing = 0;
  for (let i = 0; i < itemCount; i++) {
    const tags = get(i).tags;
    if (!tags || tags.length === 0) {
      tagsMissing++;
      continue;
    }
    for (const t of new Set(tags.map((x) => x.trim().toLowerCase()).filter((x) => x.length > 0))) {
      tagCounts.set(t, (tagCounts.get(t) ?? 0) + 1);
    }
  }
  const tagVocab = topLevels(tagCounts, MAX_TAGS);
  const tagIndex = new Map(tagVocab.map((t, k) => [t, k]));
  const tagIdf = tagVocab.map((t) => Math.log(1 + itemCount / (tagCounts.get(t) ?? 1)));
  const tagBase = names.length;
  for (const t of tagVocab) names.push(`tag=${t}`);
  const tagMissingCol = names.length;
  names.push('tags_missing');
  writers.push((row, i) => {
    const tags = get(i).tags;
    if (!tags || tags.length === 0) {
      row[tagMissingCol] = W_INDICATOR;
      return;
    }
    let norm = 0;
    const cols: number[] = [];
    for (const raw of new Set(tags.map((x) => x.trim().toLowerCase()))) {
      const k = tagIndex.get(raw);
      if (k === undefined) continue;
      cols.push(k);
      norm += tagIdf[k] * tagIdf[k];
    }
    norm = Math.sqrt(norm) || 1;
    for (const k of cols) row[tagBase + k] = (W_TAGS * tagIdf[k]) / norm;
  });
  report.push({
    name: 'tags',
    kind: 'tags',
    missing: tagsMissing,
    missingRate: rate(tagsMissing),
    strategy: `multi-hot (top ${MAX_TAGS}, IDF); no tags → 'tags_missing' indicator`,
  });

  // Price bands.
  const prices: number[] = [];
  for (let i = 0; i < itemCount; i++) {
    const p = get(i).price;
    if (!isMissing(p) && typeof p === 'number') prices.push(p);
  }
  prices.sort((a, b) => a - b);
  const cuts: number[] = [];
  for (let b = 1; b < PRICE_BANDS; b++) if (prices.length > 0) cuts.push(prices[Math.floor((b * prices.length) / PRICE_BANDS)]);
  const priceBase = names.length;
  for (let b = 0; b < PRICE_BANDS; b++) names.push(`price_band=${b}`);
  names.push('price_band=missing');
  writers.push((row, i) => {
    const p = get(i).price;
    if (isMissing(p) || typeof p !== 'number') {
      row[priceBase + PRICE_BANDS] = W_PRICE;
      return;
    }
    let band = 0;
    while (band < cuts.length && p >= cuts[band]) band++;
    row[priceBase + band] = W_PRICE;
  });
  const priceMissing = itemCount - prices.length;
  report.push({
    name: 'price',
    kind: 'price',
    missing: priceMissing,
    missingRate: rate(priceMissing),
    strategy: `quantile band (${PRICE_BANDS}); missing → 'missing' band`,
    fill: null,
  });

  // Attributes: infer type per key from observed values.
  const keys = new Set<string>();
  for (let i = 0; i < itemCount; i++) for (const k of Object.keys(get(i).attributes ?? {})) keys.add(k);
  for (const key of [...keys].sort()) {
    let numeric = true;
    let missing = 0;
    const values: (number | string | boolean)[] = [];
    for (let i = 0; i < itemCount; i++) {
      const v = get(i).attributes?.[key];
      if (isMissing(v)) {
        missing++;
        continue;
      }
      if (typeof v !== 'number' && typeof v !== 'boolean') numeric = false;
      values.push(v as number | string | boolean);
    }
    if (values.length === 0) {
      report.push({ name: key, kind: 'categorical', missing, missingRate: rate(missing), strategy: 'all values missing; dropped' });
      continue;
    }
    if (numeric) {
      const nums = values.map((v) => Number(v)).sort((a, b) => a - b);
      const med = median(nums);
      const mean = nums.reduce((s, x) => s + x, 0) / nums.length;
      const sd = Math.sqrt(nums.reduce((s, x) => s + (x - mean) * (x - mean), 0) / nums.length) || 1;
      const col = names.length;
      names.push(`${key}`, `${key}_missing`);
      writers.push((row, i) => {
        const v = get(i).attributes?.[key];
        const miss = isMissing(v);
        const x = miss ? med : Number(v);
        row[col] = W_NUMERIC * Math.max(-3, Math.min(3, (x - mean) / sd));
        row[col + 1] = miss ? W_INDICATOR : 0;
      });
      report.push({ name: key, kind: 'numeric', missing, missingRate: rate(missing), strategy: 'z-score; missing → median fill + missing indicator', fill: med });
    } else {
      const counts = new Map<string, number>();
      for (const v of values) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
      const levels = topLevels(counts, MAX_LEVELS);
      const levelIndex = new Map(levels.map((l, k) => [l, k]));
      const col = names.length;
      for (const l of levels) names.push(`${key}=${l}`);
      names.push(`${key}=other`, `${key}=missing`);
      writers.push((row, i) => {
        const v = get(i).attributes?.[key];
        if (isMissing(v)) {
          row[col + levels.length + 1] = W_CATEGORICAL;
          return;
        }
        const k = levelIndex.get(String(v));
        row[col + (k ?? levels.length)] = W_CATEGORICAL;
      });
      report.push({
        name: key,
        kind: 'categorical',
        missing,
        missingRate: rate(missing),
        strategy: `one-hot (top ${MAX_LEVELS} + other); missing → 'missing' level`,
        fill: levels[0] ?? null,
      });
    }
  }

  const d = names.length;
  const row = new Float32Array(d);
  const indptr = new Int32Array(itemCount + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < itemCount; i++) {
    row.fill(0);
    for (const w of writers) w(row, i);
    let n = 0;
    for (let j = 0; j < d; j++) n += row[j] * row[j];
    n = Math.sqrt(n) || 1;
    for (let j = 0; j < d; j++) {
      if (row[j] !== 0) {
        idx.push(j);
        val.push(row[j] / n);
      }
    }
    indptr[i + 1] = idx.length;
  }
  return {
    itemCount,
    dimensions: d,
    indptr,
    indices: Int32Array.from(idx),
    values: Float32Array.from(val),
    names,
    categories,
    itemCategory,
    report: { items: itemCount, dimensions: d, attributes: report },
  };
}
