import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type ArgumentNode,
  type DirectiveNode,
  type FieldDefinitionNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values.js';

/**
 * The request cost model: what an operation may cost is known before it runs, from the schema's
 * declarations and the request's arguments, so one request cannot ask for more work or a larger
 * answer than the limit allows (README "Request cost").
 *
 * - A field that returns an object costs 1 per object, a scalar or enum field 0.
 * - A list field returns at most its declared size (`@listSize`): the value of its slicing
 *   argument (`first`, `limit`; a list argument counts its elements; `first` at most
 *   maxPageSize, since larger pages are refused), else what its named
 *   `sizer` computes from the arguments (a module's rule, e.g. the buckets of a date range),
 *   else `assumedSize`, else the service's maxPageSize. Everything selected below it is multiplied by that size. A
 *   connection declares `sizedFields: ["edges"]`: the size applies to its edges.
 * - Compute-heavy fields add `@cost`: a fixed weight, plus `perItem` per element and
 *   `perKilobyte` per kilobyte of the argument named by `itemsOf` (rows of a bulk write, texts
 *   to classify).
 * - Bulk rows: the elements of `itemsOf` of every Mutation root field, summed over the request
 *   (aliases included).
 * Each occurrence of a field counts, also when graphql merges repeated selections: an
 * over-estimate, never an under-estimate. Introspection fields cost nothing here (their answer
 * is bounded by the schema; depth and token limits apply to them).
 */

export const COST_DIRECTIVE = 'cost';
/** The page-size argument of connections and nested lists: at most maxPageSize (pagination.ts). */
const PAGE_SIZE_ARGUMENT = 'first';
export const LIST_SIZE_DIRECTIVE = 'listSize';

/** Computes a list's size from its field's arguments (e.g. the buckets of a date range); undefined when it cannot. */
export type ListSizer = (args: Readonly<Record<string, unknown>>) => number | undefined;

export interface CostLimits {
  /** Size of a list whose slicing argument is absent and that declares no sizer or assumedSize. */
  maxPageSize: number;
  /** The sizers `@listSize(sizer:)` names, provided by the modules that own the rule. */
  sizers?: Readonly<Record<string, ListSizer>>;
}

export interface OperationCost {
  cost: number;
  /** Bulk rows the operation's mutations carry. */
  rows: number;
}

interface CostDeclaration {
  weight: number;
  itemsOf?: string;
  perItem: number;
  perKilobyte: number;
}

interface ListSizeDeclaration {
  assumedSize?: number;
  sizer?: string;
  slicingArguments: string[];
  sizedFields: string[];
}

interface FieldDeclarations {
  cost?: CostDeclaration;
  listSize?: ListSizeDeclaration;
}

const declarationCache = new WeakMap<FieldDefinitionNode, FieldDeclarations>();

function directiveArguments(directive: DirectiveNode | undefined): Map<string, ValueNode> {
  return new Map((directive?.arguments ?? []).map((argument: ArgumentNode) => [argument.name.value, argument.value]));
}

function intValue(value: ValueNode | undefined): number | undefined {
  return value?.kind === Kind.INT ? Number(value.value) : undefined;
}

function stringValue(value: ValueNode | undefined): string | undefined {
  return value?.kind === Kind.STRING ? value.value : undefined;
}

function stringList(value: ValueNode | undefined): string[] {
  if (!value) return [];
  if (value.kind === Kind.STRING) return [value.value];
  return value.kind === Kind.LIST ? value.values.flatMap((item) => (item.kind === Kind.STRING ? [item.value] : [])) : [];
}

