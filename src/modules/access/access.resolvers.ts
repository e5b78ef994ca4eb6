import { listPageSize } from '../../graphql/pagination.ts';
import type { Resolvers } from '../../generated/graphql.ts';

export const accessResolvers: Resolvers = {
  Query: {
    apiKeys: (_parent, { first }, { services }, info) => services.apiKeys.listApiKeys(listPageSize(first, services.limits.maxPageSize, info)),
    auditLog: (_parent, args, { services }) => services.audit.list(args),
  },
  Mutation: {
    createApiKey: (_parent, { name, role }, { services }) => services.apiKeys.createApiKey(name, role),
    revokeApiKey: (_parent, { id }, { services }) => services.apiKeys.revokeApiKey(id),
  },
  AuditEntry: {
    id: (entry) => String(entry.id),
    counts: (entry) => entry.counts as Record<string, unknown>,
  },
};
