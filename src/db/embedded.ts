import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** A compressed copy of the data directory, to start identical instances quickly. */
  dumpDataDir(): Promise<Blob>;
}

/**
 * Real PostgreSQL compiled to WASM (PGlite), served on a local TCP port so Prisma, pg and
 * pg-boss connect to it exactly as to a server. `dataDir` undefined keeps it in memory.
 */
export async function startEmbeddedPostgres(options: {
  dataDir?: string;
  port?: number;
  loadDataDir?: Blob;
}): Promise<EmbeddedPostgres> {
  if (options.dataDir) fs.mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir: options.dataDir, loadDataDir: options.loadDataDir });
  // One PGlite backend serves every connection; the socket server pins a connection
  // while it is inside a transaction, so a pool of several is safe.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: 64 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    port,
    async dumpDataDir() {
      return db.dumpDataDir('gzip');
    },
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
