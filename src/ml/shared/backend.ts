import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/**
 * Which backend to start from: 'auto' and 'tensorflow' try tfjs-node, then wasm, then cpu;
 * 'wasm' tries wasm, then cpu; 'cpu' uses cpu. The caller reads it from its configuration
 * (TFJS_BACKEND): the ML core reads no environment.
 */
export type BackendPreference = 'auto' | BackendName;

let initializing: Promise<{ name: BackendName }> | undefined;
let current: BackendName | undefined;

/**
 * Picks the fastest TensorFlow.js backend that works here: tfjs-node (native,
 * optional dependency that often cannot install), then WebAssembly (ships its
 * .wasm files, works offline), then pure-JS cpu, starting where `preference` says.
 * Idempotent: concurrent and repeated calls share one initialisation, so the first call's
 * preference decides (a process starts the backend once, at start-up, from its configuration;
 * later calls, e.g. from training, only wait for it). Logs nothing; callers report the name.
 */
export function initTensorflowBackend(preference: BackendPreference = 'auto'): Promise<{ name: BackendName }> {
  initializing ??= (async () => {
    const name = (await tryNode(preference)) ?? (await tryWasm(preference)) ?? (await useCpu());
    current = name;
    return { name };
  })();
  return initializing;
}

/** The backend chosen by {@link initTensorflowBackend}, or undefined before it has finished. */
export function currentBackend(): BackendName | undefined {
  return current;
}

async function tryNode(preference: BackendPreference): Promise<BackendName | undefined> {
  if (preference !== 'auto' && preference !== 'tensorflow') return undefined;
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
    const specifier = '@tensorflow/tfjs-node';
    await import(specifier);
    if (await tf.setBackend('tensorflow')) return 'tensorflow';
  } catch {
    // Not installed or its native library failed to load: fall through.
  }
  return undefined;
}

async function tryWasm(preference: BackendPreference): Promise<BackendName | undefined> {
  if (preference === 'cpu') return undefined;
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Point at the package's own dist/ so the .wasm binaries load from disk, offline.
    const require = createRequire(import.meta.url);
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dist);
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return 'wasm';
    }
  } catch {
    // Fall through to cpu.
  }
  return undefined;
}

async function useCpu(): Promise<BackendName> {
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}
