import fs from 'node:fs/promises';
import type { Logger } from '../logger.ts';

/**
 * A liveness file for processes that serve no HTTP (the job worker): rewritten every
 * LIVENESS_INTERVAL_MS after a probe (a database round trip) succeeds, removed on shutdown.
 * Its age tells a container healthcheck that the process runs, its event loop turns and its
 * database answers (src/health/check-liveness.ts).
 */
export const LIVENESS_INTERVAL_MS = 10_000;
/** Older than this, the process counts as dead or stuck: three missed rewrites. */
export const LIVENESS_MAX_AGE_SECONDS = 30;

export interface LivenessFile {
  stop(): Promise<void>;
}

export function startLivenessFile(file: string, probe: () => Promise<unknown>, logger: Logger): LivenessFile {
  let stopped = false;
  const beat = async () => {
    try {
      await probe();
      if (!stopped) await fs.writeFile(file, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
    } catch (error) {
      // A missed beat is what the healthcheck looks for; the log says why.
      logger.warn({ err: error, file }, 'liveness probe failed');
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), LIVENESS_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await fs.rm(file, { force: true });
    },
  };
}

/** Seconds since the file was last written, or null when there is none. */
export async function livenessAgeSeconds(file: string, now = Date.now()): Promise<number | null> {
  try {
    const { mtimeMs } = await fs.stat(file);
    return Math.max(0, (now - mtimeMs) / 1000);
  } catch {
    return null;
  }
}
