import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';

// The embedded database serves many connections from one PGlite backend; each connection's
// queries must get their own answers even when they arrive interleaved.
describe('embedded PostgreSQL (PGlite over a socket)', () => {
  let embedded: EmbeddedPostgres;
  let pool: pg.Pool;

  beforeAll(async () => {
    embedded = await startEmbeddedPostgres({});
    pool = new pg.Pool({ connectionString: embedded.url, max: 8 });
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    await embedded?.stop();
  });

  it('answers concurrent parameterised queries from several connections with their own rows', async () => {
    // Different statement texts and parameters per connection: a query bound to another
    // connection's unnamed statement would come back with the wrong shape or value.
    const queries = Array.from({ length: 1000 }, (_, i) =>
      i % 2 === 0
        ? pool.query<{ value: number }>('SELECT $1::int * 2 AS value', [i]).then((result) => result.rows[0]!.value === i * 2)
        : pool.query<{ text: string }>("SELECT $1::text || '-' || $2::text AS text", [`q${i}`, 'x']).then((result) => result.rows[0]?.text === `q${i}-x`),
    );
    const answers = await Promise.all(queries);
    expect(answers.filter((ok) => !ok).length).toBe(0);
  });
});
