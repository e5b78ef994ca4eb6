import type { Resolvers } from '../../generated/graphql.ts';

/** Thin resolvers: rules, validation and model access live in RecommendationService. */
export const recommendationsResolvers: Resolvers = {
  Query: {
    recommendations: (_parent, args, { services, loaders }) => services.recommendations.recommendations(args, loaders),
    similarProducts: (_parent, args, { services, loaders }) => services.recommendations.similarProducts(args, loaders),
    campaignAudience: (_parent, args, { services, loaders }) => services.recommendations.campaignAudience(args, loaders),
  },
};
