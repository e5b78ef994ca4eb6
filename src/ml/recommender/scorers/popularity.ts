/**
 * Popularity scorer: the prior every user shares (z-scored log of time-decayed popularity),
 * boosted towards a user's favourite categories when there is a history.
 */
import type { UserHistory } from './history.js';
import { standardise } from './blend.js';

export class PopularityScorer {
  /** z-scored log trending popularity (prior shared by all users). */
  readonly prior: Float32Array;

  constructor(
    trending: Float32Array,
    /** Category index per item (-1: missing). */
    readonly itemCategory: Int32Array,
  ) {
    const logTrend = new Float32Array(trending.length);
    for (let i = 0; i < logTrend.length; i++) logTrend[i] = Math.log1p(trending[i]);
    this.prior = standardise(logTrend);
  }

  /** Share of the user's positive signal per category index. */
  categoryShare(history: UserHistory): Map<number, number> {
    const share = new Map<number, number>();
    let total = 0;
    for (let h = 0; h < history.items.length; h++) {
      const w = history.weights[h];
      if (!(w > 0)) continue;
      const c = this.itemCategory[history.items[h]];
      share.set(c, (share.get(c) ?? 0) + w);
      total += w;
    }
    if (total > 0) for (const [c, s] of share) share.set(c, s / total);
    return share;
  }

  /** The prior, plus 2 × the user's share of each item's category (category-aware popularity). */
  scores(history: UserHistory): Float32Array {
    const out = Float32Array.from(this.prior);
    if (history.items.length > 0) {
      const share = this.categoryShare(history);
      for (let i = 0; i < out.length; i++) out[i] += 2 * (share.get(this.itemCategory[i]) ?? 0);
    }
    return out;
  }
}
