// Seeded pseudo-random numbers for the workload generators: xoshiro128** on 32-bit
// integer operations (identical streams on every JavaScript engine), seeded through
// splitmix32, plus the samplers the generators need — uniform integers, Poisson and
// binomial counts, Zipf ranks, k distinct values — and a keyed permutation of
// [0, n) that scatters logical pages over guest memory in O(1) space. No Node imports.

/** 32-bit FNV-1a hash of a string (labels for independent sub-streams). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's 32-bit finaliser: a bijective mix of a 32-bit integer. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

const TWO_POW_32 = 4294967296;

/**
 * xoshiro128** (Blackman & Vigna), 32-bit state words, seeded by splitmix32 from a
 * seed (a safe integer) and a stream label; `fork(label)` gives an independent stream.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | undefined;

  constructor(readonly seed: number, readonly label = '') {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a safe integer ≥ 0 (got ${seed})`);
    // splitmix32 over (seed low word, seed high word, label hash).
    let state = (mix32(seed >>> 0) ^ mix32(Math.floor(seed / TWO_POW_32) + 0x9e3779b9) ^ hashString(label)) | 0;
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0;
      return mix32(state);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** An independent stream for a named part of a generator. */
  fork(label: string): Rng {
    return new Rng(this.seed, this.label + '/' + label);
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A double uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** An integer uniform in [0, n), n ≤ 2^32 (bias below 2^-21). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A standard normal deviate (Marsaglia's polar method). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    for (;;) {
      const u = 2 * this.next() - 1;
      const v = 2 * this.next() - 1;
      const q = u * u + v * v;
      if (q > 0 && q < 1) {
        const f = Math.sqrt((-2 * Math.log(q)) / q);
        this.spare = v * f;
        return u * f;
      }
    }
  }

  /** A Poisson count with this mean (Knuth below 10, Hörmann's PTRS above). */
  poisson(mean: number): number {
    if (!(mean > 0)) return 0;
    if (mean < 10) {
      const limit = Math.exp(-mean);
      let k = 0;
      let p = this.next();
      while (p > limit) {
        k++;
        p *= this.next();
      }
      return k;
    }
    // PTRS: W. Hörmann, "The transformed rejection method for generating Poisson
    // random variables", Insurance: Mathematics and Economics 12 (1993); as in numpy.
    const slam = Math.sqrt(mean);
    const loglam = Math.log(mean);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.next() - 0.5;
      const v = this.next();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - logGamma(k + 1)) return k;
    }
  }

  /**
   * A binomial count: successes among n trials of probability p. Exact (geometric
   * skips) when the expected count of the rarer outcome is below 30, else the normal
   * approximation, rounded and clamped to [0, n].
   */
  binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - this.binomial(n, 1 - p);
    const mean = n * p;
    if (mean < 30) {
      // Count successes by jumping geometric gaps between them.
      const logq = Math.log1p(-p);
      let k = 0;
      let at = 0;
      for (;;) {
        at += Math.floor(Math.log(1 - this.next()) / logq) + 1;
        if (at > n) return k;
        k++;
      }
    }
    const x = Math.round(mean + Math.sqrt(mean * (1 - p)) * this.normal());
    return Math.min(n, Math.max(0, x));
  }
}

/** ln Γ(x) for x > 0 (Stirling series with shift, as numpy's random_loggam). */
export function logGamma(x: number): number {
  const a = [
    8.333333333333333e-2, -2.777777777777778e-3, 7.936507936507937e-4, -5.952380952380952e-4, 8.417508417508418e-4,
    -1.917526917526918e-3, 6.41025641025641e-3, -2.955065359477124e-2, 1.796443723688307e-1, -1.3924322169059,
  ];
  if (x === 1 || x === 2) return 0;
  const n = x < 7 ? Math.floor(7 - x) : 0;
  let x0 = x + n;
  const x2 = 1 / (x0 * x0);
  let gl0 = a[9]!;
  for (let k = 8; k >= 0; k--) gl0 = gl0 * x2 + a[k]!;
  let gl = gl0 / x0 + 0.5 * 1.8378770664093453 + (x0 - 0.5) * Math.log(x0) - x0;
  for (let k = 1; k <= n; k++) {
    gl -= Math.log(x0 - 1);
    x0 -= 1;
  }
  return gl;
}

