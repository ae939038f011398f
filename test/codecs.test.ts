// The ZSTD decoder (src/trace/codecs/zstd.ts: libzstd in WebAssembly; test/zstd-fast.test.ts
// checks the build itself): it decodes exactly what fzstd (the pure-JS decoder it replaced)
// decodes, on every shipped trace and on random buffers at every compression level; hostile
// or damaged frames are refused with `corrupt ZSTD frame: …` before anything large is
// allocated; and a damaged ZSTD trace gets the one-line error it got with fzstd.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompressionType, compressionRegistry } from 'apache-arrow';
import fc from 'fast-check';
import { decompress as fzstd } from 'fzstd';
import { beforeAll, describe, expect, it } from 'vitest';
import { MigreplayError } from '../src/errors.js';
import { enableZstdEncoder, registerCodecs } from '../src/trace/codecs.js';
import { zstdDecode, zstdDecoder, zstdFrameSizes } from '../src/trace/codecs/zstd.js';
import { bytesSource, openTrace } from '../src/trace/read.js';
import { traceBytes, type TestEpoch } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------
// The decoder

describe('the decoder', () => {
  it('compiles and instantiates synchronously, once; lets a grown memory go', () => {
    const x = zstdDecoder();
    expect(typeof x.ZSTD_decompress).toBe('function');
    expect(zstdDecoder()).toBe(x); // once
    const big = new Uint8Array(80 << 20).fill(7);
    const frame = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x00, 0x00, 0x05, ...rleBlocks(big.byteLength, 7)]);
    expect(Buffer.from(zstdDecode(frame)).equals(Buffer.from(big))).toBe(true);
    expect(zstdDecoder()).not.toBe(x); // the 80 MiB memory was dropped with its instance
    expect(zstdDecoder().memory.buffer.byteLength).toBeLessThan(64 << 20);
  });
});

