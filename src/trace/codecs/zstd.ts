// ZSTD bodies: libzstd's decoder (v1.5.7) compiled to WebAssembly for speed (clang,
// ./zstd-fast-wasm.ts, made by scripts/build-zstd-wasm.sh; test/zstd-fast.test.ts checks it
// against zstddec's size-optimized build of the same libzstd, which it replaced), compiled
// and instantiated synchronously the first time a ZSTD buffer is decoded (a few ms), so that
// opening a trace stays synchronous, in Node and in a browser worker alike. No Node imports.
//
// A hostile trace must not make it allocate what a header claims. Before anything is
// allocated, the frames are walked with every length checked against the bytes there are
// (as for LZ4), which bounds what they can regenerate: raw and RLE blocks say their size,
// a compressed block regenerates at most min(window, 128 KiB). A frame whose declared
// content size exceeds what its blocks can hold is refused, as is one that disagrees with
// the Arrow length prefix in front of the buffer (the uncompressed length, when the writer
// follows the format); the output buffer is then exactly the expected size, and a frame
// that regenerates more or less is refused too.
import { ZSTD_FAST_WASM_BASE64 } from './zstd-fast-wasm.js';

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC = 0x184d2a50; // … 0x184d2a5f
const BLOCK_MAX = 128 << 10;
// The decoder's wasm32 memory grows to 2 GiB; input and output must both fit. Wasm memory
// never shrinks: after a buffer that grew it past RETAIN_MAX the instance is dropped (the
// compiled module is kept; instantiating again takes well under a millisecond).
const MEMORY_MAX = 2 ** 31;
const RETAIN_MAX = 64 << 20;

function corruptZstd(why: string): never {
  throw new Error(`corrupt ZSTD frame: ${why}`);
}

/** What the frames of `src` can regenerate: at most `bound` bytes; exactly `exact` when every frame declares its content size. */
export interface ZstdSizes { bound: number; exact: number | undefined; frames: number }

/** Walk the ZSTD frames of `src` (and skippable frames) without decoding; throws `corrupt ZSTD frame: …` on framing that cannot be right. */
export function zstdFrameSizes(src: Uint8Array): ZstdSizes {
  const n = src.byteLength;
  const u32 = (at: number): number => (src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16) | (src[at + 3]! << 24)) >>> 0;
  let at = 0;
  let bound = 0;
  let exact: number | undefined = 0;
  let frames = 0;
  while (at < n) {
    if (at + 4 > n) corruptZstd('cut short');
    const magic = u32(at);
    if ((magic & 0xfffffff0) === SKIPPABLE_MAGIC) {
      if (at + 8 > n) corruptZstd('cut short');
      const size = u32(at + 4);
      if (at + 8 + size > n) corruptZstd('a skippable frame runs past the end');
      at += 8 + size;
      continue;
    }
    if (magic !== ZSTD_MAGIC) corruptZstd(frames === 0 ? 'no ZSTD magic number' : 'other bytes after its last frame');
    at += 4;
    if (at >= n) corruptZstd('cut short');
    const fhd = src[at++]!;
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd & 0x20) !== 0;
    if (fhd & 0x08) corruptZstd('a reserved bit is set');
    let window = 0;
    if (!singleSegment) {
      if (at >= n) corruptZstd('cut short');
      const wd = src[at++]!;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    at += [0, 1, 2, 4][fhd & 3]!; // dictionary id
    const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
    if (at + fcsBytes > n) corruptZstd('cut short');
    let contentSize: number | undefined;
    if (fcsBytes === 1) contentSize = src[at]!;
    else if (fcsBytes === 2) contentSize = (src[at]! | (src[at + 1]! << 8)) + 256;
    else if (fcsBytes === 4) contentSize = u32(at);
    else if (fcsBytes === 8) contentSize = u32(at) + u32(at + 4) * 2 ** 32;
    at += fcsBytes;
    if (singleSegment) window = contentSize!;
    const blockMax = Math.min(window, BLOCK_MAX);
    let frameBound = 0;
    for (;;) {
      if (at + 3 > n) corruptZstd('cut short');
      const header = src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16);
      at += 3;
      const type = (header >> 1) & 3;
      const size = header >>> 3; // raw, RLE: the size regenerated; compressed: the bytes that follow
      if (type === 3) corruptZstd('a block of the reserved type');
      if (size > blockMax) corruptZstd('a block larger than its frame allows');
      const content = type === 1 ? 1 : size;
      if (at + content > n) corruptZstd('a block runs past the end');
      frameBound += type === 2 ? blockMax : size;
      at += content;
      if (header & 1) break;
    }
    if (fhd & 0x04) {
      if (at + 4 > n) corruptZstd('cut short');
      at += 4;
    }
    if (contentSize !== undefined && contentSize > frameBound) corruptZstd(`a content size of ${contentSize} bytes, more than its blocks can hold`);
    bound += contentSize ?? frameBound;
    exact = exact === undefined || contentSize === undefined ? undefined : exact + contentSize;
    frames++;
  }
  return { bound, exact, frames };
}

