import type { GraphQLContext } from './context.ts';
import type { NodeType } from '../graphql/global-id.ts';

type NodeFetcher = (context: GraphQLContext, localId: string) => Promise<object | null>;

/** How `node(id:)` loads each Node type; every module registers its types here. */
export const nodeFetchers: Partial<Record<NodeType, NodeFetcher>> = {
  User: (context, id) => context.loaders.userById.load(id),
  ModelVersion: (context, id) => context.loaders.modelVersionById.load(id),
  TrainingJob: (context, id) => context.loaders.trainingJobById.load(id),
  Interaction: (context, id) => context.loaders.interactionById.load(id),
  Feedback: (context, id) => context.loaders.feedbackById.load(id),
  Product: (context, id) => context.loaders.productById.load(id),
  Campaign: (context, id) => context.loaders.campaignById.load(id),
};

const NODE_TYPE = Symbol('nodeType');

/** Marks a row with its GraphQL type so Node.__resolveType can answer without guessing. */
export function tagNode<T extends object>(type: NodeType, row: T | null): T | null {
  if (row) Object.defineProperty(row, NODE_TYPE, { value: type, enumerable: false });
  return row;
}

export function nodeTypeOf(row: object): NodeType | null {
  return (row as { [NODE_TYPE]?: NodeType })[NODE_TYPE] ?? null;
}
