import type { Prisma } from '../../generated/prisma/client.ts';
import type { Db } from '../../db/prisma.ts';

/** Orders rows by the keys DataLoader asked for; missing keys map to null. */
export function byKey<K, T>(keys: readonly K[], rows: readonly T[], keyOf: (row: T) => K): (T | null)[] {
  const map = new Map<K, T>();
  for (const row of rows) map.set(keyOf(row), row);
  return keys.map((key) => map.get(key) ?? null);
}

/** Groups rows under the keys DataLoader asked for; keys without rows get an empty list. */
export function groupByKey<K, T>(keys: readonly K[], rows: readonly T[], keyOf: (row: T) => K): T[][] {
  const map = new Map<K, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = map.get(key);
    if (list) list.push(row);
    else map.set(key, [row]);
  }
  return keys.map((key) => map.get(key) ?? []);
}

/** DataLoader key for "the first N children of a parent", so different limits batch separately. */
export function limitedKey(parentId: string, limit: number, extra = ''): string {
  return `${parentId}|${limit}|${extra}`;
}

/**
 * Batches "the first N children of each parent" keys (limitedKey) into one load per distinct N
 * (normally one per request); `load` returns each parent's children, in the parents' order.
 */
export async function perLimit<T>(keys: readonly string[], load: (parentIds: string[], limit: number) => Promise<T[][]>): Promise<T[][]> {
  const byLimit = new Map<number, string[]>();
  for (const key of keys) {
    const [parentId, limit] = key.split('|');
    const list = byLimit.get(Number(limit));
    if (list) list.push(parentId!);
    else byLimit.set(Number(limit), [parentId!]);
  }
  const results = new Map<string, T[]>();
  for (const [limit, parentIds] of byLimit) {
    const unique = [...new Set(parentIds)];
    const lists = limit === 0 ? unique.map(() => []) : await load(unique, limit);
    unique.forEach((parentId, i) => results.set(limitedKey(parentId, limit), lists[i] ?? []));
  }
  return keys.map((key) => results.get(key) ?? []);
}

/**
 * The first `limit` rows of each parent in one ROW_NUMBER() statement, grouped in the parents'
 * order: `SELECT columns FROM source WHERE parent = ANY(ids) ... ORDER BY order` per parent.
 * The SQL fragments are the caller's constants (never client text).
 */
export async function firstRowsPerParent<R>(
  db: Db,
  query: { columns: Prisma.Sql; from: Prisma.Sql; parent: Prisma.Sql; order: Prisma.Sql },
  parentIds: string[],
  limit: number,
): Promise<R[][]> {
  const rows = await db.$queryRaw<(R & { parentId: string; rn: bigint })[]>`
    SELECT * FROM (
      SELECT ${query.parent} AS "parentId", ${query.columns},
        ROW_NUMBER() OVER (PARTITION BY ${query.parent} ORDER BY ${query.order}) AS rn
      FROM ${query.from}
      WHERE ${query.parent} = ANY(${parentIds}::uuid[])
    ) ranked
    WHERE rn <= ${limit}
    ORDER BY "parentId", rn`;
  return groupByKey(parentIds, rows, (row) => row.parentId).map((list) => list.map(({ parentId: _parentId, rn: _rn, ...row }) => row as R));
}