/** The `@cost` and `@listSize` declarations of a field, read once from its SDL. */
export function fieldDeclarations(field: GraphQLField<unknown, unknown>): FieldDeclarations {
  const node = field.astNode;
  if (!node) return {};
  const cached = declarationCache.get(node);
  if (cached) return cached;
  const cost = node.directives?.find((d) => d.name.value === COST_DIRECTIVE);
  const listSize = node.directives?.find((d) => d.name.value === LIST_SIZE_DIRECTIVE);
  const declarations: FieldDeclarations = {};
  if (cost) {
    const args = directiveArguments(cost);
    declarations.cost = {
      weight: intValue(args.get('weight')) ?? 1,
      itemsOf: stringValue(args.get('itemsOf')),
      perItem: intValue(args.get('perItem')) ?? 0,
      perKilobyte: intValue(args.get('perKilobyte')) ?? 0,
    };
  }
  if (listSize) {
    const args = directiveArguments(listSize);
    declarations.listSize = {
      assumedSize: intValue(args.get('assumedSize')),
      sizer: stringValue(args.get('sizer')),
      slicingArguments: stringList(args.get('slicingArguments')),
      sizedFields: stringList(args.get('sizedFields')),
    };
  }
  declarationCache.set(node, declarations);
  return declarations;
}

/** A list field's declared `assumedSize`: the size it has when its slicing argument is absent. */
export function declaredListSize(field: GraphQLField<unknown, unknown>): number | undefined {
  return fieldDeclarations(field).listSize?.assumedSize;
}

/** Elements of an argument value: a list's length, a number's value (a page size), else 1. */
function itemCount(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value); // a number sent as a string
  if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, Math.floor(value));
  return value === undefined || value === null ? 0 : 1;
}

const byteCache = new WeakMap<object, number>();

/** Approximate size in bytes of an argument value (strings by length); shared variables are measured once. */
function approximateBytes(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return 8;
  const cached = byteCache.get(value);
  if (cached !== undefined) return cached;
  let bytes = 2;
  // Iterative walk: input values may be nested deeper than the call stack allows.
  const stack: unknown[] = [value];
  const seen = new Set<object>();
  while (stack.length) {
    const item = stack.pop();
    if (typeof item === 'string') bytes += item.length + 3;
    else if (item === null || typeof item !== 'object') bytes += 8;
    else if (!seen.has(item)) {
      seen.add(item);
      if (Array.isArray(item)) stack.push(...item);
      else
        for (const [key, child] of Object.entries(item)) {
          bytes += key.length + 4;
          stack.push(child);
        }
    }
  }
  byteCache.set(value, bytes);
  return bytes;
}

/**
 * The cost of `operation` under the schema's declarations, with its variable values (as sent:
 * only lengths and numbers are read). Arguments that cannot be read (execution will refuse
 * them) count as absent.
 */
