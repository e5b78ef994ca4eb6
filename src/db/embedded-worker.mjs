// Runs PGlite and its socket server on a worker thread (plain JavaScript: a worker does not
// inherit the TypeScript loader in every host, e.g. test runners). Messages from the parent:
// { type: 'dump' } → { type: 'dump', data: ArrayBuffer }; { type: 'stop' } → { type: 'stopped' }.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Extended-protocol messages after which the session belongs to their connection until Sync. */
const EXTENDED = new Set(['P', 'B', 'D', 'E', 'H', 'C']);

/** Every message type a protocol-3 client may send after its startup packet. */
const FRONTEND = new Set(['B', 'C', 'd', 'c', 'f', 'D', 'E', 'H', 'F', 'P', 'p', 'Q', 'S', 'X']);

/** A FATAL ErrorResponse, as PostgreSQL sends it before closing a connection. */
function fatal(code, message) {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const header = Buffer.alloc(5);
  header.write('E', 0, 'latin1');
  header.writeInt32BE(fields.length + 4, 1);
  return new Uint8Array(Buffer.concat([header, fields]));
}

/**
 * Why PGlite must not see this message, or null. PGlite is one backend for every connection, and
 * PostgreSQL's answer to these (a FATAL that ends the backend) breaks it for all of them: an
 * unknown message type makes it loop on "protocol synchronization was lost" and never return, a
 * startup packet without a user on a fresh instance leaves every later message failing
 * ("null function or function signature mismatch"). Refused here, they end only their connection.
 */
function refusal(message) {
  if (message[0] === 0) {
    // Startup packet: length, protocol version, then name/value pairs of C strings.
    const pairs = Buffer.from(message.buffer, message.byteOffset + 8, Math.max(0, message.length - 8))
      .toString('utf8')
      .split('\0');
    for (let i = 0; i + 1 < pairs.length; i += 2) if (pairs[i] === 'user' && pairs[i + 1] !== '') return null;
    return fatal('28000', 'no PostgreSQL user name specified in startup packet');
  }
  if (FRONTEND.has(String.fromCharCode(message[0]))) return null;
  return fatal('08P01', `invalid frontend message type ${message[0]}`);
}

/**
 * One message at a time into PGlite, in arrival order, except that a connection holding the
 * session (inside an extended-protocol sequence, or inside a transaction) is served alone.
 */
class SessionQueue {
  constructor(db) {
    this.db = db;
    this.queue = [];
    this.processing = false;
    this.holder = null;
  }

  enqueue(handlerId, message, onData) {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.process();
    });
  }

  async process() {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const held = this.holder !== null && (this.holder.extended || this.db.isInTransaction());
        const index = held ? this.queue.findIndex((item) => item.handlerId === this.holder.handlerId) : 0;
        if (index === -1) break; // wait for the holder's next message
        const [item] = this.queue.splice(index, 1);
        const type = String.fromCharCode(item.message[0] ?? 0);
        const refused = refusal(item.message);
        if (refused) {
          // The socket handler closes a connection whose message is rejected.
          item.onData(refused);
          item.reject(new Error('refused a message PGlite cannot survive'));
          continue;
        }
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
          item.resolve(bytes);
        } catch (error) {
          item.reject(error);
        }
        this.holder = { handlerId: item.handlerId, extended: EXTENDED.has(type) };
      }
    } finally {
      this.processing = false;
    }
  }

  getQueueLength() {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId) {
    this.queue = this.queue.filter((item) => {
      if (item.handlerId !== handlerId) return true;
      item.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  async clearTransactionIfNeeded(handlerId) {
    if (this.holder?.handlerId !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.holder = null;
    await this.process();
  }
}

const { dataDir, port, loadDataDir } = workerData;
try {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir, loadDataDir: loadDataDir ? new Blob([loadDataDir]) : undefined });
  // One PGlite backend serves every connection; the socket server pins a connection while it
  // is inside a transaction, so a pool of several is safe.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: port ?? 0, maxConnections: 64 });
  // PGlite is one backend session for every connection, so a connection must also keep it from
  // its first extended-protocol message to its Sync: pglite-socket's own queue pins only open
  // transactions, and another connection's Parse in between replaced the unnamed statement
  // ("bind message supplies 5 parameters, but prepared statement \"\" requires 1", or a query
  // answered with another's rows). It also stopped for good after one failed message.
  server.queryQueue = new SessionQueue(db);
  await server.start();
  parentPort.postMessage({ type: 'ready', port: Number(server.getServerConn().split(':').pop()) });
  parentPort.on('message', async (message) => {
    try {
      if (message.type === 'dump') {
        const blob = await db.dumpDataDir('gzip');
        const data = await blob.arrayBuffer();
        parentPort.postMessage({ type: 'dump', data }, [data]);
      } else if (message.type === 'stop') {
        await server.stop();
        await db.close();
        parentPort.postMessage({ type: 'stopped' });
      }
    } catch (error) {
      parentPort.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  });
} catch (error) {
  parentPort.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}
