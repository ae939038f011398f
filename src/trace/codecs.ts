// Compressed IPC bodies: ZSTD and LZ4_FRAME (what pyarrow and DuckDB write and read).
// Decoders are pure JS so the browser reads the same files; the ZSTD encoder is a
// wasm build that needs an async init, done once by enableZstdEncoder().
import { CompressionType, compressionRegistry } from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';
import lz4 from 'lz4js';

let registered = false;

// Decoders may return views at any offset; Arrow needs 8-byte alignment for Int64 data.
function aligned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
}

/** Register the decoders (and the LZ4 encoder) with apache-arrow; idempotent. */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  compressionRegistry.set(CompressionType.LZ4_FRAME, {
    encode: (data) => lz4.compress(data),
    decode: (data) => aligned(lz4.decompress(data)),
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
