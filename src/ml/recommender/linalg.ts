/** Dense linear algebra on typed arrays: small k×k solves (ALS) and one large SPD inverse (EASE). */

/** In-place Cholesky of a symmetric positive definite n×n matrix (lower triangle). Adds jitter if needed. */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let attempt = 0; attempt < 4; attempt++) {
    const jitter = attempt === 0 ? 0 : 1e-8 * Math.pow(100, attempt);
    let ok = true;
    l.fill(0);
    for (let i = 0; i < n && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[i * n + j] + (i === j ? jitter : 0);
        for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
        if (i === j) {
          if (s <= 0) {
            ok = false;
            break;
          }
          l[i * n + i] = Math.sqrt(s);
        } else {
          l[i * n + j] = s / l[j * n + j];
        }
      }
    }
    if (ok) return l;
  }
  throw new Error('cholesky: matrix is not positive definite');
}

/** Solves L Lᵀ x = b for each of the m right-hand sides stored as columns of b (n×m, row-major). */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, m = 1): Float64Array {
  const x = Float64Array.from(b);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let s = x[i * m + c];
      for (let k = 0; k < i; k++) s -= l[i * n + k] * x[k * m + c];
      x[i * m + c] = s / l[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * m + c];
      for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k * m + c];
      x[i * m + c] = s / l[i * n + i];
    }
  }
  return x;
}

/** Gramian MᵀM of a rows×k row-major matrix. */
export function gramian(m: Float32Array, rows: number, k: number): Float64Array {
  const g = new Float64Array(k * k);
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    for (let i = 0; i < k; i++) {
      const v = m[o + i];
      if (v === 0) continue;
      const gi = i * k;
      for (let j = i; j < k; j++) g[gi + j] += v * m[o + j];
    }
  }
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) g[i * k + j] = g[j * k + i];
  return g;
}

export function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += a[ao + i] * b[bo + i];
  return s;
}

/**
 * C = op(A)·op(B), all row-major: op(A) is m×k, op(B) is k×n. `transA` means A
 * is stored k×m, `transB` that B is stored n×k. Result m×n.
 */
export type MatMul = (a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA?: boolean, transB?: boolean) => Float32Array;

/** Rows of op(X) (r×k) laid out contiguously along k, so both operands of the kernel stream. */
function packRows(x: Float32Array, rows: number, k: number, transposed: boolean): Float64Array {
  const out = new Float64Array(rows * k);
  if (!transposed) {
    for (let i = 0; i < rows * k; i++) out[i] = x[i];
    return out;
  }
  // x is stored k×rows.
  for (let p = 0; p < k; p++) {
    const o = p * rows;
    for (let i = 0; i < rows; i++) out[i * k + p] = x[o + i];
  }
  return out;
}

/**
 * Plain-JS matrix product with a 4×4 register block over packed rows (both
 * operands read sequentially along k): ≈ 3 GFLOP/s here, 3–5× below the
 * TensorFlow.js wasm kernel, so it serves small blocks and runs without a backend.
 */
export const jsMatMul: MatMul = (a, b, m, k, n, transA = false, transB = false) => {
  const pa = packRows(a, m, k, transA);
  // op(B) is k×n; its columns as rows = B stored n×k when transB, else Bᵀ.
  const pb = packRows(b, n, k, !transB);
  const c = new Float32Array(m * n);
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    for (let j = 0; j < n4; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = pa[a0 + p],
          x1 = pa[a1 + p],
          x2 = pa[a2 + p],
          x3 = pa[a3 + p];
        const y0 = pb[b0 + p],
          y1 = pb[b1 + p],
          y2 = pb[b2 + p],
          y3 = pb[b3 + p];
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
        c20 += x2 * y0;
        c21 += x2 * y1;
        c22 += x2 * y2;
        c23 += x2 * y3;
        c30 += x3 * y0;
        c31 += x3 * y1;
        c32 += x3 * y2;
        c33 += x3 * y3;
      }
      let o = i * n + j;
      c[o] = c00;
      c[o + 1] = c01;
      c[o + 2] = c02;
      c[o + 3] = c03;
      o += n;
      c[o] = c10;
      c[o + 1] = c11;
      c[o + 2] = c12;
      c[o + 3] = c13;
      o += n;
      c[o] = c20;
      c[o + 1] = c21;
      c[o + 2] = c22;
      c[o + 3] = c23;
      o += n;
      c[o] = c30;
      c[o + 1] = c31;
      c[o + 2] = c32;
      c[o + 3] = c33;
    }
  }
  // Ragged edges (at most 3 rows / columns): plain dot products.
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let s = 0;
      const ao = i * k;
      const bo = j * k;
      for (let p = 0; p < k; p++) s += pa[ao + p] * pb[bo + p];
      c[i * n + j] = s;
    }
  }
  return c;
};

