// migreplay kernel: per-page bitmaps, saturating dirty-frequency counters and page
// lists in wasm32 linear memory (AssemblyScript, SIMD, `--runtime stub`).
//
// Only plain functions over byte pointers and lengths are exported; the JS bridge
// (src/kernel/wasm.ts) owns the memory layout and computes every pointer. Layout
// conventions shared with the bridge:
//
//  - A bitmap is an array of u64 words, LSB-first: page p is bit (p & 63) of word
//    p >> 6. Its byte size (`bytes` below) is a multiple of 16 so whole-bitmap
//    loops run on v128. Bits ≥ memPages, padding included, are always 0 — every
//    operation here preserves that, given inputs that respect it.
//  - Counters are one u8 per page, saturating at 255. The counter area holds
//    8 × (bitmap bytes) counters — one per bitmap bit, padding included — so
//    countBitmap and selectAtLeast can work 64 counters per bitmap word; padding
//    counters stay 0.
//  - Lists are arrays of u32 page numbers.
//  - setBitsExcept borrows a scratch bitmap from the bridge, zero between calls.
//
// On little-endian wasm, bit p of the u64 word p >> 6 is bit p & 7 of byte p >> 3,
// so per-page updates may use byte accesses. That matters for ascending lists:
// successive pages mostly hit different bytes instead of the word just stored,
// which avoids a store-to-load forwarding stall per page.
//
// Callers guarantee in-contract input (pages < memPages, ranges in bounds); nothing
// is re-checked and nothing traps. Loops count up to lengths instead of comparing
// against end pointers, so a layout ending exactly at 4 GiB cannot wrap around.

import { csaHigh, popcnt128, popcntAt } from './bits';

/** Start of free linear memory: the bridge lays out its state from here. */
export function heapBase(): usize {
  return __heap_base;
}

// ---------------------------------------------------------------------------
// Helpers

// @ts-ignore: decorator
@inline function bitOf(page: u32): u64 {
  return (<u64>1) << <u64>(page & 63);
}

// @ts-ignore: decorator
@inline function wordAddr(bm: usize, page: u32): usize {
  return bm + (<usize>(page >>> 6) << 3);
}

// Number of u64 words holding `pages` bits, without overflowing near 2^32.
// @ts-ignore: decorator
@inline function wordsFor(pages: u32): u32 {
  return (pages >>> 6) + u32((pages & 63) != 0);
}

// The position (0…63) of the k-th set bit of w, 1 ≤ k ≤ popcnt(w).
// @ts-ignore: decorator
@inline function selectBit(w: u64, k: u32): u32 {
  for (let j: u32 = 1; j < k; j++) w &= w - 1;
  return <u32>ctz(w);
}

// ---------------------------------------------------------------------------
// Bits from page lists

// @ts-ignore: decorator
@inline function setByteBit(bm: usize, page: u32): void {
  const at = bm + <usize>(page >>> 3);
  store<u8>(at, load<u8>(at) | (<u8>1 << <u8>(page & 7)));
}

// List loops are unrolled 8× with constant load offsets: V8 neither unrolls nor folds
// the index arithmetic, and each loop iteration also pays a stack-guard check. That
// brings scatter-set and counting from ~0.6 to ~0.9 of gcc -O3 -march=native
// (bench/run.mjs); a wider unroll measured no better.

// Set page's bit with a u32 read-modify-write (i32.shl takes the shift mod 32: no mask).
// @ts-ignore: decorator
@inline function setWordBit(bm: usize, page: u32): void {
  const at = bm + (<usize>(page >>> 5) << 2);
  store<u32>(at, load<u32>(at) | (<u32>1 << page));
}

