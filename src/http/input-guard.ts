import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, getNamedType, isNonNullType, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import { batchTooLargeError, ErrorCode } from '../graphql/errors.ts';
import { findInvalidText, formatJsonPath, hasInvalidText, INVALID_TEXT_MESSAGE } from '../modules/common/json-input.ts';

/** The result type of the bulk mutations, whose `input` rows are checked one by one (row errors). */
const BULK_RESULT = 'BulkWriteResult';

/**
 * Whether an argument is the `input` list of a bulk mutation: its rows get the text rule of
 * every bulk row (`invalidTextError` in modules/common/bulk.ts), so one bad row is refused
 * with its index and the batch's good rows are still written.
 */
function isBulkRows(typeInfo: TypeInfo, schema: GraphQLSchema, name: string): boolean {
  const field = typeInfo.getFieldDef();
  const parent = typeInfo.getParentType();
  if (name !== 'input' || !field || !parent || parent !== schema.getMutationType()) return false;
  const type = isNonNullType(field.type) ? field.type.ofType : field.type;
  return getNamedType(type).name === BULK_RESULT;
}

/**
 * What the guard needs from a document, found in one walk: the bulk-rows arguments (a variable's
 * name or an inline list's length), the variables used outside them, whether a string literal
 * outside them holds invalid text. It depends on the document alone: kept per parsed document
 * (Apollo reuses the object for a repeated query), so a request walks only its variables.
 */
interface DocumentShape {
  bulk: ({ variable: string } | { inline: number })[];
  used: string[];
  invalidLiteral: boolean;
}

const shapes = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, DocumentShape>>();

function shapeOf(schema: GraphQLSchema, document: DocumentNode): DocumentShape {
  let bySchema = shapes.get(schema);
  if (!bySchema) shapes.set(schema, (bySchema = new WeakMap()));
  const known = bySchema.get(document);
  if (known) return known;
  const typeInfo = new TypeInfo(schema);
  const shape: DocumentShape = { bulk: [], used: [], invalidLiteral: false };
  const used = new Set<string>();
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        if (!isBulkRows(typeInfo, schema, node.name.value)) return undefined;
        const value = node.value;
        if (value.kind === 'Variable') shape.bulk.push({ variable: value.name.value });
        else shape.bulk.push({ inline: value.kind === 'ListValue' ? value.values.length : 0 });
        return false; // bulk rows are validated row by row by the services
      },
      Variable(node) {
        used.add(node.name.value);
      },
      VariableDefinition: {
        enter() {
          return false;
        },
      },
      StringValue(node) {
        if (hasInvalidText(node.value)) shape.invalidLiteral = true;
      },
    }),
  );
  shape.used = [...used];
  bySchema.set(document, shape);
  return shape;
}

/**
 * Where invalid text sits in the operation outside bulk rows: a string literal, or a variable
 * used anywhere but inside a bulk mutation's `input` argument (a variable used in both places is
 * checked). The walks are iterative, so any depth is searched.
 */
function findInvalid(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>): string | null {
  const shape = shapeOf(schema, document);
  if (shape.invalidLiteral) return 'a string literal';
  for (const name of shape.used) {
    const path = findInvalidText(variables[name]);
    if (path) return `$${formatJsonPath([name, ...path])}`;
  }
  return null;
}

/** The longest bulk-rows list of the request above `max` (null: none). */
function oversizedBatch(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, max: number): number | null {
  let largest: number | null = null;
  for (const argument of shapeOf(schema, document).bulk) {
    const value = 'variable' in argument ? variables[argument.variable] : undefined;
    const size = 'inline' in argument ? argument.inline : Array.isArray(value) ? value.length : 0;
    if (size > max && size > (largest ?? 0)) largest = size;
  }
  return largest;
}

/** The longest list other than bulk rows the API takes (classify texts: 1,000; a campaign's products: 1,000). */
const MAX_LIST_ITEMS = 10_000;

/**
 * The longest list anywhere in the variables (iteratively: any depth). No list of the API holds
 * more than max(MAX_BATCH_SIZE, MAX_LIST_ITEMS) items, and graphql-js coerces
 * every item of a list before the service can refuse it: 10^5 ids nested in a row held the
 * event loop ~0.6 s (docs/benchmarks.md, schema fuzz).
 */
function longestList(variables: Record<string, unknown>, max: number): number | null {
  const stack: unknown[] = [variables];
  const seen = new Set<object>();
  while (stack.length) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      if (value.length > max) return value.length;
      for (const item of value) if (item !== null && typeof item === 'object') stack.push(item);
    } else {
      for (const item of Object.values(value)) if (item !== null && typeof item === 'object') stack.push(item);
    }
  }
  return null;
}

/** The context's batch limit (services.limits.maxBatchSize), when the context carries one. */
function maxBatchSizeOf(contextValue: unknown): number | null {
  const max = (contextValue as { services?: { limits?: { maxBatchSize?: unknown } } } | undefined)?.services?.limits?.maxBatchSize;
  return typeof max === 'number' ? max : null;
}

export function inputGuardPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, contextValue }) {
          const max = maxBatchSizeOf(contextValue);
          const size = max === null ? null : oversizedBatch(schema, document, request.variables ?? {}, max);
          if (size !== null) {
            const refused = batchTooLargeError(size, max!);
            throw new GraphQLError(refused.message, { extensions: { ...refused.extensions, http: { status: 400 } } });
          }
          const list = longestList(request.variables ?? {}, Math.max(max ?? 0, MAX_LIST_ITEMS));
          if (list !== null) {
            const most = Math.max(max ?? 0, MAX_LIST_ITEMS);
            throw new GraphQLError(`A list in the variables holds ${list} items; no list of this API takes more than ${most}.`, {
              extensions: { code: ErrorCode.BAD_USER_INPUT, maxItems: most, items: list, http: { status: 400 } },
            });
          }
          const where = findInvalid(schema, document, request.variables ?? {});
          if (where) {
            throw new GraphQLError(`Text ${INVALID_TEXT_MESSAGE} (found in ${where}).`, {
              extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