/** Inverse of a small SPD matrix in Float64 (Cholesky, then n solves). */
function smallSpdInverse(a: Float32Array, n: number): Float32Array {
  const a64 = Float64Array.from(a);
  const eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  const inv = choleskySolve(cholesky(a64, n), n, eye, n);
  const out = new Float32Array(n * n);
  // Symmetrise: the two triangles come from different solves.
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) out[i * n + j] = out[j * n + i] = 0.5 * (inv[i * n + j] + inv[j * n + i]);
  return out;
}

function block(a: Float32Array, n: number, r0: number, c0: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) out.set(a.subarray((r0 + i) * n + c0, (r0 + i) * n + c0 + cols), i * cols);
  return out;
}

/**
 * Inverse of a symmetric positive definite n×n matrix (Float32, row-major) by
 * recursive 2×2 block inversion through the Schur complement:
 *   [A B; Bᵀ C]⁻¹ = [A⁻¹ + W Yᵀ, −W; −Wᵀ, S⁻¹],  Y = A⁻¹B, S = C − BᵀY, W = Y S⁻¹.
 * Every Schur complement of an SPD matrix is SPD, so no pivoting is needed.
 * 4n³/3 flops, nearly all in four large products per level: that is what
 * lets a fast `matmul` (the TensorFlow.js wasm kernel, ≈ 15 GFLOP/s here)
 * carry the cost, unlike an element-wise Cholesky (≈ 1 GFLOP/s in JS).
 * Leaves (≤ `leaf`) are inverted in Float64.
 */
export function invertSpd(a: Float32Array, n: number, matmul: MatMul = jsMatMul, leaf = 192): Float32Array {
  if (n <= leaf) return smallSpdInverse(a, n);
  const h = Math.ceil(n / 2);
  const r = n - h;
  const x = invertSpd(block(a, n, 0, 0, h, h), h, matmul, leaf);
  const b = block(a, n, 0, h, h, r);
  const y = matmul(x, b, h, h, r); // A⁻¹B, h×r
  const s = matmul(b, y, r, h, r, true); // BᵀA⁻¹B, r×r
  for (let i = 0; i < r; i++) {
    const row = (h + i) * n + h;
    for (let j = 0; j < r; j++) s[i * r + j] = a[row + j] - s[i * r + j];
  }
  for (let i = 0; i < r; i++) for (let j = 0; j < i; j++) s[i * r + j] = s[j * r + i] = 0.5 * (s[i * r + j] + s[j * r + i]);
  const z = invertSpd(s, r, matmul, leaf);
  const w = matmul(y, z, h, r, r); // Y S⁻¹, h×r
  const wy = matmul(w, y, h, r, h, false, true); // W Yᵀ, h×h
  const out = new Float32Array(n * n);
  for (let i = 0; i < h; i++) {
    const o = i * n;
    for (let j = 0; j < h; j++) out[o + j] = x[i * h + j] + wy[i * h + j];
    for (let j = 0; j < r; j++) {
      const v = -w[i * r + j];
      out[o + h + j] = v;
      out[(h + j) * n + i] = v;
    }
  }
  for (let i = 0; i < r; i++) out.set(z.subarray(i * r, (i + 1) * r), (h + i) * n + h);
  return out;
}