/** Set the bits of bitmap `bm` for the `len` pages of the u32 list at `list` (any order). */
export function setBits(bm: usize, list: usize, len: u32): void {
  let p = list;
  let i: u32 = 0;
  const body = len & ~7;
  // Two ways, same bits. Ascending lists (every epoch of a trace) put successive pages
  // in the same word, where u32 read-modify-writes would queue behind each other's
  // stores: bytes are ~2× faster there. Scattered lists (whose first 8 pages do not
  // ascend) are ~10 % faster with u32 words, whose bit needs no masking.
  if (body > 0 && !(load<u32>(p) < load<u32>(p, 4) && load<u32>(p, 4) < load<u32>(p, 8) && load<u32>(p, 8) < load<u32>(p, 12) &&
      load<u32>(p, 12) < load<u32>(p, 16) && load<u32>(p, 16) < load<u32>(p, 20) && load<u32>(p, 20) < load<u32>(p, 24) &&
      load<u32>(p, 24) < load<u32>(p, 28))) {
    for (; i < body; i += 8, p += 32) {
      setWordBit(bm, load<u32>(p));
      setWordBit(bm, load<u32>(p, 4));
      setWordBit(bm, load<u32>(p, 8));
      setWordBit(bm, load<u32>(p, 12));
      setWordBit(bm, load<u32>(p, 16));
      setWordBit(bm, load<u32>(p, 20));
      setWordBit(bm, load<u32>(p, 24));
      setWordBit(bm, load<u32>(p, 28));
    }
  } else {
    for (; i < body; i += 8, p += 32) {
      setByteBit(bm, load<u32>(p));
      setByteBit(bm, load<u32>(p, 4));
      setByteBit(bm, load<u32>(p, 8));
      setByteBit(bm, load<u32>(p, 12));
      setByteBit(bm, load<u32>(p, 16));
      setByteBit(bm, load<u32>(p, 20));
      setByteBit(bm, load<u32>(p, 24));
      setByteBit(bm, load<u32>(p, 28));
    }
  }
  for (; i < len; i++, p += 4) setByteBit(bm, load<u32>(p));
}

// Set page's bit in `bm` unless it is set in `scratch`.
// @ts-ignore: decorator
@inline function setByteBitExcept(bm: usize, scratch: usize, page: u32): void {
  const at = <usize>(page >>> 3);
  store<u8>(bm + at, load<u8>(bm + at) | ((<u8>1 << <u8>(page & 7)) & ~load<u8>(scratch + at)));
}

/** Set the bits of `bm` for the `len` pages at `list` absent from the `exLen` pages at `ex`, using the all-zero bitmap `scratch` (left all zero). */
export function setBitsExcept(bm: usize, list: usize, len: u32, ex: usize, exLen: u32, scratch: usize): void {
  // Mark the exclusions, mask them out, unmark them. Unlike a merge of the two
  // (ascending) lists there is no data-dependent branch, which makes it ~3× faster.
  setBits(scratch, ex, exLen);
  let p = list;
  let i: u32 = 0;
  for (const body = len & ~3; i < body; i += 4, p += 16) {
    setByteBitExcept(bm, scratch, load<u32>(p));
    setByteBitExcept(bm, scratch, load<u32>(p, 4));
    setByteBitExcept(bm, scratch, load<u32>(p, 8));
    setByteBitExcept(bm, scratch, load<u32>(p, 12));
  }
  for (; i < len; i++, p += 4) setByteBitExcept(bm, scratch, load<u32>(p));
  for (let j: u32 = 0; j < exLen; j++) store<u8>(scratch + <usize>(load<u32>(ex + (<usize>j << 2)) >>> 3), 0);
}

// ---------------------------------------------------------------------------
// Whole-bitmap operations (`bytes` is the padded bitmap size, a multiple of 16)

/** Zero `bytes` bytes at `ptr` (clears a bitmap, the counters, or any other region). */
export function zero(ptr: usize, bytes: usize): void {
  memory.fill(ptr, 0, bytes);
}

/** Set bits 0 … pages−1 of `bm` and clear the rest of its `bytes`. */
export function fill(bm: usize, pages: u32, bytes: usize): void {
  const full = <usize>(pages >>> 6) << 3;
  memory.fill(bm, 0xff, full);
  let done = full;
  const tail = pages & 63;
  if (tail) {
    store<u64>(bm + full, ((<u64>1) << <u64>tail) - 1);
    done += 8;
  }
  memory.fill(bm + done, 0, bytes - done);
}

/** dst = src over `bytes` bytes. */
export function copy(dst: usize, src: usize, bytes: usize): void {
  memory.copy(dst, src, bytes);
}

// The binary operations and popcount are unrolled to 64 bytes per iteration
// (≈1.5× faster on V8, which does not unroll), with a 16-byte tail loop.

