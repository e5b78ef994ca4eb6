import type { GraphQLResolveInfo } from 'graphql';
import { integerArgument } from './arguments.ts';
import { declaredListSize } from './cost.ts';
import { userInputError } from './errors.ts';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Edge<T> {
  node: T;
  cursor: string;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

/** A Relay connection; totalCount runs its COUNT only when a client selects the field. */
export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount: () => Promise<number>;
}

/** Position of a row in the keyset order (sort column descending, then id descending). */
export interface KeysetPosition {
  sort: Date;
  id: string;
}

export const DEFAULT_PAGE_SIZE = 20;

/** Most IDs `nodes(ids:)` fetches in one call. */
export const MAX_NODE_IDS = 100;

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.sort.toISOString(), position.id]), 'utf8').toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Row ids in cursors: UUIDs by default, digits for tables keyed by a sequence. */
export const CURSOR_ID = { uuid: UUID, bigint: /^\d{1,19}$/ } as const;

export function decodeCursor(cursor: string, idPattern: RegExp = CURSOR_ID.uuid): KeysetPosition {
  try {
    if (cursor.length > 500) throw new Error('too long');
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
      const sort = new Date(parsed[0]);
      if (!Number.isNaN(sort.getTime()) && idPattern.test(parsed[1])) return { sort, id: parsed[1] };
    }
  } catch {
    // fall through to the user-facing error
  }
  throw userInputError('The "after" cursor is not valid. Use an endCursor or edge cursor returned by this connection.', {
    argument: 'after',
  });
}

/**
 * The one page-size rule, for connections and nested lists alike: `first` is an integer from 0
 * to the configured maximum (MAX_PAGE_SIZE); omitted, the list's default, cut to that maximum.
 */
export function pageSize(first: number | null | undefined, max: number, fallback: number = DEFAULT_PAGE_SIZE): number {
  return integerArgument(first ?? Math.min(fallback, max), { min: 0, max, argument: 'first' });
}

/**
 * pageSize of a plain or nested list field (not a connection): omitted, the size its SDL declares
 * (`@listSize(assumedSize:)`), else the maximum. The request cost model assumes the same size,
 * so what a request is charged and what it gets cannot drift apart.
 */
export function listPageSize(first: number | null | undefined, max: number, info: Pick<GraphQLResolveInfo, 'parentType' | 'fieldName'>): number {
  const field = info.parentType.getFields()[info.fieldName];
  return pageSize(first, max, (field && declaredListSize(field)) ?? max);
}

/**
 * Keyset pagination in (sort desc, id desc) order. `fetch` receives how many rows to read
 * (one more than the page, to learn whether another page follows) and the position to start after.
 */
export async function paginate<T>(
  args: PageArgs,
  options: {
    maxPageSize: number;
    position: (row: T) => KeysetPosition;
    fetch: (take: number, after: KeysetPosition | null) => Promise<T[]>;
    count: () => Promise<number>;
    /** Shape of row ids, so a forged cursor is refused instead of reaching SQL. */
    idPattern?: RegExp;
  },
): Promise<Connection<T>> {
  const size = pageSize(args.first, options.maxPageSize);
  const after = args.after ? decodeCursor(args.after, options.idPattern) : null;
  const rows = size === 0 ? [] : await options.fetch(size + 1, after);
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ node, cursor: encodeCursor(options.position(node)) }));
  let total: Promise<number> | undefined;
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      hasPreviousPage: after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => (total ??= options.count()),
  };
}

/** Prisma `where` fragment for rows strictly after a keyset position in descending order. */
export function afterPosition<K extends string>(sortField: K, after: KeysetPosition | null, id: (value: string) => unknown = (value) => value): Record<string, unknown> {
  if (!after) return {};
  return {
    OR: [{ [sortField]: { lt: after.sort } }, { [sortField]: after.sort, id: { lt: id(after.id) } }],
  };
}

/** How rows are identified in cursors: UUID strings, or sequence numbers (bigint columns). */
export type CursorIdKind = keyof typeof CURSOR_ID;

/** What a list's rows come from: a Prisma model delegate (e.g. `db.user`), or anything with its findMany and count. */
export interface ListSource<T, W> {
  findMany(query: { where: { AND: [W, Record<string, unknown>] }; orderBy: Record<string, 'desc'>[]; take: number }): PromiseLike<T[]>;
  count(query: { where: W }): PromiseLike<number>;
}

/**
 * A newest-first list as a Relay connection: keyset pagination over (sortField desc, id desc)
 * of the rows of `source` matching `where`. The one home of that boilerplate for every list of
 * the API: `listNewestFirst(args, { source: db.user, where, sortField: 'createdAt', maxPageSize })`.
 */
export function listNewestFirst<T extends { id: string | bigint }, W>(
  args: PageArgs,
  options: {
    source: ListSource<T, NoInfer<W>>;
    where: W;
    /** A timestamp column of T; ties are broken by id. */
    sortField: keyof T & string;
    maxPageSize: number;
    /** Default 'uuid'. */
    idKind?: CursorIdKind;
  },
): Promise<Connection<T>> {
  const { source, where, sortField } = options;
  const idKind = options.idKind ?? 'uuid';
  const toId = idKind === 'bigint' ? (id: string) => BigInt(id) : (id: string) => id;
  return paginate<T>(args, {
    maxPageSize: options.maxPageSize,
    idPattern: CURSOR_ID[idKind],
    position: (row) => ({ sort: row[sortField] as Date, id: String(row.id) }),
    fetch: async (take, after) => source.findMany({ where: { AND: [where, afterPosition(sortField, after, toId)] }, orderBy: [{ [sortField]: 'desc' }, { id: 'desc' }], take }),
    count: async () => source.count({ where }),
  });
}
