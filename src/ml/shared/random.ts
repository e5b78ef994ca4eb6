/**
 * The seeded random numbers of the ML core (not cryptographic). Two generators, because stored
 * models, synthetic data sets and test fixtures were made with each and must stay reproducible
 * (same data, same seed, same model):
 * - {@link createRng}: sfc32 seeded through splitmix32, the default (recommender: ALS
 *   initialisation, evaluation sampling, synthetic behaviour);
 * - {@link createRandom}: mulberry32, a bare `() => number` (text classifier: splits, shuffles,
 *   weight initialisation; the demo seed data).
 * Shuffling, normal samples and picks are written once, over any uniform source.
 */

/** Uniform float in [0, 1). */
export type Random = () => number;

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number;
  /** Pick one element uniformly. */
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: fast, 32-bit state, good enough for shuffling and initialisation. */
export function createRandom(seed: number): Random {
  let a = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** sfc32 as a uniform source. */
function sfc32(seed: number): Random {
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const nextU32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  // Warm up: the first outputs of sfc32 are weakly mixed.
  for (let i = 0; i < 12; i++) nextU32();
  return () => nextU32() / 4294967296;
}

/** Box–Muller on two uniforms from `random`: [r·cos θ, r·sin θ]. */
function normalPair(random: Random): [number, number] {
  let u = 0;
  while (u === 0) u = random();
  const v = random();
  const r = Math.sqrt(-2 * Math.log(u));
  return [r * Math.cos(2 * Math.PI * v), r * Math.sin(2 * Math.PI * v)];
}

/** An {@link Rng} over a uniform source. */
export function rngFrom(random: Random): Rng {
  let spare: number | null = null;
  return {
    next: random,
    int: (n: number) => Math.floor(random() * n),
    normal: () => {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      const [a, b] = normalPair(random);
      spare = b;
      return a;
    },
    pick: <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)],
  };
}

export function createRng(seed = 42): Rng {
  return rngFrom(sfc32(seed));
}

/** One standard normal sample per call (the pair's second value is dropped). */
export function gaussian(random: Random): number {
  return normalPair(random)[0];
}

function uniformOf(source: Random | Rng): Random {
  return typeof source === 'function' ? source : source.next;
}

/** In-place Fisher–Yates shuffle. */
export function shuffleInPlace<A extends unknown[] | Int32Array>(items: A, source: Random | Rng): A {
  const random = uniformOf(source);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/** Cumulative-weight sampler: O(n) build, O(log n) draw. */
export class WeightedSampler {
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(weights: ArrayLike<number>) {
    this.cumulative = new Float64Array(weights.length);
    let acc = 0;
    for (let i = 0; i < weights.length; i++) {
      acc += Math.max(0, weights[i]);
      this.cumulative[i] = acc;
    }
    this.total = acc;
  }

  get size(): number {
    return this.cumulative.length;
  }

  /** Returns a position in [0, n). */
  sample(source: Random | Rng): number {
    const target = uniformOf(source)() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
