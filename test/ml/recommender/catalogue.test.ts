import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { audienceReason, contentNeighbours, RecommenderModel, type AudienceReason, type ItemCatalogue } from '../../../src/ml/recommender/index.ts';

describe('contentNeighbours (products the model has never seen)', () => {
  const catalogue: ItemCatalogue = {
    active: Uint8Array.from([1, 1, 1, 0, 1]),
    price: Float64Array.from([10, 40, 10, 10, Number.NaN]),
    category: ['shoes', 'shoes', 'bags', 'shoes', null],
    tags: [['red', 'run'], ['run'], ['red'], ['red', 'run'], []],
  };

  it('averages category match, tag Jaccard and price closeness over the parts the product has', () => {
    const got = contentNeighbours(catalogue, { category: 'shoes', tags: ['red', 'run'], price: 10 }, 10);
    // Item 0: 1 + 1 + 1; item 1: 1 + 1/2 + 0 (4× the price); item 2: 0 + 1/2 + 1; item 3 inactive; item 4 nothing in common.
    expect(got).toEqual([
      { item: 0, score: 1 },
      { item: 1, score: 0.5 },
      { item: 2, score: 0.5 },
    ]);
    expect(contentNeighbours(catalogue, { category: 'shoes', tags: ['red', 'run'], price: 10 }, 1)).toEqual([{ item: 0, score: 1 }]);
  });

  it('is empty for a product with no category, tags or price', () => {
    expect(contentNeighbours(catalogue, { category: null, tags: [], price: null }, 5)).toEqual([]);
  });
});

describe('audienceReason', () => {
  const fixture = new URL('./fixtures/', import.meta.url);
  const model = RecommenderModel.deserialize(new Uint8Array(readFileSync(new URL('model-v2.recm', fixture))));
  const expected = (JSON.parse(readFileSync(new URL('model-v2.expected.json', fixture), 'utf8')) as { audienceReasons: string[] }).audienceReasons;
  // The service's wording, with product i named P<i> (as when the fixture's reasons were recorded).
  const words = (r: AudienceReason) =>
    r.kind === 'SIMILAR_CUSTOMERS'
      ? 'Predicted from the behaviour of similar customers'
      : r.kind === 'ENGAGED_WITH_TARGET'
        ? `Already engaged with campaign product P${r.item}`
        : `Engaged with P${r.item}, similar to campaign product P${r.target}`;

  it('gives the reasons a stored model gave when the service computed them', () => {
    expect([0, 1, 2, 3, 10, 25].map((u) => words(audienceReason(model, u, [1, 4, 9])))).toEqual(expected);
  });

  it('names a target the user engaged with, else the closest pair of history item and target', () => {
    const history = model.historyOf(2);
    const engaged = history.items[history.weights.findIndex((w) => w > 0)];
    expect(audienceReason(model, 2, [engaged])).toEqual({ kind: 'ENGAGED_WITH_TARGET', item: engaged });
    const other = audienceReason(model, 2, [1]);
    expect(other.kind).toBe('SIMILAR_TO_TARGET');
    if (other.kind === 'SIMILAR_TO_TARGET') expect([...history.items]).toContain(other.item);
  });
});
