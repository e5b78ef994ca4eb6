// Runs PGlite and its socket server on a worker thread (plain JavaScript: a worker does not
// inherit the TypeScript loader in every host, e.g. test runners). Messages from the parent:
// { type: 'dump' } → { type: 'dump', data: ArrayBuffer }; { type: 'stop' } → { type: 'stopped' }.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const { dataDir, port, loadDataDir } = workerData;
try {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir, loadDataDir: loadDataDir ? new Blob([loadDataDir]) : undefined });
  // One PGlite backend serves every connection; the socket server pins a connection while it
  // is inside a transaction, so a pool of several is safe.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: port ?? 0, maxConnections: 64 });
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
