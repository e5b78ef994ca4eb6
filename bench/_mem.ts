import { writeFileSync } from 'node:fs';
import { generateSyntheticBehaviour, MOVIELENS_LIKE } from '../src/ml/synthetic/behaviour.js';
import { syntheticToTrainingData } from '../src/ml/synthetic/training-data.js';
import { trainRecommender } from '../src/ml/recommender/index.js';
const r = await trainRecommender(syntheticToTrainingData(generateSyntheticBehaviour(MOVIELENS_LIKE)), { evaluate: false, tuneAls: false, blend: { collaborative: 1, knn: 0.5, content: 0.2, popularity: 0.5 } });
writeFileSync('/tmp/m.recm', r.model.serialize()); console.log('arrays', r.model.arrayBytes, 'secs', r.trainingSeconds.toFixed(1));
