import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseErrorKind, formatError, sqlStateOf } from '../../src/graphql/format-error.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

// Real errors of the database, raised through each path the service uses (Prisma models, Prisma
// raw SQL, the pg pool), each mapped by the one classification to a stable code.
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 2 });
  await db.pool.query(`CREATE TABLE format_error_checked (v int CHECK (v > 0), u text UNIQUE, s varchar(2))`);
  await db.pool.query(`INSERT INTO format_error_checked VALUES (1, 'taken')`);
}, 120_000);
afterAll(async () => {
  await db?.destroy();
});

async function caught(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the statement to fail');
}

/** What a client sees for an error a resolver threw. */
function asClient(error: unknown) {
  const wrapped = new GraphQLError('x', { originalError: error as Error, path: ['field'] });
  return formatError({ message: 'x', extensions: { code: 'INTERNAL_SERVER_ERROR' } }, wrapped);
}

describe('database errors', () => {
  const cases: [string, string, () => Promise<unknown>][] = [
    ['invalid text (Prisma model, NUL)', '22021', () => db.prisma.product.create({ data: { externalId: 'fe-1', name: 'bad\u0000name' } })],
    ['numeric overflow (Prisma model)', '22003', () => db.prisma.product.create({ data: { externalId: 'fe-2', name: 'n', price: 1e20 } })],
    ['integer out of range (Prisma raw)', '22003', () => db.prisma.$queryRaw`SELECT (2147483647::int + 1)`],
    ['invalid input syntax (Prisma raw)', '22P02', () => db.prisma.$executeRaw`SELECT 'a'::int`],
    ['invalid datetime (Prisma raw)', '22008', () => db.prisma.$queryRaw`SELECT ${'2026-13-45'}::timestamptz`],
    ['division by zero (pg pool)', '22012', () => db.pool.query(`SELECT 1 / 0`)],
    ['value too long (pg pool)', '22001', () => db.pool.query(`INSERT INTO format_error_checked (v, s) VALUES (3, 'abc')`)],
    ['check violation (Prisma raw)', '23514', () => db.prisma.$executeRawUnsafe(`INSERT INTO format_error_checked (v) VALUES (-1)`)],
    ['not-null violation (pg pool)', '23502', () => db.pool.query(`INSERT INTO products (id, external_id, name, updated_at) VALUES (gen_random_uuid(), 'fe-3', NULL, now())`)],
    [
      'foreign key violation (Prisma raw)',
      '23503',
      () => db.prisma.$executeRaw`INSERT INTO interactions (dedupe_key, user_id, product_id, type, occurred_at) VALUES ('fe', gen_random_uuid(), gen_random_uuid(), 'VIEW', now())`,
    ],
  ];
  it.each(cases)('maps %s to BAD_USER_INPUT', async (_name, state, run) => {
    const error = await caught(run);
    expect(sqlStateOf(error)).toBe(state);
    expect(databaseErrorKind(error)).toBe('data');
    const formatted = asClient(error);
    expect(formatted.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(formatted.message).not.toMatch(/prisma|invocation|format_error_checked|products/i);
  });

  it('maps a unique violation to CONFLICT, through Prisma raw SQL and the pool', async () => {
    for (const run of [
      () => db.prisma.$executeRawUnsafe(`INSERT INTO format_error_checked (v, u) VALUES (2, 'taken')`),
      () => db.pool.query(`INSERT INTO format_error_checked (v, u) VALUES (2, 'taken')`),
    ]) {
      const error = await caught(run);
      expect(databaseErrorKind(error)).toBe('conflict');
      expect(asClient(error).extensions).toEqual({ code: 'CONFLICT' });
    }
  });

  it('keeps other errors INTERNAL_SERVER_ERROR, without details', async () => {
    const error = await caught(() => db.pool.query(`SELECT * FROM no_such_table`));
    expect(databaseErrorKind(error)).toBeNull();
    expect(asClient(error)).toMatchObject({ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(asClient(new Error('bug'))).toMatchObject({ extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });
});
