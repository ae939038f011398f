declare module 'lz4js' {
  /** Compress to an LZ4 frame. */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Decompress an LZ4 frame. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Decompress an LZ4 frame into dst (writes past its end are dropped); returns the decompressed length. */
  export function decompressFrame(src: Uint8Array, dst: Uint8Array): number;
  const lz4: { compress: typeof compress; decompress: typeof decompress; decompressFrame: typeof decompressFrame };
  export default lz4;
}
