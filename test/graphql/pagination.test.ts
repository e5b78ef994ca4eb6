import type { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, listNewestFirst, pageSize, type Connection, type ListSource } from '../../src/graphql/pagination.ts';

function bad(fn: () => unknown): GraphQLError {
  try {
    fn();
  } catch (error) {
    return error as GraphQLError;
  }
  throw new Error('expected an error');
}

describe('pageSize', () => {
  it('is the list default when omitted and any integer from 0 to the configured maximum', () => {
    expect(pageSize(undefined, 100)).toBe(20);
    expect(pageSize(null, 100, 5)).toBe(5);
    expect(pageSize(0, 7)).toBe(0);
    expect(pageSize(7, 7)).toBe(7);
  });

  it('refuses anything else, naming the configured maximum', () => {
    for (const first of [8, -1, 1.5]) {
      const error = bad(() => pageSize(first, 7));
      expect(error.message).toBe('"first" must be an integer between 0 and 7.');
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first', max: 7 });
    }
    // Omitted, a default above a small configured maximum is cut to it (an explicit value is not).
    expect(pageSize(undefined, 5, 20)).toBe(5);
  });
});

interface Row {
  id: string | bigint;
  createdAt: Date;
}

/** An in-memory ListSource that applies the keyset condition the helper hands it. */
function memorySource(rows: Row[], calls: unknown[] = []): ListSource<Row, { tag: string }> {
  const sorted = [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
  return {
    async findMany(query) {
      calls.push(query);
      const after = query.where.AND[1] as { OR?: [{ createdAt: { lt: Date } }, { createdAt: Date; id: { lt: string | bigint } }] };
      const kept = after.OR
        ? sorted.filter((row) => row.createdAt < after.OR![0].createdAt.lt || (row.createdAt.getTime() === after.OR![1].createdAt.getTime() && row.id < after.OR![1].id.lt))
        : sorted;
      return kept.slice(0, query.take);
    },
    async count() {
      calls.push('count');
      return rows.length;
    },
  };
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('listNewestFirst', () => {
  const rows: Row[] = [
    { id: uuid(1), createdAt: at(1) },
    { id: uuid(2), createdAt: at(2) },
    { id: uuid(3), createdAt: at(2) }, // same timestamp: id breaks the tie
    { id: uuid(4), createdAt: at(3) },
    { id: uuid(5), createdAt: at(4) },
  ];

  it('pages newest first through every row exactly once, with Relay page info', async () => {
    const calls: unknown[] = [];
    const source = memorySource(rows, calls);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: Connection<Row> = await listNewestFirst({ first: 2, after }, { source, where: { tag: 'x' }, sortField: 'createdAt', maxPageSize: 10 });
      pages += 1;
      seen.push(...page.edges.map((edge) => String(edge.node.id)));
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual([uuid(5), uuid(4), uuid(3), uuid(2), uuid(1)]);
    expect(pages).toBe(3);
    // One row more than the page is read to learn whether another page follows; the filter is kept.
    expect(calls[0]).toEqual({ where: { AND: [{ tag: 'x' }, {}] }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 3 });
    expect(calls).not.toContain('count');
  });

  it('counts only when totalCount is asked for, and once', async () => {
    const calls: unknown[] = [];
    const page = await listNewestFirst({}, { source: memorySource(rows, calls), where: { tag: 'x' }, sortField: 'createdAt', maxPageSize: 10 });
    expect(page.edges).toHaveLength(5);
    expect(await page.totalCount()).toBe(5);
    expect(await page.totalCount()).toBe(5);
    expect(calls.filter((call) => call === 'count')).toHaveLength(1);
  });

  it('reads nothing for first: 0 and refuses a page above the maximum', async () => {
    const calls: unknown[] = [];
    const empty = await listNewestFirst({ first: 0 }, { source: memorySource(rows, calls), where: { tag: 'x' }, sortField: 'createdAt', maxPageSize: 3 });
    expect(empty.edges).toEqual([]);
    expect(calls).toEqual([]);
    await expect(listNewestFirst({ first: 4 }, { source: memorySource(rows), where: { tag: 'x' }, sortField: 'createdAt', maxPageSize: 3 })).rejects.toThrow('between 0 and 3');
  });

  it('refuses forged cursors before any query, and decodes bigint ids for sequence-keyed lists', async () => {
    const calls: unknown[] = [];
    const source = memorySource(rows, calls);
    const forged = encodeCursor({ sort: at(1), id: "1' OR 1=1" });
    for (const after of ['garbage', forged, 'x'.repeat(600)]) {
      await expect(listNewestFirst({ after }, { source, where: { tag: 'x' }, sortField: 'createdAt', maxPageSize: 10 })).rejects.toThrow('"after" cursor is not valid');
    }
    expect(calls).toEqual([]);

    const numbered: Row[] = [1n, 2n, 3n].map((id) => ({ id, createdAt: at(5) }));
    const bigCalls: unknown[] = [];
    const first = await listNewestFirst({ first: 1 }, { source: memorySource(numbered, bigCalls), where: { tag: 'x' }, sortField: 'createdAt', idKind: 'bigint', maxPageSize: 10 });
    expect(first.edges.map((edge) => edge.node.id)).toEqual([3n]);
    expect(decodeCursor(first.pageInfo.endCursor!, /^\d+$/)).toEqual({ sort: at(5), id: '3' });
    const next = await listNewestFirst(
      { first: 5, after: first.pageInfo.endCursor },
      { source: memorySource(numbered, bigCalls), where: { tag: 'x' }, sortField: 'createdAt', idKind: 'bigint', maxPageSize: 10 },
    );
    expect(next.edges.map((edge) => edge.node.id)).toEqual([2n, 1n]);
    expect((bigCalls[1] as { where: { AND: [unknown, { OR: [unknown, { id: { lt: unknown } }] }] } }).where.AND[1].OR[1].id.lt).toBe(3n);
    // A UUID cursor does not pass for a sequence-keyed list.
    await expect(
      listNewestFirst({ after: encodeCursor({ sort: at(1), id: uuid(1) }) }, { source, where: { tag: 'x' }, sortField: 'createdAt', idKind: 'bigint', maxPageSize: 10 }),
    ).rejects.toThrow('"after" cursor is not valid');
  });
});
