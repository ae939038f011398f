// The kernel interface shared by the AssemblyScript kernel (src/kernel/wasm.ts over
// assembly/) and the TypeScript reference (src/kernel/reference.ts). Both must give
// identical results on every input; test/kernel.equivalence.test.ts checks it.
//
// State is allocated once per replay by init() and reused: `bitmaps` bitmaps of
// memPages bits each (bits ≥ memPages are always 0), one array of memPages saturating
// 8-bit dirty-frequency counters, and a "list area" of u32 page numbers that callers
// fill in place (kernel.lists()) and then refer to by (offset, length) — page lists
// are never copied through per-call glue. Callers validate input: every page in a
// list passed to the kernel is < memPages, ranges are in bounds, offsets fit the
// list area. The kernels do not re-check (the wasm one runs with noAssert).

/** A bitmap handle: 0 … bitmaps−1 as given to init(). */
export type Bitmap = number;

/** The largest counter value; counters saturate here. */
export const COUNTER_MAX = 255;

/** Operations over per-page bitmaps, counters and page lists. */
export interface Kernel {
  /** 'wasm' or 'js'. */
  readonly name: 'wasm' | 'js';
  /** Size the state for a guest of memPages pages with `bitmaps` bitmaps; all bits and counters start at 0. Invalidates views from lists(). */
  init(memPages: number, bitmaps: number): void;
  /** A view of the list area with room for at least `capacity` u32 entries (grows it if needed, keeping its contents). Invalidates earlier views. */
  lists(capacity: number): Uint32Array;

  /** Set the bits of bm for pages lists[off … off+len). */
  setBits(bm: Bitmap, off: number, len: number): void;
  /** Set the bits of bm for the pages of lists[off … off+len) that are not in lists[exOff … exOff+exLen) (either list in any order: a spread slice is grouped, not ascending). */
  setBitsExcept(bm: Bitmap, off: number, len: number, exOff: number, exLen: number): void;
  /** Clear every bit of bm. */
  clear(bm: Bitmap): void;
  /** Set bits 0 … memPages−1 of bm. */
  fill(bm: Bitmap): void;
  /** dst = src. */
  copy(dst: Bitmap, src: Bitmap): void;
  /** dst = a | b. */
  or(dst: Bitmap, a: Bitmap, b: Bitmap): void;
  /** dst = a & b. */
  and(dst: Bitmap, a: Bitmap, b: Bitmap): void;
  /** dst = a & ~b. */
  andNot(dst: Bitmap, a: Bitmap, b: Bitmap): void;
  /** Number of set bits in bm. */
  popcount(bm: Bitmap): number;
  /** Number of set bits of a & b within pages [from, to). */
  popcountAndRange(a: Bitmap, b: Bitmap, from: number, to: number): number;
  /** Set the bits of pages [from, to) in bm. */
  setRange(bm: Bitmap, from: number, to: number): void;
  /** Clear the bits of pages [from, to) in bm. */
  clearRange(bm: Bitmap, from: number, to: number): void;
  /** How many pages of lists[off … off+len) are NOT set in bm. */
  countMissing(bm: Bitmap, off: number, len: number): number;
  /** Copy to lists[outOff …] the pages p of lists[off … off+len) with lo ≤ spreadHash(seed, p) < hi (0 ≤ lo ≤ hi ≤ 2^31), in order; return how many. */
  filterSpread(off: number, len: number, seed: number, lo: number, hi: number, outOff: number): number;
  /**
   * Group lists[off … off+len) by the top SPREAD_GROUP_BITS of spreadHash(seed, p), in list
   * order within a group: the pages to lists[pagesOff …], the SPREAD_GROUPS + 1 group
   * starts to lists[startsOff …].
   */
  groupSpread(off: number, len: number, seed: number, pagesOff: number, startsOff: number): void;
  /** Copy to lists[outOff …] the pages of a groupSpread list (grouped with `seed`) whose fraction lies in [lo, hi), by group then list order; return how many. */
  takeSpread(pagesOff: number, startsOff: number, seed: number, lo: number, hi: number, outOff: number): number;
  /**
   * For each page p of lists[off … off+len), in order: tally its mark lists[marksOff + p]
   * in lists[countsOff + mark] (zero between calls) and set the mark to `mark`; then write
   * each distinct previous mark and its tally as pairs to lists[outOff …], in first-seen
   * order, and zero the tallies; return the number of pairs.
   */
  moveMarks(off: number, len: number, marksOff: number, countsOff: number, mark: number, outOff: number): number;
  /**
   * The oracle's max-tree, as f64 arrays in the list area (`best` and `add` at even
   * offsets, 2·size doubles each; nodes 1 … 2·size − 1, leaves from size): for each of
   * the `pairs` (leaf f, count c) pairs at lists[pairsOff …], in order, add c to leaves
   * f + 1 … last, updating the maxima up to the root (MaxTree.rangeAdd's arithmetic).
   */
  maxTreeAdd(bestOff: number, addOff: number, size: number, pairsOff: number, pairs: number, last: number): void;
  /** List-area entries a bitmap saved by saveBitmap takes (a multiple of 4). */
  savedEntries(): number;
  /** Save bm's bits to lists[off …] (savedEntries() entries, in the kernel's own layout: only orSaved reads them). */
  saveBitmap(bm: Bitmap, off: number): void;
  /** bm |= the bitmap saved at lists[off …] by saveBitmap since the last init(). */
  orSaved(bm: Bitmap, off: number): void;
  /** Whether page's bit is set in bm. */
  testBit(bm: Bitmap, page: number): boolean;
  /** Scan a & ~b from page `from` upward; return the page just after the k-th set bit found, or memPages if fewer than k (k ≥ 1). */
  advanceAndNot(a: Bitmap, b: Bitmap, from: number, k: number): number;
  /** Write the set bits of bm within pages [from, to), ascending, to lists[off …]; return how many were written. */
  collect(bm: Bitmap, from: number, to: number, off: number): number;

  /** Add 1 (saturating at COUNTER_MAX) to the counter of each page in lists[off … off+len). */
  countPages(off: number, len: number): void;
  /** Add 1 (saturating) to the counter of each page whose bit is set in bm. */
  countBitmap(bm: Bitmap): void;
  /** Reset every counter to 0. */
  clearCounters(): void;
  /** The counter of one page. */
  counter(page: number): number;
  /** dst = { pages whose counter ≥ threshold } (threshold ≥ 1). */
  selectAtLeast(threshold: number, dst: Bitmap): void;
}

/** groupSpread's groups: the top SPREAD_GROUP_BITS of a 31-bit spread fraction. */
export const SPREAD_GROUP_BITS = 10;
export const SPREAD_GROUPS = 1 << SPREAD_GROUP_BITS;

/** Where in its epoch a page's write falls, as a 31-bit fraction (the --within-epoch spread rule): a fixed mix of (epoch seed, page). */
export function spreadHash(seed: number, page: number): number {
  let x = Math.imul((page ^ seed) >>> 0, 0x9e3779b1);
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 1;
}

/** The seed of an epoch for spreadHash: a mix of its row in the trace (the same on every wrap). */
export function epochSeed(row: number): number {
  return spreadHash(0x632be5ab, row >>> 0) * 2 + 1;
}
