import * as tf from '@tensorflow/tfjs';
import type { SparseVector } from '../text/vectorizer.js';
import { createRandom, gaussian } from '../shared/random.js';

/**
 * Softmax classifier over sparse TF-IDF rows: logits = relu(x·W1 + b1)·W2 + b2,
 * or, with hidden = 0, the linear model logits = x·W1 + b1.
 *
 * W1 has one row per vocabulary feature (up to ~10^5 rows). A dense Adam step
 * over such a table costs ~375 ms on the wasm backend (measured, 100k×64), so
 * W1 lives in a Float32Array and only the rows touched by a batch are sent to
 * TensorFlow.js as a small tensor; tfjs computes the loss and all gradients
 * (the batch is a dense [batch × uniqueFeatures] matrix, so plain matMul
 * gradients are used, which every backend implements), and those rows get a
 * "lazy" Adam update (the sparse-gradient variant used for embeddings).
 * The small dense layers (b1, W2, b2) are ordinary tf.Variables trained by tf.train.adam.
 */
export interface SparseNetShape {
  inputSize: number;
  hidden: number; // 0 = linear
  classes: number;
}

export interface SparseNetWeights extends SparseNetShape {
  w1: Float32Array; // inputSize × width, row-major
  b1: Float32Array; // width
  w2: Float32Array; // hidden × classes (empty when linear)
  b2: Float32Array; // classes (empty when linear)
  /** Optional fixed multiplier of W1 (same layout), e.g. NB log-count ratios; empty = none. */
  scale: Float32Array;
}

export interface TrainStepOptions {
  learningRate: number;
  l2: number;
  dropout: number;
  seed: number;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

export class SparseNet {
  readonly shape: SparseNetShape;
  /** Output width of the first layer: hidden units, or classes when linear. */
  readonly width: number;
  private w1: Float32Array;
  private scale: Float32Array | undefined;
  private m1: Float32Array | undefined;
  private v1: Float32Array | undefined;
  private b1: tf.Variable;
  private w2: tf.Variable | undefined;
  private b2: tf.Variable | undefined;
  private optimizer: tf.AdamOptimizer | undefined;
  private optimizerLr = 0;
  private step = 0;

  private constructor(shape: SparseNetShape, w: Partial<SparseNetWeights>, seed: number) {
    this.shape = shape;
    this.width = shape.hidden > 0 ? shape.hidden : shape.classes;
    const random = createRandom(seed);
    this.scale = w.scale && w.scale.length > 0 ? w.scale : undefined;
    if (this.scale && this.scale.length !== shape.inputSize * this.width) throw new RangeError('scale has the wrong size');
    if (w.w1) {
      this.w1 = w.w1;
    } else {
      // Rows are L2-normalised, so each first-layer unit has variance ≈ σ²; σ keeps units in ReLU's useful range.
      const sigma = shape.hidden > 0 ? 0.5 : 0;
      this.w1 = new Float32Array(shape.inputSize * this.width);
      if (sigma > 0) for (let i = 0; i < this.w1.length; i++) this.w1[i] = gaussian(random) * sigma;
    }
    this.b1 = tf.variable(tf.tensor1d(w.b1 ?? new Float32Array(this.width)), true);
    if (shape.hidden > 0) {
      let w2 = w.w2;
      if (!w2) {
        // Glorot-normal init for the small head.
        const s = Math.sqrt(2 / (shape.hidden + shape.classes));
        w2 = Float32Array.from({ length: shape.hidden * shape.classes }, () => gaussian(random) * s);
      }
      this.w2 = tf.variable(tf.tensor2d(w2, [shape.hidden, shape.classes]), true);
      this.b2 = tf.variable(tf.tensor1d(w.b2 ?? new Float32Array(shape.classes)), true);
    }
  }

  static create(shape: SparseNetShape, seed: number, scale?: Float32Array): SparseNet {
    return new SparseNet(shape, { scale }, seed);
  }

  static fromWeights(w: SparseNetWeights): SparseNet {
    return new SparseNet(w, w, 0);
  }

