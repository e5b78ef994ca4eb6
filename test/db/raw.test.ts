import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepared, raw, rawTransaction } from '../../src/db/raw.ts';
import { withStatementCounter } from '../../src/db/prisma.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const onServer = Boolean(process.env.DATABASE_URL);
const SQUARE = prepared('test_raw_square', 'SELECT $1::int * $1::int AS square');

/** Names of the statements prepared on the connection of `tx`. */
const preparedOn = async (tx: { rows<T>(sql: string): Promise<T[]> }) =>
  (await tx.rows<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name')).map((row) => row.name);

describe('prepared statements (src/db/raw.ts)', () => {
  let db: TestDatabase;
  let off: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 4 });
    off = await createTestDatabase({ poolSize: 2, preparedStatements: false });
  });
  afterAll(async () => {
    await db?.destroy();
    await off?.destroy();
  });

  it('answers like plain SQL, many at once on every connection of the pool', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => raw(db.prisma).rows<{ square: number }>(SQUARE, [i])));
    expect(answers.map((rows) => rows[0]!.square)).toEqual(Array.from({ length: 40 }, (_, i) => i * i));
    const arrays = await raw(db.prisma).arrays<[number]>(SQUARE, [12]);
    expect(arrays).toEqual([[144]]);
  });

  it.runIf(onServer)('is kept by the connection that ran it on PostgreSQL (planned once per connection)', async () => {
    const names = await rawTransaction(db.prisma, async (tx) => {
      await tx.rows(SQUARE, [3]);
      return preparedOn(tx);
    });
    expect(names).toContain('test_raw_square');
  });

  it.runIf(!onServer)('is run as plain SQL on the embedded database, whose one session every connection shares', async () => {
    const names = await rawTransaction(db.prisma, async (tx) => {
      await tx.rows(SQUARE, [3]);
      return preparedOn(tx);
    });
    expect(names).not.toContain('test_raw_square');
  });

  it('is run as plain SQL when the pool was made with preparedStatements: false', async () => {
    const names = await rawTransaction(off.prisma, async (tx) => {
      expect(await tx.rows<{ square: number }>(SQUARE, [5])).toEqual([{ square: 25 }]);
      return preparedOn(tx);
    });
    expect(names).not.toContain('test_raw_square');
  });

  it('costs a request only its own statements (the one-time capability check is not counted)', async () => {
    const fresh = await createTestDatabase({ poolSize: 2 });
    try {
      const counter = { statements: 0 };
      await withStatementCounter(counter, () => raw(fresh.prisma).rows(SQUARE, [2]));
      expect(counter.statements).toBe(1);
    } finally {
      await fresh.destroy();
    }
  });

  it('refuses one name declared with two texts', () => {
    expect(() => prepared('test_raw_square', 'SELECT 1')).toThrow(/declared twice/);
    expect(prepared('test_raw_square', 'SELECT $1::int * $1::int AS square')).toEqual(SQUARE);
  });
});
