// The bridge to the AssemblyScript kernel (assembly/index.ts): instantiates the
// module, owns the layout of its linear memory, grows it, and turns bitmap handles
// and list offsets into the byte pointers the wasm functions take.
//
// No Node imports here: this file must also run in a browser.
//
// Layout, from the (64-byte aligned) heap base:
//
//   [bitmap 0] … [bitmap n−1] [scratch bitmap] [counters] [list area]
//
// Each bitmap is ceil(memPages/64) u64 words rounded up to 16 bytes (v128 loops);
// the scratch bitmap (all zero between calls) is for setBitsExcept;
// the counter area has one u8 per bitmap bit, padding included (8 × bitmap bytes),
// so counters can be processed 64 per bitmap word. The list area is last, so it can
// grow without moving anything else.

import { EXIT_RUN_FAILED, MigreplayError } from '../errors.js';
import { badBitmap, checkCapacity, checkInitArgs, grownCapacity } from './common.js';
import type { Bitmap, Kernel } from './types.js';

/** The functions exported by build/kernel.wasm (pointers and sizes in bytes, u32 passed as JS numbers). */
interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  setBits(bm: number, list: number, len: number): void;
  setBitsExcept(bm: number, list: number, len: number, ex: number, exLen: number, scratch: number): void;
  zero(ptr: number, bytes: number): void;
  fill(bm: number, pages: number, bytes: number): void;
  copy(dst: number, src: number, bytes: number): void;
  or(dst: number, a: number, b: number, bytes: number): void;
  and(dst: number, a: number, b: number, bytes: number): void;
  andNot(dst: number, a: number, b: number, bytes: number): void;
  popcount(bm: number, bytes: number): number;
  popcountAndRange(a: number, b: number, from: number, to: number): number;
  testBit(bm: number, page: number): number;
  setRange(bm: number, from: number, to: number): void;
  clearRange(bm: number, from: number, to: number): void;
  countMissing(bm: number, list: number, len: number): number;
  filterSpread(list: number, len: number, seed: number, lo: number, hi: number, out: number): number;
  groupSpread(list: number, len: number, seed: number, pages: number, starts: number): void;
  takeSpread(pages: number, starts: number, seed: number, lo: number, hi: number, out: number): number;
  moveMarks(list: number, len: number, marks: number, counts: number, mark: number, out: number): number;
  maxTreeAdd(best: number, add: number, size: number, pairs: number, n: number, last: number): void;
  advanceAndNot(a: number, b: number, from: number, k: number, pages: number): number;
  collect(bm: number, from: number, to: number, out: number): number;
  countPages(ctr: number, list: number, len: number): void;
  countBitmap(ctr: number, bm: number, bytes: number): void;
  counter(ctr: number, page: number): number;
  selectAtLeast(ctr: number, threshold: number, dst: number, bytes: number): void;
}

/** Bytes a wasm32 memory can address: 65536 pages of 64 KiB. */
const MAX_BYTES = 2 ** 32;
const WASM_PAGE = 65536;

const GiB = 2 ** 30;
const fmtBytes = (n: number): string => (n >= GiB ? `${(n / GiB).toFixed(2)} GiB` : `${n} bytes`);

