import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/app/services.ts';
import { isOnRatingScale } from '../../src/ml/recommender/ratings.ts';
import { seedDataset } from '../../src/seed/demo.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// The demo seed rates in whole stars 1 to 5; it must fit whatever scale the service is configured for.
const SIZE = { users: 40, products: 30, interactions: 1_500, feedback: 20, campaigns: 2 };

describe('demo seed ratings', () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startTestServer({ RATING_MIN: '0', RATING_MAX: '1', RATING_STEP: '0.1' });
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('places whole stars at the same position on another scale (1 → min, 5 → max), every row accepted', async () => {
    const report = await seedDataset(createServices(api.database.prisma, api.config), SIZE);
    expect(report.interactions).toBe(SIZE.interactions);
    const ratings = await api.database.prisma.interaction.findMany({ where: { type: 'RATING' }, select: { value: true } });
    expect(ratings.length).toBeGreaterThan(10);
    const values = new Set(ratings.map((r) => r.value!));
    for (const value of values) expect(isOnRatingScale(api.config.ratingScale, value), String(value)).toBe(true);
    // Stars 1..5 become 0, 0.3 (0.25 snapped to the step), 0.5, 0.8 (0.75 snapped) and 1.
    expect([...values].every((value) => [0, 0.3, 0.5, 0.8, 1].includes(value))).toBe(true);
    expect(values.has(0) && values.has(1)).toBe(true);
  });
});