export function operationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  variables: Readonly<Record<string, unknown>>,
  limits: CostLimits,
): OperationCost {
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return { cost: 0, rows: 0 };
  let rows = 0;
  // A fragment's cost depends on where it is spread: memoised per (fragment, type, sized context).
  const fragmentCosts = new Map<string, number>();

  const argumentsOf = (field: GraphQLField<unknown, unknown>, node: FieldNode): Record<string, unknown> => {
    try {
      return getArgumentValues(field, node, variables as Record<string, unknown>);
    } catch {
      return {};
    }
  };

  const sizeOf = (declaration: ListSizeDeclaration | undefined, args: Record<string, unknown>): number => {
    for (const name of declaration?.slicingArguments ?? []) {
      if (args[name] === undefined || args[name] === null) continue;
      // `first` never exceeds maxPageSize (pagination.ts refuses more with BAD_USER_INPUT, a clearer answer than a cost refusal).
      return name === PAGE_SIZE_ARGUMENT ? Math.min(itemCount(args[name]), limits.maxPageSize) : itemCount(args[name]);
    }
    const sized = declaration?.sizer ? limits.sizers?.[declaration.sizer]?.(args) : undefined;
    return sized ?? declaration?.assumedSize ?? limits.maxPageSize;
  };

  const selectionCost = (selectionSet: SelectionSetNode, type: GraphQLNamedType, sized: { fields: string[]; size: number } | null, atRoot: boolean): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        total += fieldCost(selection, type, sized, atRoot);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (condition) total += selectionCost(selection.selectionSet, condition, sized, atRoot);
      } else {
        const fragment = fragments[selection.name.value];
        const condition = fragment && schema.getType(fragment.typeCondition.name.value);
        if (!fragment || !condition) continue;
        const key = `${fragment.name.value}|${type.name}|${sized ? `${sized.fields.join(',')}:${sized.size}` : ''}|${atRoot}`;
        let cost = fragmentCosts.get(key);
        if (cost === undefined) {
          fragmentCosts.set(key, 0); // cycles are refused by validation; this only guards the walk
          cost = selectionCost(fragment.selectionSet, condition, sized, atRoot);
          fragmentCosts.set(key, cost);
        }
        total += cost;
      }
    }
    return total;
  };

  const fieldCost = (node: FieldNode, parent: GraphQLNamedType, sized: { fields: string[]; size: number } | null, atRoot: boolean): number => {
    const name = node.name.value;
    if (name.startsWith('__')) return 0;
    if (!isObjectType(parent) && !isInterfaceType(parent)) return 0;
    const field = parent.getFields()[name];
    if (!field) return 0;
    const { cost, listSize } = fieldDeclarations(field);
    const needsArguments = cost?.itemsOf !== undefined || (listSize?.slicingArguments.length ?? 0) > 0 || listSize?.sizer !== undefined;
    const args = needsArguments ? argumentsOf(field, node) : {};
    let weight = 0;
    if (cost) {
      const input = cost.itemsOf ? args[cost.itemsOf] : undefined;
      const items = cost.itemsOf ? itemCount(input) : 0;
      weight = cost.weight + cost.perItem * items + (cost.perKilobyte > 0 && input !== undefined ? cost.perKilobyte * Math.ceil(approximateBytes(input) / 1024) : 0);
      if (atRoot && operation.operation === 'mutation' && cost.itemsOf) rows += items;
    }
    const named = getNamedType(field.type);
    const unit = isCompositeType(named) ? 1 : 0;
    const isList = isListType(getNullableType(field.type));
    // Sized by the parent (a connection's edges), else by its own declaration when it is a list.
    let count = 1;
    if (sized?.fields.includes(name)) count = sized.size;
    else if (isList && !listSize?.sizedFields.length) count = sizeOf(listSize, args);
    const childSized = listSize?.sizedFields.length ? { fields: listSize.sizedFields, size: sizeOf(listSize, args) } : null;
    const children = node.selectionSet && unit ? selectionCost(node.selectionSet, named, childSized, false) : 0;
    return weight + count * (unit + children);
  };

  const cost = selectionCost(operation.selectionSet, root, null, true);
  return { cost, rows };
}

/**
 * List fields whose size the cost model cannot bound: neither declared with `@listSize` nor
 * sized by every field that returns their type (`sizedFields`). The schema test keeps this empty.
 */
export function undeclaredListFields(schema: GraphQLSchema): string[] {
  const sizedBy = new Map<string, Set<string>>();
  const returning = new Map<string, number>();
  const sizing = new Map<string, number>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const target = getNamedType(field.type).name;
      returning.set(target, (returning.get(target) ?? 0) + 1);
      const sizedFields = fieldDeclarations(field).listSize?.sizedFields ?? [];
      if (sizedFields.length) {
        sizing.set(target, (sizing.get(target) ?? 0) + 1);
        const set = sizedBy.get(target) ?? new Set<string>();
        for (const sizedField of sizedFields) set.add(sizedField);
        sizedBy.set(target, set);
      }
    }
  }
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || (!isObjectType(type) && !isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      if (!isListType(getNullableType(field.type))) continue;
      if (fieldDeclarations(field).listSize) continue;
      const sizedByAll = sizedBy.get(type.name)?.has(field.name) && sizing.get(type.name) === returning.get(type.name);
      if (!sizedByAll) missing.push(`${type.name}.${field.name}`);
    }
  }
  return missing;
}
