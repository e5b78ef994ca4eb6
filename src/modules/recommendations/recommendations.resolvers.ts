import { inSlicesForCompletion } from '../common/cooperative.ts';
import type { Resolvers } from '../../generated/graphql.ts';

/** Thin resolvers: rules, validation and model access live in RecommendationService. */
export const recommendationsResolvers: Resolvers = {
  Query: {
    recommendations: (_parent, args, { services, loaders }) => services.recommendations.recommendations(args, loaders),
    similarProducts: (_parent, args, { services, loaders }) => services.recommendations.similarProducts(args, loaders),
    // Up to 10,000 members: completed 500 per turn of the event loop.
    campaignAudience: async (_parent, args, { services, loaders }) => inSlicesForCompletion(await services.recommendations.campaignAudience(args, loaders), 500),
  },
};
