/**
 * The one order training sees its input in, so that the same data and hyperparameters give the
 * same model whichever order the rows were stored or read in:
 * - users and items are numbered by a stable key of the caller's (the externalId), never by a
 *   random id or by arrival: ALS initialisation, the evaluation users' sample and every
 *   tie-break follow indices;
 * - interactions are sorted by content (user, time, item, type, value): the temporal split
 *   breaks ties of time by position, and signal sums are floating point.
 */
import { timeOf } from './signals.js';
import type { InteractionInput, InteractionKind } from './types.js';

/** Code-unit order: the same in every database and locale (no collation). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Positions of `keys` in the order training numbers them (ascending key): entry j of the result
 * is the position of the row that gets index j. Keys must be unique, or the order would fall
 * back on arrival.
 */
export function canonicalIndexOrder(keys: readonly string[]): number[] {
  const order = Array.from(keys, (_, i) => i).sort((a, b) => compareKeys(keys[a], keys[b]));
  for (let j = 1; j < order.length; j++) {
    if (keys[order[j - 1]] === keys[order[j]]) throw new RangeError(`duplicate key ${JSON.stringify(keys[order[j]])}: training needs unique keys to number rows by`);
  }
  return order;
}

const KIND_RANK: Record<InteractionKind, number> = { VIEW: 0, CLICK: 1, ADD_TO_CART: 2, PURCHASE: 3, RATING: 4 };

/** null / undefined first, then numbers, NaN last: a total order. */
function valueRank(v: number | null | undefined): number {
  if (v === null || v === undefined) return -Infinity;
  return Number.isNaN(v) ? Infinity : v;
}

/** Content order of interactions: user, occurredAt, item, type, value (equal rows are interchangeable). */
export function compareInteractions(a: InteractionInput, b: InteractionInput): number {
  return (
    a.user - b.user ||
    timeOf(a.occurredAt) - timeOf(b.occurredAt) ||
    a.item - b.item ||
    KIND_RANK[a.type] - KIND_RANK[b.type] ||
    compareValues(a.value, b.value)
  );
}

function compareValues(a: number | null | undefined, b: number | null | undefined): number {
  const x = valueRank(a);
  const y = valueRank(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The interactions in content order: the list itself when it already is (one O(n) pass), else a sorted copy. */
export function canonicalInteractions<T extends InteractionInput>(interactions: readonly T[]): readonly T[] {
  for (let i = 1; i < interactions.length; i++) {
    if (compareInteractions(interactions[i - 1], interactions[i]) > 0) return [...interactions].sort(compareInteractions);
  }
  return interactions;
}
