import { describe, expect, it } from 'vitest';
import { DEFAULT_RATING_SCALE } from '../../../src/ml/recommender/ratings.ts';
import { generateSyntheticBehaviour } from '../../../src/ml/synthetic/behaviour.ts';
import { syntheticToTrainingData } from '../../../src/ml/synthetic/training-data.ts';
import { evaluateOnHoldOut, recommenderHoldOut, RecommenderModel, resolveRecommenderHyperparameters, trainRecommender } from '../../../src/ml/recommender/index.ts';
import { resolveTextClassifierHyperparameters, textClassifierSplit } from '../../../src/ml/classifier/index.ts';
import { plantedCorpus } from '../../ml/classifier/planted.ts';
import { COMPUTE, packInteractions } from '../../../src/modules/models/trainers/training-compute.ts';

// The trainers' compute keeps the split of the run it trained (to score the active version on
// it for AUTO activation): it must be the core's own split, not a re-derived copy.

const data = syntheticToTrainingData(generateSyntheticBehaviour({ users: 120, products: 60, interactions: 3000, seed: 8 }));
const hyperparameters = { tuneAls: false, tuneEase: false, als: { factors: 8, iterations: 3 }, neighbours: 20, maxEvalUsers: 50, seed: 4 };

describe('training compute reuses the core split', () => {
  it('recommender: the hold-out it scores other versions on is the one the run was evaluated on', async () => {
    const session = await COMPUTE.RECOMMENDER(
      {
        userIds: [...data.ids!.users],
        productIds: [...data.ids!.items],
        items: data.items!.map((item) => ({ ...item! })),
        interactions: packInteractions(data.interactions),
        hyperparameters,
        ratingScale: DEFAULT_RATING_SCALE,
      },
      () => undefined,
    );
    const { metrics, chosen } = session.output;
    const hold = recommenderHoldOut(data, resolveRecommenderHyperparameters(hyperparameters), chosen.signals);
    expect(metrics).not.toBeNull();
    expect(hold.split.train.length).toBe(metrics!.trainInteractions);
    expect(hold.split.test.length).toBe(metrics!.testInteractions);
    expect(hold.users.length).toBe(metrics!.model.users);
    expect(hold.users.length).toBeLessThanOrEqual(50);

    // Another version (a fixed blend, fewer factors) scored on this run's hold-out by the core.
    const other = (
      await trainRecommender(data, { ...hyperparameters, als: { factors: 4, iterations: 2 }, blend: { collaborative: 1, knn: 0, content: 0, popularity: 0.5 }, evaluate: false })
    ).model;
    const artifact = other.serialize();
    const direct = evaluateOnHoldOut(RecommenderModel.deserialize(artifact), hold, data.ids!.items);
    expect(direct).not.toBeNull();
    expect(await session.evaluate(artifact)).toBe(direct!.ndcgAt10);
  }, 60_000);

  it('text classifier: trains and scores on textClassifierSplit of the resolved hyperparameters', async () => {
    const examples = plantedCorpus(40, 6);
    const session = await COMPUTE.TEXT_CLASSIFIER({ examples, hyperparameters: { epochs: 2, seed: 5 } }, () => undefined);
    const split = textClassifierSplit(examples, resolveTextClassifierHyperparameters({ seed: 5 }));
    expect(session.output.split).toEqual({ train: split.train.length, validation: split.validation.length, test: split.test.length });
    expect(session.output.hyperparameters).toEqual(resolveTextClassifierHyperparameters({ epochs: 2, seed: 5 }));
  });
});
