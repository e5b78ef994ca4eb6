import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initTensorflowBackend, currentBackend } from '../../../src/ml/shared/backend.js';

describe('initTensorflowBackend', () => {
  it('selects a working backend once and reports it', async () => {
    const [a, b] = await Promise.all([initTensorflowBackend(), initTensorflowBackend()]);
    expect(['tensorflow', 'wasm', 'cpu']).toContain(a.name);
    expect(b).toBe(a);
    expect(currentBackend()).toBe(a.name);
    expect(tf.getBackend()).toBe(a.name);
    const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync());
    expect(Array.from(sum)).toEqual([4, 6]);
  });
});
