/** The hybrid model's components, each usable and testable alone, and the blender. */
export { CollaborativeScorer, type CollaborativeFactors } from './collaborative.js';
export { ContentScorer, type ContentRows } from './content.js';
export { KnnScorer, EaseScorer } from './neighbours.js';
export { PopularityScorer } from './popularity.js';
export { blendScores, standardise, standardStats, type ScoreComponents } from './blend.js';
export type { UserHistory } from './history.js';
