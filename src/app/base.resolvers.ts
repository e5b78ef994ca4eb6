import { GraphQLScalarType } from 'graphql';
import { DateTimeResolver, JSONObjectResolver, LocalDateResolver } from 'graphql-scalars';
import type { Resolvers } from '../generated/graphql.ts';
import { userInputError } from '../graphql/errors.ts';
import { parseGlobalId } from '../graphql/global-id.ts';
import { nodeFetchers, nodeTypeOf, tagNode } from './node.ts';
import { MAX_NODE_IDS } from '../graphql/pagination.ts';
import type { GraphQLContext } from './context.ts';
import { API_VERSION } from '../version.ts';

async function fetchNode(context: GraphQLContext, id: string): Promise<object | null> {
  const parsed = parseGlobalId(id);
  if (!parsed) return null;
  const fetcher = nodeFetchers[parsed.type];
  return fetcher ? tagNode(parsed.type, await fetcher(context, parsed.localId)) : null;
}

// graphql-tools copies a scalar resolver's name onto the schema type, so LocalDateResolver as is
// would rename `Date` to `LocalDate`; keep its parsing under our name.
const DateScalar = new GraphQLScalarType({
  ...LocalDateResolver.toConfig(),
  name: 'Date',
  description: 'A calendar date without time (UTC), e.g. `2026-11-29`.',
});

export const baseResolvers: Resolvers = {
  DateTime: DateTimeResolver,
  Date: DateScalar,
  JSONObject: JSONObjectResolver,
  Node: {
    __resolveType: (node) => nodeTypeOf(node) as never,
  },
  Query: {
    node: (_parent, { id }, context) => fetchNode(context, id) as never,
    nodes: (_parent, { ids }, context) => {
      if (ids.length > MAX_NODE_IDS) throw userInputError(`nodes accepts at most ${MAX_NODE_IDS} IDs.`, { argument: 'ids', max: MAX_NODE_IDS });
      return Promise.all(ids.map((id) => fetchNode(context, id))) as never;
    },
    serviceInfo: (_parent, _args, { services }) => ({
      version: API_VERSION,
      maxBatchSize: services.limits.maxBatchSize,
      maxPageSize: services.limits.maxPageSize,
      maxQueryCost: services.limits.maxQueryCost,
      ratingScale: services.interactions.ratingScale,
    }),
  },
  Mutation: {
    ping: () => true,
  },
};
