import { Worker } from 'node:worker_threads';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** A compressed copy of the data directory, to start identical instances quickly. */
  dumpDataDir(): Promise<Blob>;
}

type WorkerMessage = { type: 'ready'; port: number } | { type: 'dump'; data: ArrayBuffer } | { type: 'stopped' } | { type: 'error'; message: string };

/**
 * Real PostgreSQL compiled to WASM (PGlite), served on a local TCP port so Prisma, pg and
 * pg-boss connect to it exactly as to a server. `dataDir` undefined keeps it in memory.
 * It runs on its own worker thread: on the server's thread, every synchronous stretch of
 * work (training a model, tokenizing a batch) would stall the database for all requests.
 */
export async function startEmbeddedPostgres(options: { dataDir?: string; port?: number; loadDataDir?: Blob }): Promise<EmbeddedPostgres> {
  const loadDataDir = options.loadDataDir ? await options.loadDataDir.arrayBuffer() : undefined;
  const worker = new Worker(new URL('./embedded-worker.mjs', import.meta.url), {
    workerData: { dataDir: options.dataDir, port: options.port, loadDataDir },
    transferList: loadDataDir ? [loadDataDir] : [],
  });
  const next = <T extends WorkerMessage['type']>(type: T): Promise<Extract<WorkerMessage, { type: T }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: WorkerMessage) => {
        if (message.type === 'error') {
          cleanup();
          reject(new Error(`embedded PostgreSQL: ${message.message}`));
        } else if (message.type === type) {
          cleanup();
          resolve(message as Extract<WorkerMessage, { type: T }>);
        }
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`embedded PostgreSQL worker exited with code ${code}`));
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('exit', onExit);
    });
  const { port } = await next('ready');
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    port,
    async dumpDataDir() {
      const reply = next('dump');
      worker.postMessage({ type: 'dump' });
      return new Blob([(await reply).data]);
    },
    async stop() {
      const reply = next('stopped');
      worker.postMessage({ type: 'stop' });
      await reply;
      await worker.terminate();
    },
  };
}
