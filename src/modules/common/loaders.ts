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