/** A kernel backed by an instance of the compiled AssemblyScript module. */
export function createWasmKernel(module: WebAssembly.Module): Kernel {
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort(_msg: number, _file: number, line: number, column: number): never {
        throw new Error(`wasm kernel aborted at assembly/index.ts:${line}:${column}`);
      },
    },
  });
  const ex = instance.exports as unknown as KernelExports;
  const memory = ex.memory;
  const base = Math.ceil(ex.heapBase() / 64) * 64;

  // Current layout (see the file comment).
  let memPages = 0;
  let bitmaps = 0;
  let bmBytes = 0;
  let scratch = base;
  let ctr = base;
  let ctrBytes = 0;
  let listPtr = base;
  let listCap = 0;
  let view: Uint32Array | undefined;

  // Every handle is checked: under noAssert a wrong one would write over other state silently.
  const bmPtr = (bm: Bitmap): number => {
    if (!(bm >= 0 && bm < bitmaps && (bm | 0) === bm)) throw badBitmap(bm, bitmaps);
    return base + bm * bmBytes;
  };
  const listAt = (off: number): number => listPtr + off * 4;

  // A replay too large for wasm32 memory is the input's size, not a bug: a catalogued error (docs/errors.md).
  function tooBig(what: string, bytes: number): Error {
    return new MigreplayError(
      'too-large',
      `wasm kernel: ${what} needs ${fmtBytes(bytes)} of memory, ` +
        `more than the 4 GiB a wasm32 module can address`,
    );
  }

  /** Grow memory so that bytes [0, end) exist (end ≤ MAX_BYTES). */
  function ensureMemory(end: number): void {
    const have = memory.buffer.byteLength;
    if (end <= have) return;
    try {
      memory.grow(Math.ceil((end - have) / WASM_PAGE));
    } catch (e) {
      throw new MigreplayError('too-large', `wasm kernel: could not grow memory to ${fmtBytes(end)}: ${(e as Error).message}`, EXIT_RUN_FAILED);
    }
  }

  return {
    name: 'wasm',

    init(pages: number, nBitmaps: number): void {
      checkInitArgs(pages, nBitmaps);
      const bytes = Math.ceil(Math.ceil(pages / 64) / 2) * 16;
      const end = base + (nBitmaps + 1) * bytes + bytes * 8;
      if (end > MAX_BYTES) throw tooBig(`a guest of ${pages} pages with ${nBitmaps} bitmaps`, end);
      ensureMemory(end);
      memPages = pages;
      bitmaps = nBitmaps;
      bmBytes = bytes;
      scratch = base + nBitmaps * bytes;
      ctr = scratch + bytes;
      ctrBytes = bytes * 8;
      listPtr = ctr + ctrBytes;
      listCap = 0;
      view = undefined;
      // Memory is reused across init() calls (it never shrinks): clear what we use.
      ex.zero(base, listPtr - base);
    },

    lists(capacity: number): Uint32Array {
      checkCapacity(capacity);
      if (capacity > listCap) {
        let cap = grownCapacity(listCap, capacity);
        if (listAt(cap) > MAX_BYTES) cap = capacity; // no room to double: take just what is asked
        if (listAt(cap) > MAX_BYTES) {
          throw tooBig(`a list area of ${cap} entries after ${memPages} pages × ${bitmaps} bitmaps`, listAt(cap));
        }
        ensureMemory(listAt(cap));
        // The new part may hold data from an earlier, larger layout.
        ex.zero(listAt(listCap), (cap - listCap) * 4);
        listCap = cap;
        view = undefined;
      }
      if (view === undefined || view.buffer !== memory.buffer) {
        view = new Uint32Array(memory.buffer, listPtr, listCap);
      }
      return view;
    },

    setBits(bm: Bitmap, off: number, len: number): void {
      ex.setBits(bmPtr(bm), listAt(off), len);
    },
    setBitsExcept(bm: Bitmap, off: number, len: number, exOff: number, exLen: number): void {
      ex.setBitsExcept(bmPtr(bm), listAt(off), len, listAt(exOff), exLen, scratch);
    },
    clear(bm: Bitmap): void {
      ex.zero(bmPtr(bm), bmBytes);
    },
    fill(bm: Bitmap): void {
      ex.fill(bmPtr(bm), memPages, bmBytes);
    },
    copy(dst: Bitmap, src: Bitmap): void {
      if (dst !== src) ex.copy(bmPtr(dst), bmPtr(src), bmBytes);
    },
    or(dst: Bitmap, a: Bitmap, b: Bitmap): void {
      ex.or(bmPtr(dst), bmPtr(a), bmPtr(b), bmBytes);
    },
    and(dst: Bitmap, a: Bitmap, b: Bitmap): void {
      ex.and(bmPtr(dst), bmPtr(a), bmPtr(b), bmBytes);
    },
    andNot(dst: Bitmap, a: Bitmap, b: Bitmap): void {
      ex.andNot(bmPtr(dst), bmPtr(a), bmPtr(b), bmBytes);
    },
    popcount(bm: Bitmap): number {
      return ex.popcount(bmPtr(bm), bmBytes) >>> 0;
    },
    popcountAndRange(a: Bitmap, b: Bitmap, from: number, to: number): number {
      return ex.popcountAndRange(bmPtr(a), bmPtr(b), from, to) >>> 0;
    },
    testBit(bm: Bitmap, page: number): boolean {
      return ex.testBit(bmPtr(bm), page) !== 0;
    },
    setRange(bm: Bitmap, from: number, to: number): void {
      ex.setRange(bmPtr(bm), from, to);
    },
    clearRange(bm: Bitmap, from: number, to: number): void {
      ex.clearRange(bmPtr(bm), from, to);
    },
    countMissing(bm: Bitmap, off: number, len: number): number {
      return ex.countMissing(bmPtr(bm), listAt(off), len) >>> 0;
    },
    filterSpread(off: number, len: number, seed: number, lo: number, hi: number, outOff: number): number {
      return ex.filterSpread(listAt(off), len, seed, lo, hi, listAt(outOff)) >>> 0;
    },
    groupSpread(off: number, len: number, seed: number, pagesOff: number, startsOff: number): void {
      ex.groupSpread(listAt(off), len, seed, listAt(pagesOff), listAt(startsOff));
    },
    takeSpread(pagesOff: number, startsOff: number, seed: number, lo: number, hi: number, outOff: number): number {
      return ex.takeSpread(listAt(pagesOff), listAt(startsOff), seed, lo, hi, listAt(outOff)) >>> 0;
    },
    savedEntries(): number {
      return bmBytes / 4;
    },
    saveBitmap(bm: Bitmap, off: number): void {
      ex.copy(listAt(off), bmPtr(bm), bmBytes);
    },
    orSaved(bm: Bitmap, off: number): void {
      ex.or(bmPtr(bm), bmPtr(bm), listAt(off), bmBytes);
    },
    moveMarks(off: number, len: number, marksOff: number, countsOff: number, mark: number, outOff: number): number {
      return ex.moveMarks(listAt(off), len, listAt(marksOff), listAt(countsOff), mark, listAt(outOff)) >>> 0;
    },
    maxTreeAdd(bestOff: number, addOff: number, size: number, pairsOff: number, pairs: number, last: number): void {
      ex.maxTreeAdd(listAt(bestOff), listAt(addOff), size, listAt(pairsOff), pairs, last);
    },
    advanceAndNot(a: Bitmap, b: Bitmap, from: number, k: number): number {
      // k is a u32 in wasm; memPages < 2^32 set bits exist at most, so clamping keeps the answer.
      return ex.advanceAndNot(bmPtr(a), bmPtr(b), from, Math.min(k, 0xffffffff), memPages) >>> 0;
    },
    collect(bm: Bitmap, from: number, to: number, off: number): number {
      return ex.collect(bmPtr(bm), from, to, listAt(off)) >>> 0;
    },

    countPages(off: number, len: number): void {
      ex.countPages(ctr, listAt(off), len);
    },
    countBitmap(bm: Bitmap): void {
      ex.countBitmap(ctr, bmPtr(bm), bmBytes);
    },
    clearCounters(): void {
      ex.zero(ctr, ctrBytes);
    },
    counter(page: number): number {
      return ex.counter(ctr, page);
    },
    selectAtLeast(threshold: number, dst: Bitmap): void {
      // The wasm side compares u8 lanes against 1…255; settle the other cases here
      // exactly as `counter ≥ threshold` would.
      const t = Math.ceil(threshold);
      if (t <= 0) ex.fill(bmPtr(dst), memPages, bmBytes);
      else if (!(t <= 255)) ex.zero(bmPtr(dst), bmBytes);
      else ex.selectAtLeast(ctr, t, bmPtr(dst), bmBytes);
    },
  };
}
