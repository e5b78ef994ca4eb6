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
 * Where invalid text sits in the operation outside bulk rows: a string literal, or a variable
 * used anywhere but inside a bulk mutation's `input` argument (a variable used in both places is
 * checked). The walks are iterative, so any depth is searched.
 */
function findInvalid(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>): string | null {
  const typeInfo = new TypeInfo(schema);
  const used = new Set<string>();
  let literal = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        if (isBulkRows(typeInfo, schema, node.name.value)) return false;
        return undefined;
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
        if (hasInvalidText(node.value)) literal = true;
      },
    }),
  );
  if (literal) return 'a string literal';
  for (const name of used) {
    const path = findInvalidText(variables[name]);
    if (path) return `$${formatJsonPath([name, ...path])}`;
  }
  return null;
}

/**
 * The longest `input` list of a bulk mutation in the operation (a variable or a literal list),
 * when it is longer than `max`. Checked before graphql-js coerces the variables: coercing 10^5
 * rows holds the event loop for seconds, only for the service to refuse the batch afterwards.
 */
function oversizedBatch(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, max: number): number | null {
  const typeInfo = new TypeInfo(schema);
  let largest: number | null = null;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        if (!isBulkRows(typeInfo, schema, node.name.value)) return undefined;
        const value = node.value;
        const size = value.kind === 'Variable' ? (Array.isArray(variables[value.name.value]) ? (variables[value.name.value] as unknown[]).length : 0) : value.kind === 'ListValue' ? value.values.length : 0;
        if (size > max && size > (largest ?? 0)) largest = size;
        return false;
      },
    }),
  );
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