/** RLE blocks regenerating `size` bytes of `value` (128 KiB each), the last one marked. */
function rleBlocks(size: number, value: number): number[] {
  const out: number[] = [];
  for (let left = size; left > 0; left -= 128 << 10) {
    const n = Math.min(left, 128 << 10);
    const h = (n << 3) | (1 << 1) | (left === n ? 1 : 0);
    out.push(h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Same output as fzstd

let zstd: typeof import('@bokuweb/zstd-wasm');
beforeAll(async () => {
  zstd = await import('@bokuweb/zstd-wasm');
  await zstd.init();
  await enableZstdEncoder();
});

/** The ZSTD buffers a trace's reading hands the codec, each as the view (prefix in front) the reader passes. */
function zstdBuffersOf(bytes: Uint8Array): Uint8Array[] {
  registerCodecs();
  const codec = compressionRegistry.get(CompressionType.ZSTD)!;
  const seen: Uint8Array[] = [];
  compressionRegistry.set(CompressionType.ZSTD, { ...codec, decode: (data) => (seen.push(data), codec.decode!(data)) });
  try {
    const trace = openTrace(bytesSource('t', bytes));
    for (const _ of trace.batches());
  } finally {
    compressionRegistry.set(CompressionType.ZSTD, codec);
  }
  return seen;
}

/** A buffer with an Arrow length prefix in front: `payload` as a view after it. */
function prefixed(payload: Uint8Array, prefix: number): Uint8Array {
  const body = new Uint8Array(8 + payload.byteLength);
  new DataView(body.buffer).setBigInt64(0, BigInt(prefix), true);
  body.set(payload, 8);
  return body.subarray(8);
}

const zstdDecodeArrow = (data: Uint8Array): Uint8Array => compressionRegistry.get(CompressionType.ZSTD)!.decode!(data);

describe('decodes what fzstd decodes', () => {
  const shipped = fs.readdirSync(path.join(ROOT, 'traces')).filter((f) => f.endsWith('.arrow')).sort();

  it('every shipped trace is ZSTD-compressed', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(7);
    for (const f of shipped) expect(zstdBuffersOf(new Uint8Array(fs.readFileSync(path.join(ROOT, 'traces', f)))).length, f).toBeGreaterThan(0);
  });

  it.each(shipped)('traces/%s: every ZSTD buffer, byte for byte', (f) => {
    const buffers = zstdBuffersOf(new Uint8Array(fs.readFileSync(path.join(ROOT, 'traces', f))));
    for (const b of buffers) {
      const want = fzstd(b.slice());
      expect(Buffer.from(zstdDecodeArrow(b)).equals(Buffer.from(want))).toBe(true);
      expect(Buffer.from(zstdDecode(b.slice())).equals(Buffer.from(want))).toBe(true); // no prefix to read
    }
  });

  it('random buffers at every compression level, with a spec or an apache-arrow JS length prefix', () => {
    // Buffers like a trace's (ascending page numbers, small offsets) and arbitrary bytes and runs.
    const pageLists = fc.array(fc.integer({ min: 0, max: 2 ** 20 }), { maxLength: 40_000 }).map((xs) => {
      const u = Uint32Array.from(new Set(xs)).sort();
      return new Uint8Array(u.buffer);
    });
    const runs = fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 70_000 })), { maxLength: 20 })
      .map((rs) => Uint8Array.from(rs.flatMap(([v, k]) => new Array<number>(k).fill(v))));
    const buffers = fc.oneof(fc.uint8Array({ maxLength: 300_000 }), pageLists, runs);
    fc.assert(
      fc.property(buffers, fc.integer({ min: -5, max: 19 }), fc.boolean(), (raw, level, specPrefix) => {
        const frame = zstd.compress(raw, level);
        const want = fzstd(frame);
        expect(Buffer.from(want).equals(Buffer.from(raw))).toBe(true);
        const got = zstdDecodeArrow(prefixed(frame, specPrefix ? raw.byteLength : frame.byteLength));
        expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it('frames without a content size, several frames, skippable frames', () => {
    const raw = new Uint8Array(200_000).map((_, i) => (i * 7) % 251);
    const frame = zstd.compress(raw, 3);
    // Drop the content size: rewrite the header (not single-segment, window 2^20, no FCS).
    const { exact } = zstdFrameSizes(frame);
    expect(exact).toBe(raw.byteLength);
    const fhd = frame[4]!;
    const headerLength = 5 + (fhd & 0x20 ? 0 : 1) + [0, 1, 2, 4][fhd & 3]! + ((fhd >> 6) === 0 ? (fhd & 0x20 ? 1 : 0) : [0, 2, 4, 8][fhd >> 6]!);
    const noSize = Uint8Array.from([...frame.subarray(0, 4), fhd & 0x07 & ~0x03, 0x50, ...frame.subarray(headerLength)]);
    expect(zstdFrameSizes(noSize).exact).toBeUndefined();
    expect(Buffer.from(fzstd(noSize)).equals(Buffer.from(raw))).toBe(true);
    expect(Buffer.from(zstdDecode(noSize)).equals(Buffer.from(raw))).toBe(true);
    expect(Buffer.from(zstdDecode(noSize, raw.byteLength)).equals(Buffer.from(raw))).toBe(true);
    const skippable = Uint8Array.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const two = Uint8Array.from([...skippable, ...frame, ...zstd.compress(raw.subarray(0, 999), 1)]);
    const want = fzstd(two);
    expect(want.byteLength).toBe(raw.byteLength + 999);
    expect(Buffer.from(zstdDecode(two)).equals(Buffer.from(want))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
// Hostile and damaged frames

const corrupt = /^corrupt ZSTD frame: /;

describe('refuses what a frame cannot hold', () => {
  const raw = new Uint8Array(50_000).map((_, i) => i & 0x3f);

  it('a content size beyond what its blocks can hold: refused before anything is allocated', () => {
    // A frame header claiming 2^40 bytes (8-byte content size) over one raw block of 4 bytes.
    const bomb = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0x50, 0, 0, 0, 0, 0, 1, 0, 0, (4 << 3) | 1, 0, 0, 1, 2, 3, 4]);
    const memory = zstdDecoder().memory.buffer.byteLength;
    expect(() => zstdDecode(bomb)).toThrow(/^corrupt ZSTD frame: a content size of 1099511627776 bytes, more than its blocks can hold$/);
    expect(() => zstdDecodeArrow(prefixed(bomb, 2 ** 40))).toThrow(corrupt);
    expect(zstdDecoder().memory.buffer.byteLength).toBe(memory);
  });

  it('a length prefix that disagrees with the content size, or exceeds what the blocks hold', () => {
    const frame = zstd.compress(raw, 5);
    expect(() => zstdDecodeArrow(prefixed(frame, raw.byteLength + 1))).toThrow(/^corrupt ZSTD frame: a content size of 50000 bytes, but the buffer's length prefix says 50001$/);
    expect(() => zstdDecodeArrow(prefixed(frame, 7))).toThrow(corrupt);
    // The apache-arrow JS prefix (the compressed length) and none at all are accepted.
    expect(zstdDecodeArrow(prefixed(frame, frame.byteLength)).byteLength).toBe(raw.byteLength);
    expect(zstdDecode(frame).byteLength).toBe(raw.byteLength);
    // No content size: a prefix beyond the blocks' bound is refused, a wrong one in it too.
    const blocks = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00, (3 << 3) | 1, 0, 0, 9, 9, 9]); // 1 KiB window, one raw block
    expect([...zstdDecode(blocks)]).toEqual([9, 9, 9]);
    expect(() => zstdDecode(blocks, 2 ** 30)).toThrow(/^corrupt ZSTD frame: a length prefix of 1073741824 bytes, more than its blocks can hold$/);
    expect(() => zstdDecode(blocks, 2)).toThrow(corrupt);
  });

  it('every cut of a frame, and random damage: `corrupt ZSTD frame: …` or the right number of bytes, never another error', () => {
    const frame = zstd.compress(raw, 9);
    // No bytes at all is no frame: nothing decoded, as with fzstd (Arrow Java writes empty buffers so).
    expect(fzstd(new Uint8Array(0))).toHaveLength(0);
    expect(zstdDecodeArrow(prefixed(new Uint8Array(0), 0))).toHaveLength(0);
    expect(() => zstdDecode(new Uint8Array(0), 5)).toThrow(corrupt);
    for (let cut = 1; cut < frame.byteLength; cut++) expect(() => zstdDecode(frame.subarray(0, cut)), `cut at ${cut}`).toThrow(corrupt);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(frame.byteLength - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
        const bad = frame.slice();
        for (const [at, v] of edits) bad[at] = v;
        let out: Uint8Array | undefined;
        try {
          out = zstdDecode(bad, raw.byteLength);
        } catch (e) {
          expect((e as Error).message).toMatch(corrupt);
          return;
        }
        expect(out.byteLength).toBe(raw.byteLength);
      }),
      { numRuns: 2000, seed: 11 },
    );
  });
});

describe('a damaged ZSTD trace', () => {
  const EPOCHS: TestEpoch[] = Array.from({ length: 40 }, (_, i) => [i * 1000, Array.from({ length: 300 }, (_, k) => (i * 13 + k * 7) % 5000).sort((a, b) => a - b).filter((x, j, a) => j === 0 || a[j - 1] !== x)]);

  /** The one-line error (or 'ok') of opening and reading `bytes`, with ZSTD decoded by `decode`. */
  function outcome(bytes: Uint8Array, decode: (data: Uint8Array) => Uint8Array): string {
    registerCodecs();
    const codec = compressionRegistry.get(CompressionType.ZSTD)!;
    compressionRegistry.set(CompressionType.ZSTD, { ...codec, decode });
    try {
      const trace = openTrace(bytesSource('t.arrow', bytes));
      for (const _ of trace.batches());
      return 'ok';
    } catch (e) {
      if (!(e instanceof MigreplayError)) throw e;
      return e.message;
    } finally {
      compressionRegistry.set(CompressionType.ZSTD, codec);
    }
  }

  it('random damage to a ZSTD trace: a valid trace or a MigreplayError, never another exception', () => {
    const bytes = traceBytes({ memPages: 5000, pageSize: 4096, intervalUs: 1000 }, EPOCHS, { batchPages: 3000, compression: 'zstd', form: 'stream' });
    const frames = [...new Set(zstdBuffersOf(bytes).map((b) => b.byteOffset))];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(frames.length - 1), fc.nat(400), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const bad = bytes.slice();
        for (const [k, at, v] of edits) bad[Math.min(bad.length - 1, frames[k]! + at)] = v;
        expect(outcome(bad, (d) => zstdDecodeArrow(d))).toMatch(/^(ok|t\.arrow: .+)$/);
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('gets the error it got with fzstd: a broken magic number, a frame cut short, a bad block type', () => {
    for (const form of ['file', 'stream'] as const) {
      const bytes = traceBytes({ memPages: 5000, pageSize: 4096, intervalUs: 1000 }, EPOCHS, { batchPages: 3000, compression: 'zstd', form });
      const frames = [...new Set(zstdBuffersOf(bytes).map((b) => b.byteOffset))];
      expect(frames.length).toBeGreaterThan(4);
      const damage: [string, (b: Uint8Array, at: number) => void][] = [
        ['magic', (b, at) => { b[at] = 0; }],
        ['reserved block type', (b, at) => { const fhd = b[at + 4]!; const h = at + 5 + (fhd & 0x20 ? 0 : 1) + ((fhd >> 6) === 0 ? (fhd & 0x20 ? 1 : 0) : [0, 2, 4, 8][fhd >> 6]!); b[h] = b[h]! | 0x06; }],
        ['frame header cut', (b, at) => { b[at + 4] = 0xc4; }],
      ];
      for (const k of [0, 1, frames.length - 1]) {
        for (const [what, hurt] of damage) {
          const bad = bytes.slice();
          hurt(bad, frames[k]!);
          const before = outcome(bad, (d) => fzstd(d));
          const now = outcome(bad, (d) => zstdDecodeArrow(d));
          expect(now, `${form}, buffer ${k}, ${what}`).toBe(before);
          expect(now).toMatch(/cannot decode|truncated|corrupt/);
        }
      }
    }
  });
});
