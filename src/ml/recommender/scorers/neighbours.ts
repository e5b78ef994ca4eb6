/** Item→item scorers over stored neighbour lists: item-kNN (cosine) and EASE (pruned B rows). */
import { easeScores, type EaseLists } from '../ease.js';
import { knnScores, type NeighbourLists } from '../knn.js';
import type { UserHistory } from './history.js';

type Accumulate<L> = (lists: L, items: ArrayLike<number>, weights: ArrayLike<number>, out: Float32Array) => void;

/** Scores every item from the lists of the history's items, accumulated by `accumulate`. */
class ItemItemScorer<L> {
  constructor(
    readonly lists: L,
    readonly itemCount: number,
    private readonly accumulate: Accumulate<L>,
  ) {}

  scores(history: UserHistory, out: Float32Array = new Float32Array(this.itemCount)): Float32Array {
    out.fill(0);
    this.accumulate(this.lists, history.items, history.weights, out);
    return out;
  }
}

/** score(j) = Σ over positive history items i of sim(i, j). */
export class KnnScorer extends ItemItemScorer<NeighbourLists> {
  constructor(lists: NeighbourLists, itemCount: number) {
    super(lists, itemCount, knnScores);
  }
}

/** score(j) = Σ over history items i of x_i·B_ij; items outside the modelled set score 0. */
export class EaseScorer extends ItemItemScorer<EaseLists> {
  constructor(lists: EaseLists, itemCount: number) {
    super(lists, itemCount, easeScores);
  }
}
