import type { Resolvers } from '../../generated/graphql.ts';
import { toGlobalId } from '../../graphql/global-id.ts';
import { refArgs } from '../common/references.ts';
import { listPageSize } from '../../graphql/pagination.ts';
import { productCountKey, userInteractionsKey } from './interactions.loaders.ts';

export const interactionsResolvers: Resolvers = {
  Query: {
    interactions: (_parent, args, { services }) => services.interactions.listInteractions(args),
    interaction: (_parent, args, { services }) => services.interactions.findInteraction(refArgs('Interaction', args)),
  },
  Mutation: {
    recordInteractions: (_parent, { input }, { services }) => services.interactions.recordInteractions(input),
  },
  Interaction: {
    id: (row) => toGlobalId('Interaction', row.id),
    recordedAt: (row) => row.createdAt,
    user: async (row, _args, { loaders }) => (await loaders.userById.load(row.userId))!,
    product: async (row, _args, { loaders }) => (await loaders.productById.load(row.productId))!,
    campaign: (row, _args, { loaders }) => (row.campaignId ? loaders.campaignById.load(row.campaignId) : null),
  },
  User: {
    interactions: (user, { first, types }, { services, loaders }, info) =>
      loaders.interactionsByUser.load(userInteractionsKey(user.id, listPageSize(first, services.limits.maxPageSize, info), types)),
  },
  Product: {
    interactionCount: (product, { types }, { loaders }) => loaders.interactionCountByProduct.load(productCountKey(product.id, types)),
  },
};
