/** Adapter: synthetic behaviour → recommender training input (index-based, with string ids). */
import type { RecommenderTrainingData } from '../recommender/types.js';
import type { SyntheticInteraction, SyntheticProduct, SyntheticUser } from './behaviour.js';

export function syntheticToTrainingData(d: {
  users: readonly SyntheticUser[];
  products: readonly SyntheticProduct[];
  interactions: readonly SyntheticInteraction[];
}): RecommenderTrainingData {
  return {
    userCount: d.users.length,
    itemCount: d.products.length,
    interactions: d.interactions.map((i) => ({ user: i.user, item: i.product, type: i.type, value: i.value, occurredAt: i.occurredAt })),
    items: d.products.map((p) => ({ category: p.category, tags: p.tags, price: p.price, attributes: p.attributes })),
    ids: { users: d.users.map((u) => `user-${u.index}`), items: d.products.map((p) => `product-${p.index}`) },
  };
}
