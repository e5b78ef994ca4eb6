import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

/**
 * Several HTTP server processes sharing one port (node:cluster; the primary hands connections out
 * round-robin). Serving is stateless per process: each loads the active models from PostgreSQL
 * and follows activations by polling, so processes need no coordination beyond what is here.
 */

/** Environment the primary gives each server process. */
const WORKER_INDEX_ENV = 'MAI_CLUSTER_WORKER_INDEX';

/** Messages a supervised process sends its primary once it serves (a worker process sends no url). */
export type ServerProcessMessage = { type: 'listening'; url: string };

/** Index (0-based) of this server process in the cluster, or null outside a cluster. */
export function clusterWorkerIndex(): number | null {
  if (!cluster.isWorker) return null;
  const index = Number(process.env[WORKER_INDEX_ENV]);
  return Number.isInteger(index) && index >= 0 ? index : null;
}

/**
 * What one server process of `count` runs with: background jobs only in the first (one training
 * at a time per cluster, as with one process). With RATE_LIMIT_STORE=memory each process keeps
 * its own buckets, so per-key rate limits are split evenly (round-robin spreads a key's requests
 * over all of them); the PostgreSQL store is shared and keeps the whole limit.
 */
export function configForServerProcess(config: Config, index: number, count: number): Config {
  const share = (perMinute: number) => (perMinute === 0 || config.rateLimitStore !== 'memory' ? perMinute : Math.max(1, Math.ceil(perMinute / count)));
  return {
    ...config,
    WORKER_MODE: index === 0 ? config.WORKER_MODE : 'off',
    RATE_LIMIT_PER_MINUTE: share(config.RATE_LIMIT_PER_MINUTE),
    RATE_LIMIT_ADMIN_PER_MINUTE: share(config.RATE_LIMIT_ADMIN_PER_MINUTE),
  };
}

/** Crash-looping server processes stop the cluster instead of being restarted forever. */
const MAX_RESTARTS_PER_MINUTE = 5;

export interface RunningCluster {
  /** URL the processes listen on (all share it). */
  url: string;
  /** SIGTERM to every server process; resolves when all have exited. */
  stop(): Promise<void>;
}

/**
 * The supervisor: forks `count` processes with `env`, one after the other, and resolves once all
 * serve (each sends a `listening` message). A process that dies while the cluster runs (a crash,
 * an exhausted heap, a kill) is replaced; more than MAX_RESTARTS_PER_MINUTE deaths in a minute end
 * the cluster through `onFatal`, so that an outer supervisor (systemd, Docker, Kubernetes) sees
 * the failure instead of a restart loop.
 */
export function startCluster(options: {
  count: number;
  env: Record<string, string>;
  logger: Logger;
  onFatal: (reason: string) => void;
  /** What the processes are, for the logs (default "server process"). */
  role?: string;
}): Promise<RunningCluster> {
  const { count, env, logger, onFatal } = options;
  const role = options.role ?? 'server process';
  const workers = new Map<number, Worker>();
  const restarts: number[] = [];
  let stopping = false;
  let url = '';

  return new Promise<RunningCluster>((resolve, reject) => {
    let listening = 0;
    const fork = (index: number) => {
      const worker = cluster.fork({ ...env, [WORKER_INDEX_ENV]: String(index) });
      workers.set(index, worker);
      worker.on('message', (message: ServerProcessMessage) => {
        if (message?.type !== 'listening') return;
        url = message.url;
        logger.info({ index, childPid: worker.process.pid, url: url || undefined }, `${role} ready`);
        if (listening >= count) return; // a replacement
        // One at a time: concurrent first starts race on one-off set-up (pg-boss installs its schema).
        if (++listening === count) resolve({ url, stop });
        else fork(listening);
      });
      worker.on('exit', (code, signal) => {
        if (workers.get(index) === worker) workers.delete(index);
        if (stopping) return;
        logger.error({ index, childPid: worker.process.pid, code, signal }, `${role} exited; starting a replacement`);
        const now = Date.now();
        restarts.push(now);
        while (restarts.length && now - restarts[0]! > 60_000) restarts.shift();
        if (listening < count) {
          reject(new Error(`${role} ${index} exited during start-up (code ${code}, signal ${signal})`));
          return;
        }
        if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
          onFatal(`${restarts.length} ${role}es died within a minute`);
          return;
        }
        fork(index);
      });
    };

    const stop = async (): Promise<void> => {
      stopping = true;
      const exits = [...workers.values()].map(
        (worker) =>
          new Promise<void>((done) => {
            if (worker.isDead()) return done();
            worker.once('exit', () => done());
            worker.process.kill('SIGTERM');
          }),
      );
      await Promise.all(exits);
    };

    fork(0);
  });
}
