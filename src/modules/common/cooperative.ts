/**
 * Heavy work in a request (batch classification, audience scoring) runs in slices with a turn of
 * the event loop between them, so other requests and health checks are answered meanwhile; a
 * slice is sized to take well under SLICE_BUDGET_MS on these machines.
 */
export const SLICE_BUDGET_MS = 50;

/** Lets the event loop run pending I/O and timers before the next slice. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Splits `items` into consecutive slices of at most `maxItems` items and `maxWeight` total
 * weight (a single heavier item forms its own slice).
 */
export function slices<T>(items: readonly T[], weight: (item: T) => number, maxWeight: number, maxItems: number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let total = 0;
  for (const item of items) {
    const w = weight(item);
    if (current.length && (current.length >= maxItems || total + w > maxWeight)) {
      out.push(current);
      current = [];
      total = 0;
    }
    current.push(item);
    total += w;
  }
  if (current.length) out.push(current);
  return out;
}
