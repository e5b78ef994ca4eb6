/** Small dense linear algebra on typed arrays (k ≤ a few hundred). */

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