const expm1OverX = (x: number): number => (Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + (x / 2) * (1 + (x / 3) * (1 + x / 4)));
const log1pOverX = (x: number): number => (Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (1 / 2 - x * (1 / 3 - x / 4)));

/**
 * Zipf ranks 1…n with P(k) ∝ k^-s (s > 0), in O(1) time and space per sample:
 * rejection-inversion (W. Hörmann & G. Derflinger, "Rejection-inversion to generate
 * variates from monotone discrete distributions", ACM TOMACS 6(3), 1996), as in
 * Apache Commons' RejectionInversionZipfSampler.
 */
export class Zipf {
  private readonly hX1: number;
  private readonly hN: number;
  private readonly threshold: number;

  constructor(readonly n: number, readonly s: number) {
    if (!(n >= 1) || !Number.isInteger(n)) throw new RangeError(`Zipf: n must be a whole number ≥ 1 (got ${n})`);
    if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`Zipf: exponent must be > 0 (got ${s})`);
    this.hX1 = this.hIntegral(1.5) - 1;
    this.hN = this.hIntegral(n + 0.5);
    this.threshold = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  private h(x: number): number {
    return Math.exp(-this.s * Math.log(x));
  }

  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return expm1OverX((1 - this.s) * logX) * logX;
  }

  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.s);
    if (t < -1) t = -1;
    return Math.exp(log1pOverX(t) * x);
  }

  /** A rank in 1…n. */
  sample(rng: Rng): number {
    for (;;) {
      const u = this.hN + rng.next() * (this.hX1 - this.hN);
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > this.n) k = this.n;
      if (k - x <= this.threshold || u >= this.hIntegral(k + 0.5) - this.h(k)) return k;
    }
  }
}

/**
 * k distinct integers drawn uniformly from [0, n), ascending. Floyd's algorithm when
 * k ≤ n/2 (O(k) expected), else the complement of n−k such draws (O(n) = O(k)).
 */
export function sampleDistinct(rng: Rng, n: number, k: number): Uint32Array {
  if (!(k >= 0 && k <= n)) throw new RangeError(`sampleDistinct: cannot pick ${k} of ${n}`);
  if (k === 0) return new Uint32Array(0);
  if (k === n) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  const floyd = (m: number): Set<number> => {
    const picked = new Set<number>();
    for (let j = n - m; j < n; j++) {
      const t = rng.int(j + 1);
      picked.add(picked.has(t) ? j : t);
    }
    return picked;
  };
  if (2 * k <= n) {
    const out = Uint32Array.from(floyd(k));
    return out.sort();
  }
  const excluded = floyd(n - k);
  const out = new Uint32Array(k);
  let at = 0;
  for (let i = 0; i < n; i++) if (!excluded.has(i)) out[at++] = i;
  return out;
}

/**
 * A keyed pseudo-random permutation of [0, n), n ≤ 2^31, in O(1) space: four rounds of
 * invertible 2^b-bit mixing (odd multiply, xor-shift, keyed add) with cycle walking
 * into [0, n). Expected fewer than two walks per value.
 */
export class Permutation {
  private readonly bits: number;
  private readonly mask: number;
  private readonly half: number;
  private readonly keys: number[];
  private readonly mults: number[];

  constructor(readonly n: number, seed: number, label = 'permutation') {
    if (!(n >= 1) || !Number.isInteger(n) || n > 2 ** 31) throw new RangeError(`Permutation: bad size ${n}`);
    let bits = 1;
    while (2 ** bits < n) bits++;
    this.bits = bits;
    this.mask = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
    this.half = Math.max(1, bits >>> 1);
    const rng = new Rng(seed, label);
    this.keys = [rng.nextU32(), rng.nextU32(), rng.nextU32(), rng.nextU32()];
    this.mults = this.keys.map(() => (rng.nextU32() | 1) >>> 0);
  }

  private round(x: number): number {
    for (let r = 0; r < 4; r++) {
      x = (Math.imul(x, this.mults[r]!) >>> 0) & this.mask;
      x ^= x >>> this.half;
      x = ((x + this.keys[r]!) >>> 0) & this.mask;
    }
    return x >>> 0;
  }

  /** The image of x ∈ [0, n). */
  map(x: number): number {
    if (this.n === 1) return 0;
    let y = this.round(x);
    while (y >= this.n) y = this.round(y);
    return y;
  }
}
