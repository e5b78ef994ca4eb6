import { mergeResolvers } from '@graphql-tools/merge';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type { Resolvers } from '../generated/graphql.ts';
import { baseResolvers } from './base.resolvers.ts';
import { modelsResolvers } from '../modules/models/models.resolvers.ts';
import { usersResolvers } from '../modules/users/users.resolvers.ts';
import { interactionsResolvers } from '../modules/interactions/interactions.resolvers.ts';
import { feedbackResolvers } from '../modules/feedback/feedback.resolvers.ts';
import { productsResolvers } from '../modules/products/products.resolvers.ts';
import { campaignsResolvers } from '../modules/campaigns/campaigns.resolvers.ts';
import { recommendationsResolvers } from '../modules/recommendations/recommendations.resolvers.ts';
import { accessResolvers } from '../modules/access/access.resolvers.ts';
import { analyticsResolvers } from '../modules/analytics/analytics.resolvers.ts';
import { applyAccessControl } from '../modules/access/access-control.ts';
import { mergedTypeDefs } from './sdl.ts';

export const moduleResolvers: Resolvers[] = [
  baseResolvers,
  modelsResolvers,
  usersResolvers,
  interactionsResolvers,
  feedbackResolvers,
  productsResolvers,
  campaignsResolvers,
  recommendationsResolvers,
  accessResolvers,
  analyticsResolvers,
];

export function buildSchema(): GraphQLSchema {
  // @allow / @personal are enforced by wrapping resolvers (src/modules/access/access-control.ts).
  return applyAccessControl(
    makeExecutableSchema({
      typeDefs: mergedTypeDefs(),
      resolvers: mergeResolvers(moduleResolvers as never[]),
      resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
    }),
  );
}
