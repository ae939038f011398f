// Compressed IPC bodies: ZSTD and LZ4_FRAME (what pyarrow and DuckDB write and read).
// Decoders run in the browser as well: LZ4 is pure JS, ZSTD is libzstd's decoder in
// WebAssembly (./codecs/zstd.ts), instantiated synchronously on first use. The ZSTD
// encoder is another wasm build that needs an async init, done once by enableZstdEncoder().
import { CompressionType, compressionRegistry } from 'apache-arrow';
import lz4 from 'lz4js';
import { zstdDecode } from './codecs/zstd.js';
import { guardFlatbuffers } from './guard.js';

let registered = false;

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

// Arrow puts the uncompressed length of each compressed body buffer in the 8 bytes before
// it, and both callers of a codec's decode — the direct reader (read.ts) and apache-arrow's
// _decompressBuffers — pass the bytes after that prefix as a view into the message body,
// so the prefix is there to read. apache-arrow JS (up to 21.x at least; arrow-js #470)
// writes the *compressed* length there instead — every trace it wrote, the shipped ones
// included — and that value says nothing about the decoded size; nor does -1 (a buffer
// left uncompressed, which never reaches decode) or anything beyond 2^53.
function declaredLength(data: Uint8Array): number | undefined {
  if (data.byteOffset < 8) return undefined;
  const prefix = new DataView(data.buffer, data.byteOffset - 8, 8);
  const lo = prefix.getUint32(0, true);
  const hi = prefix.getInt32(4, true);
  if (hi < 0 || hi >= 2 ** 21) return undefined;
  const length = hi * 2 ** 32 + lo;
  return length === data.byteLength ? undefined : length;
}

const zstdCodec = (data: Uint8Array): Uint8Array => zstdDecode(data, declaredLength(data));

/** Register the decoders (and the LZ4 encoder) with apache-arrow, and guard its metadata decoding; idempotent. */
export function registerCodecs(): void {
  guardFlatbuffers(); // throws, on every call, when the guard cannot reach apache-arrow
  if (registered) return;
  registered = true;
  compressionRegistry.set(CompressionType.LZ4_FRAME, {
    encode: (data) => lz4.compress(data),
    decode: lz4Decode, // a fresh buffer: 8-byte aligned, as Int64 data needs
  });
  compressionRegistry.set(CompressionType.ZSTD, { decode: zstdCodec });
}

/** Load the ZSTD encoder (async wasm init) so traces can be written ZSTD-compressed. */
export async function enableZstdEncoder(level = 9): Promise<void> {
  registerCodecs();
  const zstd = await import('@bokuweb/zstd-wasm');
  await zstd.init();
  compressionRegistry.set(CompressionType.ZSTD, {
    encode: (data) => zstd.compress(data, level),
    decode: zstdCodec,
  });
}
