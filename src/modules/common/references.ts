import type { z } from 'zod';
import { userInputError } from '../../graphql/errors.ts';
import { localIdOf, tryLocalIdOf, type NodeType } from '../../graphql/global-id.ts';

/**
 * The one rule for references given as alternatives (an `id` or an `externalId`, sometimes more):
 * a lookup takes exactly one of them, an optional reference or a filter at most one. Every
 * message about it is worded here: "Give exactly one of id or externalId." for arguments,
 * "campaignId: give exactly one of campaignId or campaignExternalId" for bulk rows.
 */
export interface OneRefOptions {
  /** true: exactly one must be given (default); false: at most one. */
  required?: boolean;
  /** The argument named in the error's extensions (default: the first name). */
  argument?: string;
}

/** A reference to one row as a lookup gives it: its (local) id or its externalId, exactly one of them. */
export interface EntityRef {
  id?: string | null;
  externalId?: string | null;
}

const isGiven = (value: unknown) => value !== undefined && value !== null;

/** "a or b", "a, b or c". */
function alternatives(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** What the rule asks for: "exactly one of id or externalId" / "at most one of …". */
export function oneOfPhrase(names: readonly string[], required = true): string {
  return `${required ? 'exactly' : 'at most'} one of ${alternatives(names)}`;
}

/** The problem with a set of alternative values, or null when they follow the rule. */
export function oneOfProblem(values: readonly unknown[], names: readonly string[], required = true): string | null {
  const given = values.filter(isGiven).length;
  return given > 1 || (required && given === 0) ? `give ${oneOfPhrase(names, required)}` : null;
}

/** Throws BAD_USER_INPUT unless the values follow the rule (any number of alternatives). */
export function assertOneOf(values: readonly unknown[], names: readonly string[], options: OneRefOptions = {}): void {
  const required = options.required ?? true;
  if (oneOfProblem(values, names, required) !== null) {
    throw userInputError(`Give ${oneOfPhrase(names, required)}.`, { argument: options.argument ?? names[0] });
  }
}

/** Throws BAD_USER_INPUT unless exactly one (with `required: false`, at most one) of id / externalId is given. */
export function assertOneRef(
  id: string | null | undefined,
  externalId: string | null | undefined,
  names: readonly [idName: string, externalName: string] = ['id', 'externalId'],
  options: OneRefOptions = {},
): void {
  assertOneOf([id, externalId], names, options);
}

/** A lookup's `id` / `externalId` arguments, checked (exactly one) and with the global ID decoded. */
export function refArgs(
  type: NodeType,
  args: { id?: string | null; externalId?: string | null },
  names: readonly [idName: string, externalName: string] = ['id', 'externalId'],
): { id: string | null; externalId: string | null } {
  assertOneRef(args.id, args.externalId, names);
  return { id: optionalLocalId(type, args.id, names[0]), externalId: args.externalId ?? null };
}

/** The local id of an optional global ID argument (null when not given; BAD_USER_INPUT when malformed). */
export function optionalLocalId(type: NodeType, globalId: string | null | undefined, argument = 'id'): string | null {
  return globalId ? localIdOf(type, globalId, argument) : null;
}

/**
 * The rule as a zod refinement for bulk rows: the issue is reported on the id field. Use with
 * `.superRefine(oneRefRefinement(['campaignId', 'campaignExternalId']))` or call it inside a
 * row's own superRefine.
 */
export function oneRefRefinement<K extends string>(names: readonly [K, K], options: { required?: boolean } = {}) {
  return (row: Partial<Record<K, unknown>>, ctx: z.RefinementCtx): void => {
    const problem = oneOfProblem([row[names[0]], row[names[1]]], names, options.required ?? true);
    if (problem) ctx.addIssue({ code: 'custom', path: [names[0]], message: problem });
  };
}

/** A reference of a bulk row, decoded: a local id or a (trimmed) externalId, and the field it came from. */
export interface RowRef {
  kind: 'id' | 'externalId';
  value: string;
  field: string;
  /** As the row gave it (the global ID for `kind: 'id'`), for messages. */
  given: string;
}

/** A row's field at fault; bulk mutations report it as BAD_USER_INPUT with the row's index. */
export class RowFieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads one id / externalId pair of a raw bulk row. Returns the reference, `null` when the row
 * clears it (an explicit null), or `undefined` when the row leaves it out; throws RowFieldError
 * when both are given, a required one is missing, the ID is malformed or the externalId empty.
 */
export function readRowRef(
  row: Record<string, unknown>,
  names: readonly [idName: string, externalName: string],
  type: NodeType,
  options: { required?: boolean } = {},
): RowRef | null | undefined {
  const [idKey, externalKey] = names;
  const id = row[idKey];
  const external = row[externalKey];
  const required = options.required ?? false;
  const problem = oneOfProblem([id, external], names, required);
  if (problem) throw new RowFieldError(idKey, problem);
  if (isGiven(id)) {
    const local = typeof id === 'string' ? tryLocalIdOf(type, id) : null;
    if (!local) throw new RowFieldError(idKey, invalidIdMessage(type, id));
    return { kind: 'id', value: local.toLowerCase(), field: idKey, given: id as string };
  }
  if (isGiven(external)) {
    const value = typeof external === 'string' ? external.trim() : '';
    if (!value) throw new RowFieldError(externalKey, 'must be a non-empty string');
    return { kind: 'externalId', value, field: externalKey, given: value };
  }
  return id === null || external === null ? null : undefined;
}

/** "\"…\" is not a valid Campaign ID": the one wording for a malformed ID in a bulk row. */
export function invalidIdMessage(type: NodeType, given: unknown): string {
  return typeof given === 'string' ? `"${shorten(given)}" is not a valid ${type} ID` : `must be a ${type} ID (a string)`;
}

/** "campaignExternalId: no campaign has externalId \"c-9\".": the one wording for a reference to a missing row. */
export function missingRefMessage(ref: RowRef, entity: string): string {
  return `${ref.field}: no ${entity} has ${ref.kind === 'id' ? 'ID' : 'externalId'} "${shorten(ref.given)}".`;
}

export function shorten(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}
