import type { Resolvers } from '../../generated/graphql.ts';

export const accessResolvers: Resolvers = {
  Query: {
    apiKeys: (_parent, _args, { services }) => services.apiKeys.listApiKeys(),
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