/** dst = a | b over `bytes` bytes. */
export function or(dst: usize, a: usize, b: usize, bytes: usize): void {
  const body = bytes & ~63;
  let i: usize = 0;
  for (; i < body; i += 64) {
    v128.store(dst + i, v128.or(v128.load(a + i), v128.load(b + i)));
    v128.store(dst + i, v128.or(v128.load(a + i, 16), v128.load(b + i, 16)), 16);
    v128.store(dst + i, v128.or(v128.load(a + i, 32), v128.load(b + i, 32)), 32);
    v128.store(dst + i, v128.or(v128.load(a + i, 48), v128.load(b + i, 48)), 48);
  }
  for (; i < bytes; i += 16) v128.store(dst + i, v128.or(v128.load(a + i), v128.load(b + i)));
}

/** dst = a & b over `bytes` bytes. */
export function and(dst: usize, a: usize, b: usize, bytes: usize): void {
  const body = bytes & ~63;
  let i: usize = 0;
  for (; i < body; i += 64) {
    v128.store(dst + i, v128.and(v128.load(a + i), v128.load(b + i)));
    v128.store(dst + i, v128.and(v128.load(a + i, 16), v128.load(b + i, 16)), 16);
    v128.store(dst + i, v128.and(v128.load(a + i, 32), v128.load(b + i, 32)), 32);
    v128.store(dst + i, v128.and(v128.load(a + i, 48), v128.load(b + i, 48)), 48);
  }
  for (; i < bytes; i += 16) v128.store(dst + i, v128.and(v128.load(a + i), v128.load(b + i)));
}

/** dst = a & ~b over `bytes` bytes. */
export function andNot(dst: usize, a: usize, b: usize, bytes: usize): void {
  const body = bytes & ~63;
  let i: usize = 0;
  for (; i < body; i += 64) {
    v128.store(dst + i, v128.andnot(v128.load(a + i), v128.load(b + i)));
    v128.store(dst + i, v128.andnot(v128.load(a + i, 16), v128.load(b + i, 16)), 16);
    v128.store(dst + i, v128.andnot(v128.load(a + i, 32), v128.load(b + i, 32)), 32);
    v128.store(dst + i, v128.andnot(v128.load(a + i, 48), v128.load(b + i, 48)), 48);
  }
  for (; i < bytes; i += 16) v128.store(dst + i, v128.andnot(v128.load(a + i), v128.load(b + i)));
}

/** Number of set bits in the `bytes` bytes at `bm`. */
export function popcount(bm: usize, bytes: usize): u32 {
  // Each 256-byte step counts its first half with a Harley–Seal carry-save tree on
  // v128 (8 vectors → one popcount of the "eights", ~6 instructions per 16 bytes on
  // the vector units) and its second half with scalar 64-bit popcnt (~6 per 16 bytes on
  // the integer units), interleaved so both kinds of unit work at once. Scalar popcnt
  // alone runs ~10 % slower; a tree alone (16 vectors) spills registers in V8 and, like
  // i8x16.popcnt (lowered to a shuffle-table sequence), runs at half the speed.
  // ones/twos/fours carry the tree's low bits from step to step.
  // A pointer and a down-counter keep the loop within the 16 integer registers (an
  // index, its limit and base + index spilled one: ~6 % slower).
  let ones = i64x2.splat(0), twos = ones, fours = ones;
  let eights: u64 = 0, s0: u64 = 0, s1: u64 = 0;
  let p = bm;
  for (let k = bytes >>> 8; k; k--, p += 256) {
    let a = v128.load(p), b = v128.load(p, 16);
    let u = v128.xor(ones, a);
    let twosA = csaHigh(ones, a, b);
    ones = v128.xor(u, b);
    s0 += popcntAt(p, 128) + popcntAt(p, 136);
    a = v128.load(p, 32);
    b = v128.load(p, 48);
    u = v128.xor(ones, a);
    let twosB = csaHigh(ones, a, b);
    ones = v128.xor(u, b);
    s1 += popcntAt(p, 144) + popcntAt(p, 152);
    const foursA = csaHigh(twos, twosA, twosB);
    twos = v128.xor(v128.xor(twos, twosA), twosB);
    s0 += popcntAt(p, 160) + popcntAt(p, 168);
    a = v128.load(p, 64);
    b = v128.load(p, 80);
    u = v128.xor(ones, a);
    twosA = csaHigh(ones, a, b);
    ones = v128.xor(u, b);
    s1 += popcntAt(p, 176) + popcntAt(p, 184);
    a = v128.load(p, 96);
    b = v128.load(p, 112);
    u = v128.xor(ones, a);
    twosB = csaHigh(ones, a, b);
    ones = v128.xor(u, b);
    s0 += popcntAt(p, 192) + popcntAt(p, 200);
    const foursB = csaHigh(twos, twosA, twosB);
    twos = v128.xor(v128.xor(twos, twosA), twosB);
    s1 += popcntAt(p, 208) + popcntAt(p, 216);
    eights += popcnt128(csaHigh(fours, foursA, foursB));
    fours = v128.xor(v128.xor(fours, foursA), foursB);
    s0 += popcntAt(p, 224) + popcntAt(p, 232);
    s1 += popcntAt(p, 240) + popcntAt(p, 248);
  }
  let n = 8 * eights + 4 * popcnt128(fours) + 2 * popcnt128(twos) + popcnt128(ones) + s0 + s1;
  for (let k = (bytes & 255) >>> 4; k; k--, p += 16) n += popcntAt(p, 0) + popcntAt(p, 8);
  return <u32>n;
}

