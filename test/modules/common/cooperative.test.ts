import { describe, expect, it } from 'vitest';
import { inSlicesForCompletion, slices } from '../../../src/modules/common/cooperative.ts';

describe('cooperative slicing', () => {
  it('splits by weight and count, a heavy item alone', () => {
    expect(slices(['aa', 'bbbb', 'c', 'dddddddd', 'e'], (s) => s.length, 5, 2)).toEqual([['aa'], ['bbbb', 'c'], ['dddddddd'], ['e']]);
  });

  it('hands a long list over slice by slice, one turn of the event loop per slice, in order', async () => {
    const items = Array.from({ length: 2_050 }, (_, i) => i);
    const handed = inSlicesForCompletion(items, 500);
    expect(handed.slice(0, 500)).toEqual(items.slice(0, 500));
    expect(handed[500]).toBeInstanceOf(Promise);
    // An event-loop callback queued now runs before the last slice settles (plain resolved
    // promises would all settle first, in microtasks).
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const settled: number[] = [];
    for (const [i, item] of handed.entries()) void Promise.resolve(item).then(() => settled.push(i));
    await handed.at(-1);
    expect(turned).toBe(true);
    expect(await Promise.all(handed)).toEqual(items);
    expect(settled).toEqual(items);
    expect(inSlicesForCompletion([1, 2], 500)).toEqual([1, 2]);
  });
});
