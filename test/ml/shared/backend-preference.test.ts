import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { currentBackend, initTensorflowBackend } from '../../../src/ml/shared/backend.ts';

// A file of its own: the backend is chosen once per process (module), by the first call.
describe('initTensorflowBackend(preference)', () => {
  it('starts the backend the caller asks for, and later calls share it whatever they ask', async () => {
    const first = await initTensorflowBackend('cpu');
    expect(first.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await initTensorflowBackend('wasm')).toBe(first);
    expect(currentBackend()).toBe('cpu');
  });
});