/** Number of set bits of a & b within pages [from, to). */
export function popcountAndRange(a: usize, b: usize, from: u32, to: u32): u32 {
  if (from >= to) return 0;
  const first = from >>> 6;
  const last = (to - 1) >>> 6;
  const headMask = ~(<u64>0) << <u64>(from & 63);
  const tailMask = ~(<u64>0) >>> <u64>(63 - ((to - 1) & 63));
  if (first == last) {
    const at = <usize>first << 3;
    return <u32>popcnt(load<u64>(a + at) & load<u64>(b + at) & headMask & tailMask);
  }
  let at = <usize>first << 3;
  let n0: u64 = popcnt(load<u64>(a + at) & load<u64>(b + at) & headMask);
  let n1: u64 = 0;
  // Whole words strictly between first and last: 64 bytes (a v128 AND, then scalar
  // popcnt) per step, through pointers and a down-counter (as popcount).
  let pa = a + at + 8;
  let pb = b + at + 8;
  const middle = last - first - 1;
  for (let k = middle >>> 3; k; k--, pa += 64, pb += 64) {
    const x0 = v128.and(v128.load(pa), v128.load(pb));
    const x1 = v128.and(v128.load(pa, 16), v128.load(pb, 16));
    const x2 = v128.and(v128.load(pa, 32), v128.load(pb, 32));
    const x3 = v128.and(v128.load(pa, 48), v128.load(pb, 48));
    n0 += popcnt128(x0) + popcnt128(x1);
    n1 += popcnt128(x2) + popcnt128(x3);
  }
  for (let k = middle & 7; k; k--, pa += 8, pb += 8) n0 += popcnt(load<u64>(pa) & load<u64>(pb));
  const end = <usize>last << 3;
  n1 += popcnt(load<u64>(a + end) & load<u64>(b + end) & tailMask);
  return <u32>(n0 + n1);
}

// Set (value true) or clear the bits of pages [from, to) in `bm`: the partial words at
// each end by mask, the whole words between them with memory.fill.
// @ts-ignore: decorator
@inline function writeRange(bm: usize, from: u32, to: u32, value: bool): void {
  if (from >= to) return;
  const first = from >>> 6;
  const last = (to - 1) >>> 6;
  const headMask = ~(<u64>0) << <u64>(from & 63);
  const tailMask = ~(<u64>0) >>> <u64>(63 - ((to - 1) & 63));
  const fill: u64 = value ? ~(<u64>0) : 0;
  const firstAt = bm + (<usize>first << 3);
  if (first == last) {
    const mask = headMask & tailMask;
    store<u64>(firstAt, (load<u64>(firstAt) & ~mask) | (fill & mask));
    return;
  }
  store<u64>(firstAt, (load<u64>(firstAt) & ~headMask) | (fill & headMask));
  memory.fill(firstAt + 8, value ? 0xff : 0, <usize>(last - first - 1) << 3);
  const lastAt = bm + (<usize>last << 3);
  store<u64>(lastAt, (load<u64>(lastAt) & ~tailMask) | (fill & tailMask));
}

