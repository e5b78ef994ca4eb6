import type { Resolvers } from '../../generated/graphql.ts';
import type { TrainingJob } from '../../generated/prisma/client.ts';
import { toGlobalId } from '../../graphql/global-id.ts';
import { listPageSize } from '../../graphql/pagination.ts';
import { assertOneOf, optionalLocalId, refArgs } from '../common/references.ts';

export const usersResolvers: Resolvers = {
  Query: {
    users: (_parent, args, { services, viewer }) => services.users.listUsers(args, { personalSearch: viewer.role === 'ADMIN' }),
    user: (_parent, args, { services }) => {
      assertOneOf([args.id, args.externalId, args.email], ['id', 'externalId', 'email']);
      return services.users.findUser({ id: optionalLocalId('User', args.id), externalId: args.externalId, email: args.email });
    },
  },
  Mutation: {
    upsertUsers: (_parent, { input }, { services, viewer }) => services.users.upsertUsers(input, { source: viewer.keyName ?? 'api' }),
    eraseUser: (_parent, args, { services }) => services.users.eraseUser(refArgs('User', args)),
  },
  ErasureResult: {
    modelVersionsPurged: (result) => result.models.versionsPurged,
    modelRetrainsQueued: (result) => result.models.retrainJobIds.length,
    // At most the size the SDL declares (one job per task; the cost model assumes as many).
    modelRetrainJobs: async (result, _args, { loaders }, info) =>
      (await loaders.trainingJobById.loadMany(result.models.retrainJobIds.slice(0, listPageSize(null, Number.MAX_SAFE_INTEGER, info)))).filter(
        (job): job is NonNullable<typeof job> & TrainingJob => job !== null && !(job instanceof Error),
      ),
  },
  User: {
    id: (user) => toGlobalId('User', user.id),
    // Decrypted here; the @personal directive masks the value for roles other than ADMIN.
    email: (user, _args, { services }) => services.users.emailOf(user),
    name: (user, _args, { services }) => services.users.nameOf(user),
    attributes: (user) => user.attributes as Record<string, unknown>,
    consentHistory: async (user, { first }, { services, loaders }, info) =>
      (await loaders.consentHistoryByUserId.load(user.id)).slice(0, listPageSize(first, services.limits.maxPageSize, info)),
  },
};
