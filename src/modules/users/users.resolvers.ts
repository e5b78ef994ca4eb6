import type { Resolvers } from '../../generated/graphql.ts';
import { localIdOf, toGlobalId } from '../../graphql/global-id.ts';
import { assertSingleRef } from './users.service.ts';

export const usersResolvers: Resolvers = {
  Query: {
    users: (_parent, args, { services }) => services.users.listUsers(args),
    user: (_parent, args, { services }) => {
      assertSingleRef(args, 'user');
      return services.users.findUser({
        id: args.id ? localIdOf('User', args.id) : null,
        externalId: args.externalId,
      });
    },
  },
  Mutation: {
    upsertUsers: (_parent, { input }, { services }) => services.users.upsertUsers(input),
  },
  User: {
    id: (user) => toGlobalId('User', user.id),
    attributes: (user) => user.attributes as Record<string, unknown>,
  },
};