/** Set the bits of pages [from, to) in `bm`. */
export function setRange(bm: usize, from: u32, to: u32): void {
  writeRange(bm, from, to, true);
}

/** Clear the bits of pages [from, to) in `bm`. */
export function clearRange(bm: usize, from: u32, to: u32): void {
  writeRange(bm, from, to, false);
}

// 1 if page's bit is clear in `bm`.
// @ts-ignore: decorator
@inline function missing(bm: usize, page: u32): u32 {
  return u32((load<u8>(bm + <usize>(page >>> 3)) & (<u8>1 << <u8>(page & 7))) == 0);
}

/** How many of the `len` pages at `list` have their bit clear in `bm`. */
export function countMissing(bm: usize, list: usize, len: u32): u32 {
  let n0: u32 = 0, n1: u32 = 0;
  let p = list;
  let i: u32 = 0;
  for (const body = len & ~3; i < body; i += 4, p += 16) {
    n0 += missing(bm, load<u32>(p)) + missing(bm, load<u32>(p, 4));
    n1 += missing(bm, load<u32>(p, 8)) + missing(bm, load<u32>(p, 12));
  }
  for (; i < len; i++, p += 4) n0 += missing(bm, load<u32>(p));
  return n0 + n1;
}

// Must match spreadHash() in src/kernel/types.ts bit for bit.
// @ts-ignore: decorator
@inline function spreadHash(seed: u32, page: u32): u32 {
  let x = (page ^ seed) * 0x9e3779b1;
  x ^= x >>> 16;
  x *= 0x85ebca6b;
  x ^= x >>> 13;
  x *= 0xc2b2ae35;
  x ^= x >>> 16;
  return x >>> 1;
}

// Where filterSpread writes the pages it drops: a word of its own, outside any state.
const SINK = memory.data(16);

/** Copy to `out` the pages of the list whose spreadHash(seed, p) lies in [lo, hi); return how many. */
export function filterSpread(list: usize, len: u32, seed: u32, lo: u32, hi: u32, out: usize): u32 {
  // Branch-free: every page is stored, a kept one at out[n], a dropped one into SINK
  // (a select of the address, not a data-dependent branch, which would mispredict on
  // about every other page: ~2× slower).
  let n: u32 = 0;
  let p = list;
  for (let i: u32 = 0; i < len; i++, p += 4) {
    const page = load<u32>(p);
    const h = spreadHash(seed, page);
    const keep = u32(h >= lo) & u32(h < hi);
    store<u32>(select<usize>(out + (<usize>n << 2), SINK, keep != 0), page);
    n += keep;
  }
  return n;
}

// groupSpread / takeSpread: an epoch's list grouped once by the top GROUP_BITS of each
// page's spread fraction, so that each later slice of the epoch reads only its groups.
const GROUP_BITS: u32 = 10;
const GROUP_SHIFT: u32 = 31 - GROUP_BITS;
const GROUPS: u32 = 1 << GROUP_BITS;

/** Group the list's pages by the top bits of spreadHash(seed, p), in list order within a group: pages to `pages`, the group starts (GROUPS + 1 of them) to `starts`. */
export function groupSpread(list: usize, len: u32, seed: u32, pages: usize, starts: usize): void {
  memory.fill(starts, 0, <usize>(GROUPS + 1) << 2);
  for (let i: u32 = 0; i < len; i++) {
    const g = starts + ((<usize>(spreadHash(seed, load<u32>(list + (<usize>i << 2))) >>> GROUP_SHIFT) + 1) << 2);
    store<u32>(g, load<u32>(g) + 1);
  }
  for (let b: u32 = 1; b <= GROUPS; b++) {
    const at = starts + (<usize>b << 2);
    store<u32>(at, load<u32>(at) + load<u32>(at - 4));
  }
  // starts[g] is now where group g begins; placing moves it to where g ends (g + 1 begins).
  for (let i: u32 = 0; i < len; i++) {
    const page = load<u32>(list + (<usize>i << 2));
    const g = starts + (<usize>(spreadHash(seed, page) >>> GROUP_SHIFT) << 2);
    const j = load<u32>(g);
    store<u32>(g, j + 1);
    store<u32>(pages + (<usize>j << 2), page);
  }
  for (let b: u32 = GROUPS; b >= 1; b--) store<u32>(starts + (<usize>b << 2), load<u32>(starts + (<usize>(b - 1) << 2)));
  store<u32>(starts, 0);
}

