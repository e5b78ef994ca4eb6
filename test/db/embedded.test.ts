import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The promise's value, or a rejection naming `what` when it has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Answer {
  columns: string[];
  rows: (string | null)[][];
}

/**
 * An extended-protocol query sent in two steps on one pg connection: Parse + Describe + Flush
 * first (the unnamed statement now exists, no Sync yet), then Bind + Describe + Execute + Sync
 * when the test says so. Between the two steps the test lets another connection run a query,
 * which is exactly the interleaving one PGlite session for all connections must not allow.
 */
class SteppedQuery implements pg.Submittable {
  private connection: pg.Connection | undefined;
  private columns: string[] = [];
  private rows: (string | null)[][] = [];
  private bound = false;
  private onDescribed!: { resolve: (columns: string[]) => void; reject: (error: Error) => void };
  private onAnswer!: { resolve: (answer: Answer) => void; reject: (error: Error) => void };
  /** The statement's result columns, once the server has parsed it. */
  readonly described = new Promise<string[]>((resolve, reject) => {
    this.onDescribed = { resolve, reject };
  });
  private readonly answer = new Promise<Answer>((resolve, reject) => {
    this.onAnswer = { resolve, reject };
  });

  constructor(private readonly text: string) {
    this.answer.catch(() => undefined); // observed through execute()
    this.described.catch(() => undefined); // observed by the test
  }

  submit(connection: pg.Connection): void {
    this.connection = connection;
    connection.parse({ name: '', text: this.text, types: [] }, false);
    connection.describe({ type: 'S', name: '' }, false);
    connection.flush();
  }

  /** Binds the unnamed statement to `values`, runs it and answers its rows (text format). */
  execute(values: string[]): Promise<Answer> {
    const connection = this.connection!;
    this.bound = true;
    connection.bind({ statement: '', portal: '', values }, false);
    connection.describe({ type: 'P', name: '' }, false);
    connection.execute(null, false);
    connection.sync();
    return this.answer;
  }

  handleRowDescription(message: { fields: { name: string }[] }): void {
    this.columns = message.fields.map((field) => field.name);
    if (!this.bound) this.onDescribed.resolve(this.columns);
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    this.rows.push(message.fields);
  }

  handleCommandComplete(): void {}

  handleError(error: Error): void {
    this.onDescribed.reject(error);
    this.onAnswer.reject(error);
  }

  handleReadyForQuery(): void {
    this.onAnswer.resolve({ columns: this.columns, rows: this.rows });
  }
}

/** A raw TCP connection to the embedded server; `text()` is everything it answered so far. */
async function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const replies: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => replies.push(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, closed, text: () => Buffer.concat(replies).toString('latin1') };
}

function startupPacket(parameters: Record<string, string>): Buffer {
  const pairs = Object.entries(parameters)
    .map(([name, value]) => `${name}\0${value}\0`)
    .join('');
  const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), Buffer.from(`${pairs}\0`, 'utf8')]);
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([length, body]);
}

