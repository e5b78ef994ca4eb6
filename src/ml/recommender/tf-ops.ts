/**
 * The one dense matrix product that dominates evaluation and tuning (a batch of
 * user factors × all item factors) runs on TensorFlow.js when a backend is
 * initialised (~2× faster than plain loops on the wasm backend here, far more
 * with tfjs-node); serving stays in plain typed arrays (per-request tensor
 * set-up would cost more than the 10k×64 product itself).
 */
import * as tf from '@tensorflow/tfjs';
import { initTensorflowBackend } from '../shared/backend.js';

let backendName: string | null = null;

export async function ensureBackend(): Promise<string> {
  if (backendName !== null) return backendName;
  try {
    backendName = (await initTensorflowBackend()).name;
  } catch {
    backendName = 'js';
  }
  return backendName;
}

/** Item factor matrix kept on the backend across batches. */
export interface ItemMatrixHandle {
  scoreBatch(userRows: Float32Array, batch: number): Float32Array;
  dispose(): void;
}

export function itemMatrix(items: Float32Array, itemCount: number, k: number): ItemMatrixHandle {
  if (backendName === null || backendName === 'js') return jsItemMatrix(items, itemCount, k);
  const v = tf.tensor2d(items, [itemCount, k]);
  return {
    scoreBatch(userRows: Float32Array, batch: number): Float32Array {
      const t = tf.tidy(() => tf.matMul(tf.tensor2d(userRows, [batch, k]), v, false, true));
      const out = t.dataSync() as Float32Array;
      t.dispose();
      return out;
    },
    dispose: () => v.dispose(),
  };
}

function jsItemMatrix(items: Float32Array, itemCount: number, k: number): ItemMatrixHandle {
  return {
    scoreBatch(userRows: Float32Array, batch: number): Float32Array {
      const out = new Float32Array(batch * itemCount);
      for (let b = 0; b < batch; b++) {
        for (let i = 0; i < itemCount; i++) {
          let s = 0;
          for (let d = 0; d < k; d++) s += userRows[b * k + d] * items[i * k + d];
          out[b * itemCount + i] = s;
        }
      }
      return out;
    },
    dispose: () => undefined,
  };
}