/** Copy to `out` the pages of a grouped list whose fraction lies in [lo, hi) (by group, then list order); return how many. */
export function takeSpread(pages: usize, starts: usize, seed: u32, lo: u32, hi: u32, out: usize): u32 {
  if (hi <= lo) return 0;
  const first = lo >>> GROUP_SHIFT;
  const last = (hi - 1) >>> GROUP_SHIFT;
  let n = takeGroup(pages, starts, seed, first, lo, hi, out, 0);
  if (last == first) return n;
  // The groups between lie wholly inside [lo, hi) and next to each other: one copy.
  const from = load<u32>(starts + (<usize>(first + 1) << 2));
  const to = load<u32>(starts + (<usize>last << 2));
  memory.copy(out + (<usize>n << 2), pages + (<usize>from << 2), <usize>(to - from) << 2);
  n += to - from;
  return takeGroup(pages, starts, seed, last, lo, hi, out, n);
}

// takeSpread: append group b's pages with fraction in [lo, hi) to out[n …] (their
// fractions computed again: a group holds about 1/GROUPS of the list); return the new n.
// @ts-ignore: decorator
@inline function takeGroup(pages: usize, starts: usize, seed: u32, b: u32, lo: u32, hi: u32, out: usize, n: u32): u32 {
  const to = load<u32>(starts + (<usize>(b + 1) << 2));
  for (let j = load<u32>(starts + (<usize>b << 2)); j < to; j++) {
    const page = load<u32>(pages + (<usize>j << 2));
    const h = spreadHash(seed, page);
    const keep = u32(h >= lo) & u32(h < hi);
    store<u32>(select<usize>(out + (<usize>n << 2), SINK, keep != 0), page);
    n += keep;
  }
  return n;
}

/**
 * For each page p of the list, in order: tally its mark (marks[p], a u32 per page) in
 * counts (a u32 per mark value, zero between calls) and set marks[p] = mark. Then write
 * each distinct previous mark and its tally as pairs to `out`, in first-seen order, and
 * zero the tallies again; return the number of pairs. (The oracle's last-write leaves.)
 */
export function moveMarks(list: usize, len: u32, marks: usize, counts: usize, mark: u32, out: usize): u32 {
  // Branch-free: every previous mark is stored at out[n], which only a first sighting
  // keeps (n += 1); out has room for len pairs.
  let n: u32 = 0;
  for (let i: u32 = 0; i < len; i++) {
    const at = marks + (<usize>load<u32>(list + (<usize>i << 2)) << 2);
    const from = load<u32>(at);
    const c = counts + (<usize>from << 2);
    const k = load<u32>(c);
    store<u32>(out + (<usize>n << 3), from);
    n += u32(k == 0);
    store<u32>(c, k + 1);
    store<u32>(at, mark);
  }
  for (let j: u32 = 0; j < n; j++) {
    const pair = out + (<usize>j << 3);
    const c = counts + (<usize>load<u32>(pair) << 2);
    store<u32>(pair, load<u32>(c), 4);
    store<u32>(c, 0);
  }
  return n;
}

/**
 * The oracle's max-tree (src/algorithms/oracle.ts MaxTree: `size` leaves, nodes 1 …
 * 2·size − 1, f64 arrays `best` and `add`): for each of the `n` (leaf f, count c) pairs
 * at `pairs`, in order, add c to leaves f + 1 … last — the same additions in the same
 * order as MaxTree.rangeAdd, so the same doubles.
 */
