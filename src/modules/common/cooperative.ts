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

/**
 * A long list a resolver returns, handed to graphql-js slice by slice: the first `size` items as
 * they are, every later item as a promise settled one turn of the event loop per slice later.
 * graphql-js completes a list's items (their fields, masking, serialisation) in one synchronous
 * pass; with this it completes one slice per turn (10,000 audience members had held the event
 * loop ~0.1 s in that pass).
 */
export function inSlicesForCompletion<T>(items: readonly T[], size: number): (T | Promise<T>)[] {
  if (items.length <= size) return [...items];
  const out: (T | Promise<T>)[] = items.slice(0, size);
  let turn: Promise<void> = Promise.resolve();
  for (let start = size; start < items.length; start += size) {
    turn = turn.then(yieldToEventLoop);
    const gate = turn;
    for (let i = start; i < Math.min(items.length, start + size); i++) {
      const item = items[i]!;
      out.push(gate.then(() => item));
    }
  }
  return out;
}
