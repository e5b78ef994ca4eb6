import type { Resolvers } from '../../generated/graphql.ts';
import { userInputError } from '../../graphql/errors.ts';
import { localIdOf, toGlobalId } from '../../graphql/global-id.ts';
import { assertSingleRef } from './users.service.ts';

export const usersResolvers: Resolvers = {
  Query: {
    users: (_parent, args, { services, viewer }) => services.users.listUsers(args, { personalSearch: viewer.role === 'ADMIN' }),
    user: (_parent, args, { services }) => {
      assertSingleRef({ id: args.id, externalId: args.externalId, email: args.email }, 'user');
      return services.users.findUser({
        id: args.id ? localIdOf('User', args.id) : null,
        externalId: args.externalId,
        email: args.email,
      });
    },
  },
  Mutation: {
    upsertUsers: (_parent, { input }, { services, viewer }) => services.users.upsertUsers(input, { source: viewer.keyName ?? 'api' }),
    eraseUser: (_parent, args, { services }) => {
      assertSingleRef(args, 'user');
      return services.users.eraseUser({ id: args.id ? localIdOf('User', args.id) : null, externalId: args.externalId });
    },
  },
  User: {
    id: (user) => toGlobalId('User', user.id),
    // Decrypted here; the @personal directive masks the value for roles other than ADMIN.
    email: (user, _args, { services }) => services.users.emailOf(user),
    name: (user, _args, { services }) => services.users.nameOf(user),
    attributes: (user) => user.attributes as Record<string, unknown>,
    consentHistory: async (user, { first }, { loaders }) => {
      const limit = first ?? 20;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw userInputError('"first" must be between 1 and 100.', { argument: 'first' });
      return (await loaders.consentHistoryByUserId.load(user.id)).slice(0, limit);
    },
  },
};