export function maxTreeAdd(best: usize, add: usize, size: u32, pairs: usize, n: u32, last: u32): void {
  let applied = false;
  for (let j: u32 = 0; j < n; j++) {
    const lo = load<u32>(pairs + (<usize>j << 3)) + 1;
    if (lo > last) continue;
    applied = true;
    const d = <f64>load<u32>(pairs + (<usize>j << 3), 4);
    let l = lo + size;
    let r = last + size + 1;
    const l0 = l;
    const r0 = r - 1;
    for (; l < r; l >>= 1, r >>= 1) {
      if (l & 1) {
        store<f64>(best + (<usize>l << 3), load<f64>(best + (<usize>l << 3)) + d);
        store<f64>(add + (<usize>l << 3), load<f64>(add + (<usize>l << 3)) + d);
        l++;
      }
      if (r & 1) {
        r--;
        store<f64>(best + (<usize>r << 3), load<f64>(best + (<usize>r << 3)) + d);
        store<f64>(add + (<usize>r << 3), load<f64>(add + (<usize>r << 3)) + d);
      }
    }
    maxTreeUp(best, add, l0 >> 1);
  }
  // Every range ends at `last`: its path's maxima are recomputed once, after the last
  // range, instead of after each (rangeAdd's way). The same doubles: until then only
  // nodes on that path read nodes on it, and this pass rewrites each from its children.
  if (applied) maxTreeUp(best, add, (last + size) >> 1);
}

// maxTreeAdd: recompute best from node `from` up to the root.
// @ts-ignore: decorator
@inline function maxTreeUp(best: usize, add: usize, from: u32): void {
  for (let m = from; m >= 1; m >>= 1) {
    const at = <usize>m << 3;
    store<f64>(best + at, max(load<f64>(best + (at << 1)), load<f64>(best + (at << 1) + 8)) + load<f64>(add + at));
  }
}

/** 1 if page's bit is set in `bm`, else 0. */
export function testBit(bm: usize, page: u32): bool {
  return (load<u64>(wordAddr(bm, page)) & bitOf(page)) != 0;
}

/** Scan a & ~b upward from page `from`; return the page after the k-th set bit (k ≥ 1), or `pages` if there are fewer. */
export function advanceAndNot(a: usize, b: usize, from: u32, k: u32, pages: u32): u32 {
  if (from >= pages) return pages;
  const words = wordsFor(pages);
  let w = from >>> 6;
  let at = <usize>w << 3;
  let bits = load<u64>(a + at) & ~load<u64>(b + at) & (~(<u64>0) << <u64>(from & 63));
  while (true) {
    const c = <u32>popcnt(bits);
    if (c >= k) return (w << 6) + selectBit(bits, k) + 1;
    k -= c;
    if (++w >= words) return pages;
    // Skip 4 words at a time while the k-th bit lies beyond them.
    while (w + 4 <= words) {
      at = <usize>w << 3;
      const c4 = <u32>(
        popcnt(load<u64>(a + at) & ~load<u64>(b + at)) +
        popcnt(load<u64>(a + at, 8) & ~load<u64>(b + at, 8)) +
        popcnt(load<u64>(a + at, 16) & ~load<u64>(b + at, 16)) +
        popcnt(load<u64>(a + at, 24) & ~load<u64>(b + at, 24))
      );
      if (c4 >= k) break;
      k -= c4;
      w += 4;
    }
    if (w >= words) return pages;
    at = <usize>w << 3;
    bits = load<u64>(a + at) & ~load<u64>(b + at);
  }
  return pages; // unreachable; keeps the compiler's flow analysis happy
}

/** Write the set bits of `bm` within pages [from, to), ascending, to the u32 list at `out`; return how many. */
export function collect(bm: usize, from: u32, to: u32, out: usize): u32 {
  if (from >= to) return 0;
  const first = from >>> 6;
  const last = (to - 1) >>> 6;
  const tailMask = ~(<u64>0) >>> <u64>(63 - ((to - 1) & 63));
  let n: u32 = 0;
  let bits = load<u64>(bm + (<usize>first << 3)) & (~(<u64>0) << <u64>(from & 63));
  for (let w = first; ; ) {
    if (w == last) bits &= tailMask;
    const base = w << 6;
    while (bits) {
      store<u32>(out + (<usize>n << 2), base + <u32>ctz(bits));
      bits &= bits - 1;
      n++;
    }
    if (w == last) break;
    w++;
    bits = load<u64>(bm + (<usize>w << 3));
  }
  return n;
}

