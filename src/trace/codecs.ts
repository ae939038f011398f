// Compressed IPC bodies: ZSTD and LZ4_FRAME (what pyarrow and DuckDB write and read).
// Decoders are pure JS so the browser reads the same files; the ZSTD encoder is a
// wasm build that needs an async init, done once by enableZstdEncoder().
import { CompressionType, compressionRegistry } from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';
import lz4 from 'lz4js';
import { guardFlatbuffers } from './guard.js';

let registered = false;

// Decoders may return views at any offset; Arrow needs 8-byte alignment for Int64 data.
function aligned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
}

// lz4js sizes its output from the frame's own header and, when that is absurd (a
// corrupt or hostile trace), falls back to filling a JS array of that many zeros: the
// process dies out of memory. Walk the frame first, with every length checked against
// the bytes there are, and decompress into a typed array of a bound the input can
// justify (a compressed block of c bytes expands to at most 255·c + 64 bytes).
const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

function corruptLz4(why: string): never {
  throw new Error(`corrupt LZ4 frame: ${why}`);
}

function lz4Decode(src: Uint8Array): Uint8Array {
  const u32 = (at: number): number => (src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16) | (src[at + 3]! << 24)) >>> 0;
  if (src.byteLength < 7 || u32(0) !== LZ4_MAGIC) corruptLz4('no LZ4 magic number');
  const flags = src[4]!;
  if ((flags & 0xc0) !== 0x40) corruptLz4('unknown frame version');
  const blockMax = LZ4_BLOCK_MAX[(src[5]! >> 4) & 7];
  if (blockMax === undefined) corruptLz4('invalid block size');
  let at = 6 + (flags & 0x08 ? 8 : 0) + 1; // descriptor, content size, header checksum
  let bound = 0;
  for (;;) {
    if (at + 4 > src.byteLength) corruptLz4('cut short');
    const word = u32(at);
    at += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (at + size + (flags & 0x10 ? 4 : 0) > src.byteLength) corruptLz4('a block runs past the end');
    bound += word & 0x80000000 ? size : Math.min(blockMax, size * 255 + 64);
    at += size + (flags & 0x10 ? 4 : 0);
  }
  const out = new Uint8Array(bound);
  const n = lz4.decompressFrame(src, out);
  if (!(n >= 0 && n <= bound)) corruptLz4('more data than its blocks can hold');
  return out.subarray(0, n);
}

/** Register the decoders (and the LZ4 encoder) with apache-arrow, and guard its metadata decoding; idempotent. */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  guardFlatbuffers();
  compressionRegistry.set(CompressionType.LZ4_FRAME, {
    encode: (data) => lz4.compress(data),
    decode: (data) => aligned(lz4Decode(data)),
  });
  compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => aligned(zstdDecompress(data)) });
}

/** Load the ZSTD encoder (async wasm init) so traces can be written ZSTD-compressed. */
export async function enableZstdEncoder(level = 9): Promise<void> {
  registerCodecs();
  const zstd = await import('@bokuweb/zstd-wasm');
  await zstd.init();
  compressionRegistry.set(CompressionType.ZSTD, {
    encode: (data) => zstd.compress(data, level),
    decode: (data) => aligned(zstdDecompress(data)),
  });
}
