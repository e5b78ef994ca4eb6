/**
 * The one dense matrix product that dominates evaluation and tuning (a batch of
 * user factors × all item factors) runs on TensorFlow.js when a backend is
 * initialised (~2× faster than plain loops on the wasm backend here, far more
 * with tfjs-node); serving stays in plain typed arrays (per-request tensor
 * set-up would cost more than the 10k×64 product itself).
 */
import * as tf from '@tensorflow/tfjs';
import { initTensorflowBackend, type BackendPreference } from '../shared/backend.js';
import { jsMatMul, type MatMul } from './linalg.js';

let backendName: string | null = null;

export async function ensureBackend(preference?: BackendPreference): Promise<string> {
  if (backendName !== null) return backendName;
  try {
    backendName = (await initTensorflowBackend(preference)).name;
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

/** Whether {@link denseMatMul} has a fast kernel (wasm or native TensorFlow) rather than plain JS. */
export function fastMatMulAvailable(): boolean {
  return backendName === 'wasm' || backendName === 'tensorflow';
}

/** Below this many multiply-adds the tensor set-up costs more than the JS kernel. */
const TF_MATMUL_MIN_WORK = 1 << 22;

/**
 * Dense Float32 product for large blocks (EASE's SPD inverse): the wasm
 * backend's matMul runs ≈ 15 GFLOP/s here against ≈ 3 for the JS kernel. The
 * cpu backend is not faster than plain JS, so it is not used.
 */
export const denseMatMul: MatMul = (a, b, m, k, n, transA = false, transB = false) => {
  if (!fastMatMulAvailable() || m * k * n < TF_MATMUL_MIN_WORK) {
    return jsMatMul(a, b, m, k, n, transA, transB);
  }
  // The wasm kernel's transposed variants run ≈ 10× slower (≈ 2 GFLOP/s): transposing in JS is O(n²).
  const left = transA ? transpose(a, k, m) : a;
  const right = transB ? transpose(b, n, k) : b;
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(left, [m, k]), tf.tensor2d(right, [k, n])));
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
};

/** Transpose of a rows×cols row-major matrix. */
function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = x[o + j];
  }
  return out;
}
