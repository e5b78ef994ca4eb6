import type { Logger } from './logger.ts';
import { flushTracing } from './tracing/tracing.ts';

export interface GracefulShutdown {
  /** Stops once (later calls wait for nothing), then exits with `exitCode`. */
  (reason: string, exitCode?: number): Promise<void>;
}

/**
 * The one shutdown sequence of every process (API primary, server process, worker): on
 * SIGINT/SIGTERM run `stop` once, exit 0 when it completes, 1 when it fails or takes longer than
 * SHUTDOWN_TIMEOUT_SECONDS. Returns the same sequence for callers that stop on their own.
 */
export function handleShutdownSignals(options: {
  logger: Logger;
  timeoutSeconds: number;
  stop: () => Promise<void>;
  /** Logged when the sequence starts (nothing is logged when omitted). */
  stoppingMessage?: string;
  stoppedMessage?: string;
}): GracefulShutdown {
  const { logger } = options;
  let stopping = false;
  const shutdown: GracefulShutdown = async (reason, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    if (options.stoppingMessage) logger.info({ signal: reason }, options.stoppingMessage);
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, options.timeoutSeconds * 1000);
    force.unref();
    try {
      await options.stop();
      // Spans still buffered would be lost with the process (a no-op when tracing is off).
      await flushTracing().catch((error: unknown) => logger.warn({ err: error }, 'could not export the last traces'));
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    if (options.stoppedMessage) logger.info(options.stoppedMessage);
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  return shutdown;
}
