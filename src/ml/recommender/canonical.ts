/**
 * The one order training sees its input in, so that the same data and hyperparameters give the
 * same model whichever order the rows were stored or read in:
 * - users and items are numbered by a stable key of the caller's (the externalId), never by a
 *   random id or by arrival: ALS initialisation, the evaluation users' sample and every
 *   tie-break follow indices;
 * - interactions are sorted by content (user, time, item, type, value): the temporal split
 *   breaks ties of time by position, and signal sums are floating point.
 */
import { compareCodeUnits } from '../shared/order.js';
import { timeOf } from './signals.js';
import type { InteractionInput, InteractionKind } from './types.js';

/**
 * Positions of `keys` in the order training numbers them (ascending key, in code units): entry j
 * of the result is the position of the row that gets index j. Keys must be unique, or the order
 * would fall back on arrival.
 */
export function canonicalIndexOrder(keys: readonly string[]): number[] {
  const order = Array.from(keys, (_, i) => i).sort((a, b) => compareCodeUnits(keys[a], keys[b]));
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
  return a.user - b.user || timeOf(a.occurredAt) - timeOf(b.occurredAt) || a.item - b.item || KIND_RANK[a.type] - KIND_RANK[b.type] || compareValues(a.value, b.value);
}

function compareValues(a: number | null | undefined, b: number | null | undefined): number {
  const x = valueRank(a);
  const y = valueRank(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The interactions in content order: the list itself when it already is, else a sorted copy.
 * Bucketed by user (counting sort), then each user's events sorted on typed-array keys: about
 * 2.5× faster than one comparator sort of the objects (1M rows of 20k users, on a loaded machine:
 * 2.5–3.5 s against 7.1–7.3 s; checking a list already in order, 0.3 s).
 */
export function canonicalInteractions<T extends InteractionInput>(interactions: readonly T[]): readonly T[] {
  const n = interactions.length;
  let i = 1;
  while (i < n && compareInteractions(interactions[i - 1], interactions[i]) <= 0) i++;
  if (i >= n) return interactions;
  let maxUser = -1;
  let denseUsers = true;
  for (const it of interactions) {
    if (Number.isInteger(it.user) && it.user >= 0) maxUser = Math.max(maxUser, it.user);
    else denseUsers = false;
  }
  // Rows whose user is no index (training ignores them) or sparse indices: the plain sort.
  if (!denseUsers || maxUser > 4 * n + 1024) return [...interactions].sort(compareInteractions);
  const start = new Int32Array(maxUser + 2);
  for (const it of interactions) start[it.user + 1]++;
  for (let u = 0; u <= maxUser; u++) start[u + 1] += start[u];
  const fill = start.slice(0, maxUser + 1);
  const order = new Int32Array(n);
  for (let p = 0; p < n; p++) order[fill[interactions[p].user]++] = p;
  const time = Float64Array.from(interactions, (it) => timeOf(it.occurredAt));
  const value = Float64Array.from(interactions, (it) => valueRank(it.value));
  const item = Float64Array.from(interactions, (it) => it.item);
  const kind = Uint8Array.from(interactions, (it) => KIND_RANK[it.type]);
  const byContent = (a: number, b: number): number => time[a] - time[b] || item[a] - item[b] || kind[a] - kind[b] || (value[a] < value[b] ? -1 : value[a] > value[b] ? 1 : 0);
  for (let u = 0; u <= maxUser; u++) if (start[u + 1] - start[u] > 1) order.subarray(start[u], start[u + 1]).sort(byContent);
  return Array.from(order, (p) => interactions[p]);
}
