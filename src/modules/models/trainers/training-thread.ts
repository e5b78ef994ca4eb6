/**
 * Runs the CPU-bound part of a training job (training-compute.ts) on a worker thread of its own,
 * or inline when TRAINING_THREAD=main. The trainers keep every database read and write on the
 * calling thread and hand over plain data only.
 */
import { Worker } from 'node:worker_threads';
import type { BackendPreference } from '../../../ml/shared/backend.ts';
import type { TrainingProgressUpdate, TrainingThreadMode } from './trainer.ts';
import { COMPUTE, inputTransferList, reviveError, type ComputeFunction, type ComputeKind, type ComputeTasks, type SerializedError } from './training-compute.ts';

/** workerData of the training thread. */
export interface ThreadStart<K extends ComputeKind> {
  kind: K;
  input: ComputeTasks[K]['input'];
  /** TFJS_BACKEND: the thread starts TensorFlow.js of its own. */
  backend?: BackendPreference;
}

/** Main thread → training thread, after the result: score an earlier version on this run's split. */
export interface ThreadRequest {
  id: number;
  artifact: Uint8Array;
}

/** Training thread → main thread. */
export type WorkerMessage =
  | { type: 'progress'; progress: unknown }
  | { type: 'result'; output: unknown }
  | { type: 'error'; error: SerializedError }
  | { type: 'evaluated'; id: number; score?: number | null; error?: SerializedError };

export interface TrainingSession<Output> {
  output: Output;
  /** Where the model was trained (and where evaluate runs). */
  thread: TrainingThreadMode;
  /** Scores another stored version on this run's test split; see TrainedModel.evaluateArtifact. */
  evaluate(artifact: Uint8Array): Promise<number | null>;
  /** Ends the training thread (idempotent). evaluate fails afterwards. */
  dispose(): void;
}

export interface TrainingRunOptions<K extends ComputeKind> {
  thread?: TrainingThreadMode;
  /** Called in order, on the calling thread, for every progress report of the ML core. */
  onProgress: (progress: ComputeTasks[K]['progress']) => void;
  /** Aborting terminates the training thread; the run rejects with an AbortError. */
  signal?: AbortSignal;
  /** Another worker script speaking the same protocol (tests: crashes). */
  entry?: URL;
  /** TFJS_BACKEND (default 'auto'). */
  backend?: BackendPreference;
}

// A .mjs bootstrap: worker threads do not get the TypeScript loader of the process (see it).
const WORKER_ENTRY = new URL('./training-worker.mjs', import.meta.url);

/** Trains a model of this kind from plain data and keeps the run open for evaluations. */
export async function runTraining<K extends ComputeKind>(
  kind: K,
  input: ComputeTasks[K]['input'],
  options: TrainingRunOptions<K>,
): Promise<TrainingSession<ComputeTasks[K]['output']>> {
  options.signal?.throwIfAborted();
  if (options.thread === 'main') {
    const compute = COMPUTE[kind] as ComputeFunction<K>;
    const session = await compute(input, options.onProgress, { signal: options.signal, backend: options.backend });
    return { output: session.output, thread: 'main', evaluate: (artifact) => session.evaluate(artifact), dispose: () => undefined };
  }
  return runOnWorker(kind, input, options);
}

/**
 * A trainer's run: the core's progress mapped to job updates and written in order (the core
 * does not wait for them), then the 'storing' update. If that write fails the session is ended
 * here, as no caller will get it to dispose.
 */
export async function runTrainingWithProgress<K extends ComputeKind>(
  kind: K,
  input: ComputeTasks[K]['input'],
  options: Omit<TrainingRunOptions<K>, 'onProgress'> & {
    onProgress: (update: TrainingProgressUpdate) => Promise<void>;
    toUpdate: (progress: ComputeTasks[K]['progress']) => TrainingProgressUpdate;
  },
): Promise<TrainingSession<ComputeTasks[K]['output']>> {
  const { onProgress, toUpdate, ...run } = options;
  let chain: Promise<void> = Promise.resolve();
  let session: TrainingSession<ComputeTasks[K]['output']>;
  try {
    session = await runTraining(kind, input, {
      ...run,
      onProgress: (progress) => {
        const update = toUpdate(progress);
        chain = chain.then(() => onProgress(update)).catch(() => undefined);
      },
    });
  } finally {
    await chain;
  }
  try {
    await onProgress({ stage: 'storing', fraction: 0.97 });
  } catch (error) {
    session.dispose();
    throw error;
  }
  return session;
}

function abortError(signal: AbortSignal): Error {
  if (signal.reason instanceof Error) return signal.reason;
  const error = new Error('training aborted');
  error.name = 'AbortError';
  return error;
}

function runOnWorker<K extends ComputeKind>(kind: K, input: ComputeTasks[K]['input'], options: TrainingRunOptions<K>): Promise<TrainingSession<ComputeTasks[K]['output']>> {
  type Output = ComputeTasks[K]['output'];
  const start: ThreadStart<K> = { kind, input, backend: options.backend };
  const worker = new Worker(options.entry ?? WORKER_ENTRY, { workerData: start, transferList: inputTransferList(kind, input) });
  const pending = new Map<number, { resolve: (score: number | null) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let stopped: Error | null = null;

  return new Promise<TrainingSession<Output>>((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | null, output?: Output) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      if (error) {
        stop(error);
        reject(error);
        return;
      }
      // Idle between evaluations: never the reason a process stays up.
      worker.unref();
      resolve({
        output: output as Output,
        thread: 'worker',
        evaluate(artifact) {
          if (stopped) return Promise.reject(stopped);
          const id = nextId++;
          worker.ref();
          // Cloned, not transferred: the caller's bytes stay usable (and may share a pooled buffer).
          worker.postMessage({ id, artifact } satisfies ThreadRequest);
          return new Promise<number | null>((resolveScore, rejectScore) => pending.set(id, { resolve: resolveScore, reject: rejectScore }));
        },
        dispose() {
          stop(new Error('the training thread was closed'));
        },
      });
    };
    const stop = (reason: Error) => {
      if (stopped) return;
      stopped = reason;
      for (const { reject: rejectScore } of pending.values()) rejectScore(reason);
      pending.clear();
      void worker.terminate();
    };
    const onAbort = () => settle(abortError(options.signal!));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') {
        if (!settled) options.onProgress(message.progress as ComputeTasks[K]['progress']);
      } else if (message.type === 'result') {
        settle(null, message.output as Output);
      } else if (message.type === 'error') {
        settle(reviveError(message.error));
      } else if (message.type === 'evaluated') {
        const waiting = pending.get(message.id);
        if (!waiting) return;
        pending.delete(message.id);
        if (pending.size === 0) worker.unref();
        if (message.error) waiting.reject(reviveError(message.error));
        else waiting.resolve(message.score ?? null);
      }
    });
    // An uncaught exception on the thread (it failed to load, say); 'exit' follows.
    worker.on('error', (error: Error) => {
      const failure = new Error(`The training thread failed: ${error.message}`, { cause: error });
      settle(failure);
      stop(failure);
    });
    worker.on('exit', (code) => {
      const failure = new Error(
        code === 0 ? 'The training thread ended without a result.' : `The training thread stopped with exit code ${code} before it finished (it ran out of memory or was stopped).`,
      );
      settle(failure);
      stop(failure);
    });
  });
}