  /** One gradient step on a batch; returns the mean cross-entropy. */
  trainBatch(rows: readonly SparseVector[], labels: Int32Array, opts: TrainStepOptions): number {
    const { classes } = this.shape;
    const width = this.width;
    // Unique features of the batch, and a dense batch × unique matrix of their weights.
    const local = new Map<number, number>();
    for (const r of rows) for (const i of r.indices) if (!local.has(i)) local.set(i, local.size);
    const u = local.size;
    const xData = new Float32Array(rows.length * u);
    rows.forEach((r, b) => {
      for (let k = 0; k < r.indices.length; k++) xData[b * u + local.get(r.indices[k])!] = r.values[k];
    });
    const ids = Int32Array.from(local.keys());
    const wsubData = new Float32Array(u * width);
    for (let k = 0; k < u; k++) wsubData.set(this.w1.subarray(ids[k] * width, (ids[k] + 1) * width), k * width);
    const sc = this.scale;
    if (sc) for (let k = 0; k < u; k++) for (let j = 0; j < width; j++) wsubData[k * width + j] *= sc[ids[k] * width + j];

    if (!this.optimizer || this.optimizerLr !== opts.learningRate) {
      this.optimizer?.dispose();
      this.optimizer = tf.train.adam(opts.learningRate, BETA1, BETA2, EPS);
      this.optimizerLr = opts.learningRate;
    }
    this.step++;
    const stepSeed = (opts.seed * 1_000_003 + this.step) >>> 0;

    const { loss, gradW, denseGrads } = tf.tidy(() => {
      const x = tf.tensor2d(xData, [rows.length, u]);
      const wsub = tf.tensor2d(wsubData, [u, width]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
      const dense: tf.Variable[] = [this.b1, ...(this.w2 ? [this.w2, this.b2!] : [])];
      const f = (wRows: tf.Tensor, ...d: tf.Tensor[]): tf.Scalar => {
        const logits = this.head(tf.add(tf.matMul(x, wRows), d[0]), d[1], d[2], opts.dropout, stepSeed);
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(f)([wsub, ...dense]);
      const named: { name: string; tensor: tf.Tensor }[] = [];
      dense.forEach((v, i) => {
        // Decoupled weight decay on the dense head weights (not on biases).
        named.push({ name: v.name, tensor: v === this.w2 && opts.l2 > 0 ? tf.add(grads[i + 1], tf.mul(v, opts.l2)) : grads[i + 1] });
      });
      return { loss: value, gradW: grads[0], denseGrads: named };
    });
    this.optimizer.applyGradients(denseGrads);
    const g = gradW.dataSync() as Float32Array;
    // Chain rule through the fixed scale: d/dW1 = d/dW_eff * scale.
    if (sc) for (let k = 0; k < u; k++) for (let j = 0; j < width; j++) g[k * width + j] *= sc[ids[k] * width + j];
    const lossValue = loss.dataSync()[0];
    tf.dispose([loss, gradW, ...denseGrads.map((g) => g.tensor)]);
    this.lazyAdam(ids, g, opts.learningRate, opts.l2);
    return lossValue;
  }

  private head(z: tf.Tensor, w2: tf.Tensor | undefined, b2: tf.Tensor | undefined, dropout: number, seed: number): tf.Tensor {
    if (!w2 || !b2) return z;
    let h = tf.relu(z);
    if (dropout > 0) h = tf.dropout(h, dropout, undefined, seed);
    return tf.add(tf.matMul(h, w2), b2);
  }

  private lazyAdam(ids: Int32Array, g: Float32Array, lr: number, l2: number): void {
    const width = this.width;
    this.m1 ??= new Float32Array(this.w1.length);
    this.v1 ??= new Float32Array(this.w1.length);
    const m = this.m1;
    const v = this.v1;
    const w = this.w1;
    const c1 = 1 - Math.pow(BETA1, this.step);
    const c2 = 1 - Math.pow(BETA2, this.step);
    for (let k = 0; k < ids.length; k++) {
      const base = ids[k] * width;
      for (let j = 0; j < width; j++) {
        const p = base + j;
        const gj = g[k * width + j] + l2 * w[p]; // L2 penalty on the rows this batch uses
        m[p] = BETA1 * m[p] + (1 - BETA1) * gj;
        v[p] = BETA2 * v[p] + (1 - BETA2) * gj * gj;
        w[p] -= (lr * (m[p] / c1)) / (Math.sqrt(v[p] / c2) + EPS);
      }
    }
  }

  /** First-layer pre-activations x·W1 + b1 (sparse, computed directly). */
  private firstLayer(rows: readonly SparseVector[]): Float32Array {
    const width = this.width;
    const out = new Float32Array(rows.length * width);
    const b1 = this.b1.dataSync() as Float32Array;
    rows.forEach((r, b) => {
      const o = b * width;
      out.set(b1, o);
      for (let k = 0; k < r.indices.length; k++) {
        const base = r.indices[k] * width;
        const val = r.values[k];
        const sc = this.scale;
        if (sc) for (let j = 0; j < width; j++) out[o + j] += val * this.w1[base + j] * sc[base + j];
        else for (let j = 0; j < width; j++) out[o + j] += val * this.w1[base + j];
      }
    });
    return out;
  }

  /** Class probabilities, row-major rows × classes. */
  predictProba(rows: readonly SparseVector[]): Float32Array {
    if (rows.length === 0) return new Float32Array(0);
    const z = this.firstLayer(rows);
    return tf.tidy(() => {
      const logits = this.head(tf.tensor2d(z, [rows.length, this.width]), this.w2, this.b2, 0, 0);
      return tf.softmax(logits).dataSync() as Float32Array;
    });
  }

  /**
   * Per-feature contribution to each class logit for one row, by gradient × input
   * on the first layer (exact for the linear model; a first-order attribution for
   * the hidden model). Returns contributions[k*classes + c] for row feature k.
   */
  contributions(row: SparseVector): Float32Array {
    const { classes } = this.shape;
    const width = this.width;
    const nnz = row.indices.length;
    const out = new Float32Array(nnz * classes);
    let jac: Float32Array; // width × classes: d logit_c / d z_j
    if (this.w2) {
      const z = this.firstLayer([row]);
      const w2 = this.w2.dataSync() as Float32Array;
      jac = new Float32Array(width * classes);
      for (let j = 0; j < width; j++) if (z[j] > 0) jac.set(w2.subarray(j * classes, (j + 1) * classes), j * classes);
    } else {
      jac = new Float32Array(width * classes);
      for (let j = 0; j < width; j++) jac[j * classes + j] = 1;
    }
    for (let k = 0; k < nnz; k++) {
      const base = row.indices[k] * width;
      const val = row.values[k];
      for (let j = 0; j < width; j++) {
        const a = val * this.w1[base + j] * (this.scale ? this.scale[base + j] : 1);
        if (a === 0) continue;
        for (let c = 0; c < classes; c++) out[k * classes + c] += a * jac[j * classes + c];
      }
    }
    return out;
  }

  weights(): SparseNetWeights {
    return {
      ...this.shape,
      w1: this.w1.slice(),
      b1: (this.b1.dataSync() as Float32Array).slice(),
      w2: this.w2 ? (this.w2.dataSync() as Float32Array).slice() : new Float32Array(0),
      b2: this.b2 ? (this.b2.dataSync() as Float32Array).slice() : new Float32Array(0),
      scale: this.scale ? this.scale.slice() : new Float32Array(0),
    };
  }

  /** Restores parameters (e.g. the best early-stopping snapshot); optimizer state is kept. */
  setWeights(w: SparseNetWeights): void {
    this.w1.set(w.w1);
    tf.tidy(() => {
      this.b1.assign(tf.tensor1d(w.b1));
      if (this.w2 && this.b2) {
        this.w2.assign(tf.tensor2d(w.w2, [this.shape.hidden, this.shape.classes]));
        this.b2.assign(tf.tensor1d(w.b2));
      }
    });
  }

  dispose(): void {
    this.optimizer?.dispose();
    tf.dispose([this.b1, ...(this.w2 ? [this.w2] : []), ...(this.b2 ? [this.b2] : [])]);
    this.m1 = undefined;
    this.v1 = undefined;
  }
}
