// The pure-TypeScript kernel: the readable reference that the wasm kernel is
// differentially tested against, and the baseline of bench/kernel.mjs.
//
// Bitmaps are Uint32Array words, LSB-first (page p is bit p & 31 of word p >> 5);
// bits ≥ memPages stay 0. Counters are a Uint8Array saturating at COUNTER_MAX.

import { badBitmap, checkCapacity, checkInitArgs, grownCapacity } from './common.js';
import { COUNTER_MAX, SPREAD_GROUP_BITS, SPREAD_GROUPS, spreadHash, type Bitmap, type Kernel } from './types.js';

/** Number of set bits of a 32-bit word (SWAR). */
function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Index (0…31) of the lowest set bit of a non-zero word. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Mask of bits lo … 31 of a word (lo in 0…31). */
function maskFrom(lo: number): number {
  return (0xffffffff << lo) >>> 0;
}

/** Mask of bits 0 … hi of a word (hi in 0…31). */
function maskTo(hi: number): number {
  return 0xffffffff >>> (31 - hi);
}

/** A kernel in plain TypeScript, identical in results to the wasm kernel. */
export function createReferenceKernel(): Kernel {
  let memPages = 0;
  let nWords = 0;
  // setBitsExcept's marks of the excluded pages: all zero between calls.
  let exclude: Uint32Array | undefined;
  let maps: Uint32Array[] = [];
  const map = (bm: Bitmap): Uint32Array => {
    const words = maps[bm];
    if (words === undefined || (bm | 0) !== bm) throw badBitmap(bm, maps.length);
    return words;
  };
  let counters = new Uint8Array(0);
  let list = new Uint32Array(0);

  const kernel: Kernel = {
    name: 'js',

    init(pages: number, bitmaps: number): void {
      checkInitArgs(pages, bitmaps);
      memPages = pages;
      nWords = Math.ceil(pages / 32);
      exclude = undefined;
      maps = Array.from({ length: bitmaps }, () => new Uint32Array(nWords));
      counters = new Uint8Array(pages);
      list = new Uint32Array(0);
    },

    lists(capacity: number): Uint32Array {
      checkCapacity(capacity);
      if (capacity > list.length) {
        const grown = new Uint32Array(grownCapacity(list.length, capacity));
        grown.set(list);
        list = grown;
      }
      return list;
    },

    setBits(bm: Bitmap, off: number, len: number): void {
      const words = map(bm);
      for (let i = off; i < off + len; i++) {
        const p = list[i];
        words[p >>> 5] |= 1 << (p & 31);
      }
    },

    setBitsExcept(bm: Bitmap, off: number, len: number, exOff: number, exLen: number): void {
      // As the wasm kernel does it: mark the exclusions, set the rest, unmark (lists in any order).
      const words = map(bm);
      const ex = (exclude ??= new Uint32Array(nWords));
      for (let j = exOff; j < exOff + exLen; j++) ex[list[j] >>> 5] |= 1 << (list[j] & 31);
      for (let i = off; i < off + len; i++) {
        const p = list[i];
        if ((ex[p >>> 5] & (1 << (p & 31))) === 0) words[p >>> 5] |= 1 << (p & 31);
      }
      for (let j = exOff; j < exOff + exLen; j++) ex[list[j] >>> 5] = 0;
    },

    clear(bm: Bitmap): void {
      map(bm).fill(0);
    },

    fill(bm: Bitmap): void {
      const words = map(bm);
      words.fill(0xffffffff);
      if (memPages & 31) words[nWords - 1] = maskTo((memPages & 31) - 1);
    },

    copy(dst: Bitmap, src: Bitmap): void {
      if (dst !== src) map(dst).set(map(src));
    },

    or(dst: Bitmap, a: Bitmap, b: Bitmap): void {
      const d = map(dst), x = map(a), y = map(b);
      for (let i = 0; i < nWords; i++) d[i] = x[i] | y[i];
    },

    and(dst: Bitmap, a: Bitmap, b: Bitmap): void {
      const d = map(dst), x = map(a), y = map(b);
      for (let i = 0; i < nWords; i++) d[i] = x[i] & y[i];
    },

    andNot(dst: Bitmap, a: Bitmap, b: Bitmap): void {
      const d = map(dst), x = map(a), y = map(b);
      for (let i = 0; i < nWords; i++) d[i] = x[i] & ~y[i];
    },

    popcount(bm: Bitmap): number {
      const words = map(bm);
      let n = 0;
      for (let i = 0; i < nWords; i++) n += popcount32(words[i]);
      return n;
    },

    popcountAndRange(a: Bitmap, b: Bitmap, from: number, to: number): number {
      if (from >= to) return 0;
      const x = map(a), y = map(b);
      const first = from >>> 5, last = (to - 1) >>> 5;
      const head = maskFrom(from & 31), tail = maskTo((to - 1) & 31);
      if (first === last) return popcount32(x[first] & y[first] & head & tail);
      let n = popcount32(x[first] & y[first] & head);
      for (let i = first + 1; i < last; i++) n += popcount32(x[i] & y[i]);
      return n + popcount32(x[last] & y[last] & tail);
    },

    testBit(bm: Bitmap, page: number): boolean {
      return (map(bm)[page >>> 5] & (1 << (page & 31))) !== 0;
    },

    setRange(bm: Bitmap, from: number, to: number): void {
      const words = map(bm);
      for (let p = from; p < to; p++) words[p >>> 5] |= 1 << (p & 31);
    },

    clearRange(bm: Bitmap, from: number, to: number): void {
      const words = map(bm);
      for (let p = from; p < to; p++) words[p >>> 5] &= ~(1 << (p & 31));
    },

    filterSpread(off: number, len: number, seed: number, lo: number, hi: number, outOff: number): number {
      let n = 0;
      for (let i = off; i < off + len; i++) {
        const h = spreadHash(seed, list[i]);
        if (h >= lo && h < hi) list[outOff + n++] = list[i];
      }
      return n;
    },

    groupSpread(off: number, len: number, seed: number, pagesOff: number, startsOff: number): void {
      const shift = 31 - SPREAD_GROUP_BITS;
      const counts = new Array<number>(SPREAD_GROUPS + 1).fill(0);
      for (let i = off; i < off + len; i++) counts[(spreadHash(seed, list[i]) >>> shift) + 1]++;
      for (let b = 1; b <= SPREAD_GROUPS; b++) counts[b] += counts[b - 1];
      for (let b = 0; b <= SPREAD_GROUPS; b++) list[startsOff + b] = counts[b];
      for (let i = off; i < off + len; i++) list[pagesOff + counts[spreadHash(seed, list[i]) >>> shift]++] = list[i];
    },

    takeSpread(pagesOff: number, startsOff: number, seed: number, lo: number, hi: number, outOff: number): number {
      if (hi <= lo) return 0;
      const shift = 31 - SPREAD_GROUP_BITS;
      let n = 0;
      for (let b = lo >>> shift; b <= (hi - 1) >>> shift; b++) {
        for (let j = list[startsOff + b]; j < list[startsOff + b + 1]; j++) {
          const h = spreadHash(seed, list[pagesOff + j]);
          if (h >= lo && h < hi) list[outOff + n++] = list[pagesOff + j];
        }
      }
      return n;
    },

    savedEntries(): number {
      return Math.ceil(nWords / 4) * 4;
    },
    saveBitmap(bm: Bitmap, off: number): void {
      list.set(map(bm), off);
      list.fill(0, off + nWords, off + Math.ceil(nWords / 4) * 4);
    },
    orSaved(bm: Bitmap, off: number): void {
      const d = map(bm);
      for (let i = 0; i < nWords; i++) d[i] |= list[off + i];
    },
    moveMarks(off: number, len: number, marksOff: number, countsOff: number, mark: number, outOff: number): number {
      let n = 0;
      for (let i = off; i < off + len; i++) {
        const at = marksOff + list[i];
        const from = list[at];
        if (list[countsOff + from]++ === 0) list[outOff + 2 * n++] = from;
        list[at] = mark;
      }
      for (let j = 0; j < n; j++) {
        const c = countsOff + list[outOff + 2 * j];
        list[outOff + 2 * j + 1] = list[c];
        list[c] = 0;
      }
      return n;
    },

    maxTreeAdd(bestOff: number, addOff: number, size: number, pairsOff: number, pairs: number, last: number): void {
      const best = new Float64Array(list.buffer, list.byteOffset + 4 * bestOff, 2 * size);
      const add = new Float64Array(list.buffer, list.byteOffset + 4 * addOff, 2 * size);
      const up = (from: number) => {
        for (let m = from; m >= 1; m >>= 1) best[m] = Math.max(best[2 * m], best[2 * m + 1]) + add[m];
      };
      for (let j = 0; j < pairs; j++) {
        const lo = list[pairsOff + 2 * j] + 1;
        if (lo > last) continue;
        const d = list[pairsOff + 2 * j + 1];
        let l = lo + size;
        let r = last + size + 1;
        const l0 = l, r0 = r - 1;
        for (; l < r; l >>= 1, r >>= 1) {
          if (l & 1) { best[l] += d; add[l++] += d; }
          if (r & 1) { best[--r] += d; add[r] += d; }
        }
        up(l0 >> 1);
        up(r0 >> 1);
      }
    },

    countMissing(bm: Bitmap, off: number, len: number): number {
      const words = map(bm);
      let n = 0;
      for (let i = off; i < off + len; i++) if ((words[list[i] >>> 5] & (1 << (list[i] & 31))) === 0) n++;
      return n;
    },

    advanceAndNot(a: Bitmap, b: Bitmap, from: number, k: number): number {
      if (from >= memPages) return memPages;
      const x = map(a), y = map(b);
      let i = from >>> 5;
      let bits = (x[i] & ~y[i] & maskFrom(from & 31)) >>> 0;
      for (;;) {
        const c = popcount32(bits);
        if (c >= k) {
          for (let j = 1; j < k; j++) bits &= bits - 1; // drop the k−1 lowest bits
          return i * 32 + lowestBit(bits) + 1;
        }
        k -= c;
        if (++i >= nWords) return memPages;
        bits = (x[i] & ~y[i]) >>> 0;
      }
    },

    collect(bm: Bitmap, from: number, to: number, off: number): number {
      if (from >= to) return 0;
      const words = map(bm);
      const first = from >>> 5, last = (to - 1) >>> 5;
      let n = 0;
      for (let i = first; i <= last; i++) {
        let bits = words[i];
        if (i === first) bits &= maskFrom(from & 31);
        if (i === last) bits &= maskTo((to - 1) & 31);
        while (bits !== 0) {
          list[off + n++] = i * 32 + lowestBit(bits);
          bits &= bits - 1;
        }
      }
      return n;
    },

    countPages(off: number, len: number): void {
      for (let i = off; i < off + len; i++) {
        const p = list[i];
        if (counters[p] < COUNTER_MAX) counters[p]++;
      }
    },

    countBitmap(bm: Bitmap): void {
      const words = map(bm);
      for (let i = 0; i < nWords; i++) {
        let bits = words[i];
        while (bits !== 0) {
          const p = i * 32 + lowestBit(bits);
          if (counters[p] < COUNTER_MAX) counters[p]++;
          bits &= bits - 1;
        }
      }
    },

    clearCounters(): void {
      counters.fill(0);
    },

    counter(page: number): number {
      return counters[page];
    },

    selectAtLeast(threshold: number, dst: Bitmap): void {
      const words = map(dst);
      words.fill(0);
      for (let p = 0; p < memPages; p++) {
        if (counters[p] >= threshold) words[p >>> 5] |= 1 << (p & 31);
      }
    },
  };
  return kernel;
}
