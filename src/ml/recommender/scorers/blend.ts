/**
 * The blender of the hybrid model: each component's full-catalogue scores are z-scored so
 * components on different scales can be summed with the blend weights (popularity's prior is
 * standardised once, at load).
 */
import type { BlendWeights } from '../types.js';

/** Per-user score components, each over the full catalogue (null: not computed / no weight). */
export interface ScoreComponents {
  collaborative: Float32Array | null;
  knn: Float32Array | null;
  content: Float32Array | null;
  ease: Float32Array | null;
}

/** Mean and standard deviation (1 when constant) used by {@link standardise}. */
export function standardStats(scores: Float32Array): { mean: number; sd: number } {
  const n = scores.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += scores[i];
  mean /= n || 1;
  let v = 0;
  for (let i = 0; i < n; i++) v += (scores[i] - mean) * (scores[i] - mean);
  return { mean, sd: Math.sqrt(v / (n || 1)) || 1 };
}

/** z-score over the catalogue so components on different scales can be blended. */
export function standardise(scores: Float32Array, out: Float32Array = new Float32Array(scores.length)): Float32Array {
  const { mean, sd } = standardStats(scores);
  for (let i = 0; i < scores.length; i++) out[i] = (scores[i] - mean) / sd;
  return out;
}

export function blendScores(c: ScoreComponents, popularityZ: Float32Array, w: BlendWeights, out: Float32Array, scratch: Float32Array): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = w.popularity * popularityZ[i];
  const add = (s: Float32Array | null, weight: number): void => {
    if (s === null || weight === 0) return;
    standardise(s, scratch);
    for (let i = 0; i < out.length; i++) out[i] += weight * scratch[i];
  };
  add(c.collaborative, w.collaborative);
  add(c.knn, w.knn);
  add(c.content, w.content);
  // Items outside EASE's modelled set score 0 like items nothing in the history
  // points to: after z-scoring they share one constant, so EASE only reorders
  // the items it has evidence for and leaves the rest to the other components.
  add(c.ease, w.ease);
  return out;
}
