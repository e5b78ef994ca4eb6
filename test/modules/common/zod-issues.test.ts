import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeFirstIssue, MAX_NAMED_KEYS } from '../../../src/modules/common/zod-issues.ts';

describe('describeIssue', () => {
  const strict = z.strictObject({ epochs: z.number().optional() });

  it('names every unknown key of a typo', () => {
    const parsed = strict.safeParse({ epoch: 1, seeds: 2 });
    expect(describeFirstIssue(parsed.error!, 'hyperparameters').message).toBe('hyperparameters.epoch: unknown key (also unknown: seeds)');
  });

  it(`names at most ${MAX_NAMED_KEYS} more unknown keys, then counts the rest`, () => {
    // Found by the schema fuzz run: 300,000 unknown keys made a 2.6 MB message (and response).
    const parsed = strict.safeParse(Object.fromEntries(Array.from({ length: 300_000 }, (_, i) => [`k${i}`, i])));
    const { message, field } = describeFirstIssue(parsed.error!, 'hyperparameters');
    expect(field).toBe('hyperparameters.k0');
    expect(message).toBe(
      `hyperparameters.k0: unknown key (also unknown: ${Array.from({ length: MAX_NAMED_KEYS }, (_, i) => `k${i + 1}`).join(', ')} and ${300_000 - 1 - MAX_NAMED_KEYS} more)`,
    );
  });
});
