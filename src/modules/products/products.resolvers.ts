import { limitedKey } from '../common/loaders.ts';
import { listPageSize } from '../../graphql/pagination.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import { toGlobalId } from '../../graphql/global-id.ts';
import { refArgs } from '../common/references.ts';

export const productsResolvers: Resolvers = {
  Query: {
    products: (_parent, args, { services }) => services.products.list(args),
    product: (_parent, args, { services }) => services.products.find(refArgs('Product', args)),
  },
  Mutation: {
    upsertProducts: (_parent, { input }, { services }) => services.products.upsertProducts(input),
  },
  Product: {
    id: (product) => toGlobalId('Product', product.id),
    price: (product) => (product.price === null ? null : product.price.toNumber()),
    attributes: (product) => product.attributes as Record<string, unknown>,
    campaigns: (product, { first }, { services, loaders }, info) =>
      loaders.campaignsByProductId.load(limitedKey(product.id, listPageSize(first, services.limits.maxPageSize, info))),
  },
};