// ---------------------------------------------------------------------------------------
// The decoder instance

interface ZstdExports {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(ptr: number): void;
  ZSTD_decompress(dst: number, dstCapacity: number, src: number, srcSize: number): number;
  ZSTD_isError(code: number): number;
}

let module: WebAssembly.Module | undefined;
let decoder: ZstdExports | undefined;

function base64Bytes(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The decoder, compiled and instantiated on first use (synchronously: a few ms for its 46 KB). */
export function zstdDecoder(): ZstdExports {
  if (!decoder) {
    module ??= new WebAssembly.Module(base64Bytes(ZSTD_FAST_WASM_BASE64) as Uint8Array<ArrayBuffer>);
    const instance = new WebAssembly.Instance(module, {}); // no imports
    decoder = instance.exports as unknown as ZstdExports;
  }
  return decoder;
}

// libzstd's error codes (zstd_errors.h) in words; others by number.
const ZSTD_ERRORS: Record<number, string> = {
  1: 'libzstd failed',
  10: 'an unknown frame descriptor',
  12: 'an unsupported format version',
  14: 'an unsupported frame parameter',
  16: 'a window larger than the decoder allows (128 MiB)',
  20: 'its data is corrupt',
  22: 'its checksum does not match',
  24: 'a literals header that breaks the format',
  30: 'a corrupt dictionary',
  32: 'it needs a dictionary',
  64: 'the decoder ran out of memory',
  70: 'more data than expected',
  72: 'cut short, or other bytes after it',
};

/**
 * Decode ZSTD frames. `declared`, when given, is the decoded size the container states
 * (Arrow's length prefix): the frames must regenerate exactly that. Throws
 * `corrupt ZSTD frame: …` for anything else.
 */
export function zstdDecode(src: Uint8Array, declared?: number): Uint8Array {
  const { bound, exact } = zstdFrameSizes(src); // no bytes: no frames, nothing decoded (as fzstd has it)
  if (declared !== undefined) {
    if (exact !== undefined && exact !== declared) corruptZstd(`a content size of ${exact} bytes, but the buffer's length prefix says ${declared}`);
    if (declared > bound) corruptZstd(`a length prefix of ${declared} bytes, more than its blocks can hold`);
  }
  const expected = declared ?? exact;
  const capacity = expected ?? bound;
  if (capacity + src.byteLength > MEMORY_MAX) corruptZstd(`${capacity} bytes decoded, more than the decoder's memory holds`);
  if (src.byteLength === 0) return new Uint8Array(0);
  const x = zstdDecoder();
  const s = x.malloc(src.byteLength);
  const d = s ? x.malloc(Math.max(capacity, 1)) : 0;
  try {
    if (!s || !d) corruptZstd(`${capacity} bytes decoded, more than the decoder's memory holds`);
    new Uint8Array(x.memory.buffer).set(src, s);
    const r = x.ZSTD_decompress(d, capacity, s, src.byteLength);
    if (x.ZSTD_isError(r)) corruptZstd(ZSTD_ERRORS[-r] ?? `libzstd error ${-r}`);
    const size = r >>> 0;
    if (expected !== undefined && size !== expected) corruptZstd(`${size} bytes decoded, ${expected} expected`);
    return new Uint8Array(x.memory.buffer).slice(d, d + size);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      decoder = undefined; // a trap may leave its heap mid-update: never used again, nor freed into
      corruptZstd('the decoder stopped (RuntimeError)');
    }
    throw e;
  } finally {
    if (decoder === x) {
      if (d) x.free(d);
      if (s) x.free(s);
      if (x.memory.buffer.byteLength > RETAIN_MAX) decoder = undefined;
    }
  }
}
