import {
  Kind,
  parse,
  visit,
  type ConstDirectiveNode,
  type DirectiveNode,
  type ObjectTypeDefinitionNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type InputValueDefinitionNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE } from './pagination.ts';
import { LIST_SIZE_DIRECTIVE } from './cost.ts';

/** The SDL directive that marks a Relay connection field in the module SDL. */
export const CONNECTION_DIRECTIVE = 'connection';

/**
 * Expands `@connection(items: "campaigns")` on a field into the Relay arguments `first` and
 * `after`, so every connection takes and documents them the same way (the page-size rule is
 * pagination.ts's), and declares its size to the cost model (`@listSize` on `first`, applied to
 * `edges`). The directive itself is removed: clients see ordinary arguments.
 */
export function expandConnections(document: DocumentNode): DocumentNode {
  return visit(document, {
    DirectiveDefinition(node) {
      return node.name.value === CONNECTION_DIRECTIVE ? null : undefined;
    },
    FieldDefinition(node): FieldDefinitionNode | undefined {
      const directive = node.directives?.find((d) => d.name.value === CONNECTION_DIRECTIVE);
      if (!directive) return undefined;
      const taken = new Set(node.arguments?.map((argument) => argument.name.value));
      if (taken.has('first') || taken.has('after')) throw new Error(`${node.name.value}: @connection adds "first" and "after"; do not declare them`);
      const items = stringArgument(directive, 'items') ?? node.name.value;
      return {
        ...node,
        arguments: [
          argument('first', 'Int', `How many ${items} per page: 0 to the service's maxPageSize; default ${DEFAULT_PAGE_SIZE} (maxPageSize when smaller).`),
          argument('after', 'String', `Continue after this cursor: the endCursor (or an edge cursor) of an earlier \`${node.name.value}\` page.`),
          ...(node.arguments ?? []),
        ],
        // The cost model (cost.ts) multiplies what is selected per edge by `first`.
        directives: [...(node.directives?.filter((d) => d !== directive) ?? []), connectionListSize()],
      };
    },
  });
}

/** `@listSize(slicingArguments: ["first"], sizedFields: ["edges"])`, as the SDL would spell it. */
function connectionListSize(): ConstDirectiveNode {
  const sdl = parse(`type T { f: Int @${LIST_SIZE_DIRECTIVE}(slicingArguments: ["first"], sizedFields: ["edges"]) }`, { noLocation: true });
  const type = sdl.definitions[0] as ObjectTypeDefinitionNode;
  return type.fields![0]!.directives![0]!;
}

function stringArgument(directive: DirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

function argument(name: string, type: string, description: string): InputValueDefinitionNode {
  return {
    kind: Kind.INPUT_VALUE_DEFINITION,
    name: { kind: Kind.NAME, value: name },
    description: { kind: Kind.STRING, value: description },
    type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: type } },
  };
}