// The embedded database serves many connections from one PGlite backend session; each
// connection's queries must get their own answers even when they arrive interleaved, and one
// failed message must not stop the database for everyone else.
describe('embedded PostgreSQL (PGlite over a socket)', () => {
  let embedded: EmbeddedPostgres;
  let pool: pg.Pool;
  let a: pg.Client;
  let b: pg.Client;

  beforeAll(async () => {
    embedded = await startEmbeddedPostgres({});
    pool = new pg.Pool({ connectionString: embedded.url, max: 8 });
    a = new pg.Client({ connectionString: embedded.url });
    b = new pg.Client({ connectionString: embedded.url });
    await a.connect();
    await b.connect();
  }, 60_000);

  afterAll(async () => {
    await a?.end();
    await b?.end();
    await pool?.end();
    await embedded?.stop();
  });

  // One round: A parses (unnamed statement, no Sync), B sends a whole query, then A binds and
  // executes. Without a session held from A's Parse to its Sync, B's Parse replaces A's
  // unnamed statement and A's Bind runs B's statement.
  async function interleave(round: number, statementOfB: string, valuesOfB: string[]) {
    const stepped = new SteppedQuery('SELECT $1::int * 2 AS doubled');
    a.query(stepped);
    await within(stepped.described, 5_000, `round ${round}: A's Parse`);
    const queryOfB = b.query<Record<string, unknown>>(statementOfB, valuesOfB);
    queryOfB.catch(() => undefined);
    // Give B every chance to run inside A's sequence: without the fix it does, and answers at once.
    const bAnsweredInsideA = await Promise.race([
      queryOfB.then(
        () => true,
        () => true,
      ),
      sleep(50).then(() => false),
    ]);
    const answerOfA = await within(stepped.execute([String(round)]), 5_000, `round ${round}: A's Bind/Execute`).catch((error: Error) => error.message);
    const answerOfB = await within(queryOfB, 5_000, `round ${round}: B`).then(
      (result) => result.rows,
      (error: Error) => error.message,
    );
    return { bAnsweredInsideA, answerOfA, answerOfB };
  }

  it("keeps a connection's unnamed statement from its Parse to its Sync (a statement with another parameter count in between)", async () => {
    const failures: unknown[] = [];
    for (let round = 0; round < 20; round++) {
      const outcome = await interleave(round, "SELECT $1::text || '-' || $2::text AS joined", [`b${round}`, 'x']);
      const expected = {
        bAnsweredInsideA: false,
        answerOfA: { columns: ['doubled'], rows: [[String(round * 2)]] },
        answerOfB: [{ joined: `b${round}-x` }],
      };
      if (JSON.stringify(outcome) !== JSON.stringify(expected)) failures.push({ round, ...outcome });
    }
    expect(failures).toEqual([]);
  });

  it("answers a connection's statement with its own rows, never another's (a statement of the same shape in between)", async () => {
    const failures: unknown[] = [];
    for (let round = 0; round < 20; round++) {
      const outcome = await interleave(round, 'SELECT $1::int + 1000 AS shifted', [String(round)]);
      const expected = {
        bAnsweredInsideA: false,
        answerOfA: { columns: ['doubled'], rows: [[String(round * 2)]] },
        answerOfB: [{ shifted: round + 1000 }],
      };
      if (JSON.stringify(outcome) !== JSON.stringify(expected)) failures.push({ round, ...outcome });
    }
    expect(failures).toEqual([]);
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

  it('ends only the connection of a message with an unknown type; every other connection keeps its answers', async () => {
    // PostgreSQL answers an unknown message type with a FATAL that ends its backend; PGlite is
    // the one backend of every connection and looped on "protocol synchronization was lost".
    const raw = await rawConnection(embedded.port);
    raw.socket.write(startupPacket({ user: 'postgres', database: 'postgres' }));
    await within(
      (async () => {
        while (!raw.text().includes('Z\0\0\0\u0005I')) await sleep(10);
      })(),
      5_000,
      'the raw startup',
    );
    raw.socket.write(Buffer.from([0x7a, 0, 0, 0, 4])); // 'z', length 4: no such message
    await within(raw.closed, 5_000, 'closing the connection of the unknown message');
    expect(raw.text()).toContain('invalid frontend message type 122');

    const existing = await within(a.query<{ answer: number }>('SELECT 41 + $1::int AS answer', [1]), 5_000, 'an open connection');
    expect(existing.rows).toEqual([{ answer: 42 }]);
    const fresh = new pg.Client({ connectionString: embedded.url });
    try {
      await within(fresh.connect(), 5_000, 'a new connection');
      expect((await within(fresh.query<{ ok: boolean }>('SELECT true AS ok'), 5_000, 'a new connection')).rows).toEqual([{ ok: true }]);
    } finally {
      await fresh.end().catch(() => undefined);
    }
  });

  it('releases the session when its holder disconnects inside an extended-protocol sequence', async () => {
    const holder = new pg.Client({ connectionString: embedded.url });
    holder.on('error', () => undefined);
    await holder.connect();
    const stepped = new SteppedQuery('SELECT 1 AS one');
    holder.query(stepped);
    await within(stepped.described, 5_000, "the holder's Parse");
    const waiting = b.query<{ two: number }>('SELECT $1::int AS two', [2]);
    (holder as unknown as { connection: { stream: net.Socket } }).connection.stream.destroy();
    expect((await within(waiting, 5_000, 'a query queued behind the holder')).rows).toEqual([{ two: 2 }]);
  });
});

// On a fresh instance, a failing first startup packet made PGlite throw; the queue then stopped
// for good (every later message waited forever), and PGlite itself failed every later message.
describe('embedded PostgreSQL: a refused first connection', () => {
  let embedded: EmbeddedPostgres;

  beforeAll(async () => {
    embedded = await startEmbeddedPostgres({});
  }, 60_000);

  afterAll(async () => {
    await embedded?.stop();
  });

  it('refuses a startup packet without a user and serves the next connections', async () => {
    const raw = await rawConnection(embedded.port);
    raw.socket.write(startupPacket({ database: 'postgres' }));
    await within(raw.closed, 5_000, 'closing the connection without a user');
    expect(raw.text()).toContain('no PostgreSQL user name specified in startup packet');

    for (let i = 0; i < 2; i++) {
      const client = new pg.Client({ connectionString: embedded.url });
      client.on('error', () => undefined);
      try {
        await within(client.connect(), 5_000, `connection ${i}`);
        expect((await within(client.query<{ i: number }>('SELECT $1::int AS i', [i]), 5_000, `connection ${i}`)).rows).toEqual([{ i }]);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  });
});
