/**
 * The training thread (started by training-thread.ts through training-worker.mjs). It trains
 * once from workerData, answers with the result, then stays to score earlier versions on this
 * run's split until the main thread terminates it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { COMPUTE, outputTransferList, serializeError, type ComputeFunction, type ComputeKind, type ComputeSession } from './training-compute.ts';
import type { ThreadRequest, ThreadStart, WorkerMessage } from './training-thread.ts';

const port = parentPort;
if (!port) throw new Error('training-worker.ts runs on a worker thread only');
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let session: ComputeSession<unknown> | null = null;

port.on('message', (request: ThreadRequest) => {
  void (async () => {
    try {
      if (!session) throw new Error('no trained model on this thread');
      post({ type: 'evaluated', id: request.id, score: await session.evaluate(request.artifact) });
    } catch (error) {
      post({ type: 'evaluated', id: request.id, error: serializeError(error) });
    }
  })();
});

async function train<K extends ComputeKind>({ kind, input, backend }: ThreadStart<K>): Promise<void> {
  try {
    const compute = COMPUTE[kind] as ComputeFunction<K>;
    const opened = await compute(input, (progress) => post({ type: 'progress', progress }), { backend });
    const transfer = outputTransferList(opened.output);
    session = opened;
    post({ type: 'result', output: opened.output }, transfer);
  } catch (error) {
    post({ type: 'error', error: serializeError(error) });
  }
}

await train(workerData as ThreadStart<ComputeKind>);
