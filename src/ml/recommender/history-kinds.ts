/**
 * The strongest kind of interaction each trained user had with each item of their history, so a
 * reason can say "because you purchased X" from the model alone, without reading events per request.
 */
import type { InteractionInput, InteractionKind } from './types.js';

/** Interaction kinds from weakest to strongest: a reason names the strongest a user had with an item. */
export const KIND_STRENGTH: readonly InteractionKind[] = ['VIEW', 'CLICK', 'RATING', 'ADD_TO_CART', 'PURCHASE'];
const STRENGTH: Record<InteractionKind, number> = Object.fromEntries(KIND_STRENGTH.map((kind, i) => [kind, i])) as Record<InteractionKind, number>;

/** The stronger of two kinds (null: none yet). */
export function strongerKind(a: InteractionKind | null | undefined, b: InteractionKind): InteractionKind {
  return a && STRENGTH[a] >= STRENGTH[b] ? a : b;
}

/** Position of `item` in the sorted slice indices[lo, hi), or -1. */
export function findInRow(indices: Int32Array, lo: number, hi: number, item: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = indices[mid];
    if (v === item) return mid;
    if (v < item) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/**
 * Per entry of a user × item CSR matrix whose rows are sorted by item (buildInteractionMatrix's),
 * the index in KIND_STRENGTH of the strongest interaction behind it (-1: none).
 */
export function strongestKinds(interactions: readonly InteractionInput[], indptr: Int32Array, indices: Int32Array): Int32Array {
  const kinds = new Int32Array(indices.length).fill(-1);
  const users = indptr.length - 1;
  for (const it of interactions) {
    if (!(it.user >= 0 && it.user < users)) continue;
    const p = findInRow(indices, indptr[it.user], indptr[it.user + 1], it.item);
    if (p >= 0) kinds[p] = Math.max(kinds[p], STRENGTH[it.type]);
  }
  return kinds;
}