// ---------------------------------------------------------------------------
// Saturating counters (`ctr` points at the counter of page 0)

// Add 1, saturating at 255, to the counter at `at`.
// @ts-ignore: decorator
@inline function bump(at: usize): void {
  const c = load<u8>(at);
  store<u8>(at, c + u8(c != 255));
}

/** Add 1, saturating at 255, to the counter of each of the `len` pages of the u32 list at `list`. */
export function countPages(ctr: usize, list: usize, len: u32): void {
  let p = list;
  let i: u32 = 0;
  for (const body = len & ~7; i < body; i += 8, p += 32) {
    bump(ctr + <usize>load<u32>(p));
    bump(ctr + <usize>load<u32>(p, 4));
    bump(ctr + <usize>load<u32>(p, 8));
    bump(ctr + <usize>load<u32>(p, 12));
    bump(ctr + <usize>load<u32>(p, 16));
    bump(ctr + <usize>load<u32>(p, 20));
    bump(ctr + <usize>load<u32>(p, 24));
    bump(ctr + <usize>load<u32>(p, 28));
  }
  for (; i < len; i++, p += 4) bump(ctr + <usize>load<u32>(p));
}

/** Add 1 (saturating) to the counter of each page set in bitmap `bm` of `bytes` bytes. */
export function countBitmap(ctr: usize, bm: usize, bytes: usize): void {
  const one = i8x16.splat(1);
  // Bit i of each byte lane: after spreading a 16-bit chunk of the word over 16
  // lanes (low byte to lanes 0–7, high byte to lanes 8–15), lane l keeps bit l & 7.
  const sel = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  for (let i: usize = 0; i < bytes; i += 8) {
    let bits = load<u64>(bm + i);
    if (!bits) continue;
    const c = ctr + (i << 3); // 64 counters per word
    if (popcnt(bits) <= 4) {
      // Sparse word: bump the few counters one by one.
      do {
        const at = c + <usize>ctz(bits);
        const v = load<u8>(at);
        store<u8>(at, v + u8(v != 255));
        bits &= bits - 1;
      } while (bits);
      continue;
    }
    // Dense word: 4 × 16 counters with saturating byte adds of 0/1.
    const w = i64x2.splat(bits);
    const s0 = i8x16.shuffle(w, w, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    const s1 = i8x16.shuffle(w, w, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const s2 = i8x16.shuffle(w, w, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5);
    const s3 = i8x16.shuffle(w, w, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7);
    v128.store(c, i8x16.add_sat_u(v128.load(c), i8x16.min_u(v128.and(s0, sel), one)));
    v128.store(c, i8x16.add_sat_u(v128.load(c, 16), i8x16.min_u(v128.and(s1, sel), one)), 16);
    v128.store(c, i8x16.add_sat_u(v128.load(c, 32), i8x16.min_u(v128.and(s2, sel), one)), 32);
    v128.store(c, i8x16.add_sat_u(v128.load(c, 48), i8x16.min_u(v128.and(s3, sel), one)), 48);
  }
}

/** The counter of one page. */
export function counter(ctr: usize, page: u32): u32 {
  return load<u8>(ctr + <usize>page);
}

/** Set bitmap `dst` (of `bytes` bytes) to the pages whose counter is ≥ threshold (1 … 255). */
export function selectAtLeast(ctr: usize, threshold: u32, dst: usize, bytes: usize): void {
  const t = i8x16.splat(<i8>threshold);
  for (let i: usize = 0; i < bytes; i += 8) {
    const c = ctr + (i << 3); // 64 counters per word
    const m0 = <u64>(<u32>i8x16.bitmask(i8x16.ge_u(v128.load(c), t)));
    const m1 = <u64>(<u32>i8x16.bitmask(i8x16.ge_u(v128.load(c, 16), t)));
    const m2 = <u64>(<u32>i8x16.bitmask(i8x16.ge_u(v128.load(c, 32), t)));
    const m3 = <u64>(<u32>i8x16.bitmask(i8x16.ge_u(v128.load(c, 48), t)));
    store<u64>(dst + i, m0 | (m1 << 16) | (m2 << 32) | (m3 << 48));
  }
}
