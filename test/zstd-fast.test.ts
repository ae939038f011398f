// The speed-built ZSTD decoder (src/trace/codecs/zstd-fast-wasm.ts, clang -Os, made by
// scripts/build-zstd-wasm.sh) against the one it replaced (zstddec's emscripten -Oz build
// of the same libzstd 1.5.7, read from the devDependency zstddec 0.3.4) and fzstd:
// the same bytes out, and the same libzstd error code, on random buffers, several frames,
// skippable frames, damaged frames and frames that lie about their size.
//
// With MIGREPLAY_CHECK_ZSTD_WASM=1 (needs clang, wasm-ld and the npm registry) it also
// rebuilds the module and checks the committed file is that build.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { decompress as fzstd } from 'fzstd';
import { beforeAll, describe, expect, it } from 'vitest';
import { zstdDecode, zstdDecoder } from '../src/trace/codecs/zstd.js';
import { ZSTD_FAST_WASM_BASE64, ZSTD_FAST_WASM_SHA256 } from '../src/trace/codecs/zstd-fast-wasm.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Raw {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
  ZSTD_decompress(d: number, cap: number, s: number, n: number): number;
  ZSTD_isError(r: number): number;
}

/** The wasm zstddec 0.3.4 embeds (base64, in its dist/zstddec.mjs). */
function zstddecWasm(): Buffer {
  const mjs = fs.readFileSync(path.join(ROOT, 'node_modules/zstddec/dist/zstddec.mjs'), 'utf8');
  const b64 = /const wasm\s*=\s*["']([A-Za-z0-9+/=]+)["']/.exec(mjs)?.[1];
  if (!b64) throw new Error('node_modules/zstddec/dist/zstddec.mjs: no embedded wasm found (has its layout changed?)');
  return Buffer.from(b64, 'base64');
}

/** zstddec's build, instantiated directly: the reference. */
function oldDecoder(): Raw {
  const m = new WebAssembly.Module(zstddecWasm());
  return new WebAssembly.Instance(m, { env: { emscripten_notify_memory_growth: () => {} } }).exports as unknown as Raw;
}

/** One raw ZSTD_decompress call: the bytes, or libzstd's error code. */
function rawDecode(x: Raw, src: Uint8Array, capacity: number): { bytes?: Buffer; error?: number } {
  const s = x.malloc(Math.max(src.byteLength, 1));
  const d = x.malloc(Math.max(capacity, 1));
  try {
    if (!s || !d) throw new Error('out of memory');
    new Uint8Array(x.memory.buffer).set(src, s);
    const r = x.ZSTD_decompress(d, capacity, s, src.byteLength);
    if (x.ZSTD_isError(r)) return { error: -r };
    return { bytes: Buffer.from(new Uint8Array(x.memory.buffer).slice(d, d + (r >>> 0))) };
  } finally {
    x.free(d);
    x.free(s);
  }
}

/** zstdDecode's result: the bytes, or its error message. */
function decodeOrError(src: Uint8Array, declared?: number): { bytes?: Buffer; message?: string } {
  try {
    return { bytes: Buffer.from(zstdDecode(src, declared)) };
  } catch (e) {
    return { message: (e as Error).message };
  }
}

let zstd: typeof import('@bokuweb/zstd-wasm');
let old: Raw;
beforeAll(async () => {
  zstd = await import('@bokuweb/zstd-wasm');
  await zstd.init();
  old = oldDecoder();
});

// Buffers like a trace's (page lists, ascending or random), arbitrary bytes, and runs.
const pageLists = fc.tuple(fc.array(fc.integer({ min: 0, max: 2 ** 20 }), { maxLength: 40_000 }), fc.boolean()).map(([xs, sorted]) => {
  const u = Uint32Array.from(xs);
  if (sorted) u.sort();
  return new Uint8Array(u.buffer);
});
const runs = fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 70_000 })), { maxLength: 20 })
  .map((rs) => Uint8Array.from(rs.flatMap(([v, k]) => new Array<number>(k).fill(v))));
const buffers = fc.oneof(fc.uint8Array({ maxLength: 300_000 }), pageLists, runs);
const level = fc.integer({ min: -5, max: 19 });
const skippable = fc.uint8Array({ maxLength: 40 }).map((b) => {
  const f = new Uint8Array(8 + b.byteLength);
  new DataView(f.buffer).setUint32(0, 0x184d2a50 + (b.byteLength & 15), true);
  new DataView(f.buffer).setUint32(4, b.byteLength, true);
  f.set(b, 8);
  return f;
});

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.byteLength);
  return out;
};

describe('the speed-built ZSTD decoder', () => {
  it('is the module its header describes', () => {
    const wasm = Buffer.from(ZSTD_FAST_WASM_BASE64, 'base64');
    expect(createHash('sha256').update(wasm).digest('hex')).toBe(ZSTD_FAST_WASM_SHA256);
    const m = new WebAssembly.Module(wasm);
    expect(WebAssembly.Module.imports(m)).toEqual([]);
    expect(WebAssembly.Module.exports(m).map((e) => e.name).sort()).toEqual(['ZSTD_decompress', 'ZSTD_isError', 'free', 'malloc', 'memory']);
  });

  it('decodes what the old build and fzstd decode: random buffers, levels, several and skippable frames', () => {
    const frames = fc.array(fc.oneof(fc.tuple(buffers, level).map(([raw, l]) => ({ raw, frame: zstd.compress(raw, l) })),
      skippable.map((frame) => ({ raw: new Uint8Array(0), frame }))), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(frames, fc.boolean(), (fs_, declare) => {
        // A skippable frame alone is not a ZSTD stream to libzstd's one-shot decoder; lead with a real one.
        if (fs_[0]!.frame[0] !== 0x28) fs_.unshift({ raw: new Uint8Array([1, 2, 3]), frame: zstd.compress(new Uint8Array([1, 2, 3]), 1) });
        const src = concat(fs_.map((f) => f.frame));
        const want = Buffer.from(concat(fs_.map((f) => f.raw)));
        expect(Buffer.from(fzstd(src)).equals(want)).toBe(true);
        const got = zstdDecode(src, declare ? want.byteLength : undefined);
        expect(Buffer.from(got).equals(want)).toBe(true);
        const ref = rawDecode(old, src, want.byteLength);
        expect(ref.bytes?.equals(want)).toBe(true);
        const now = rawDecode(zstdDecoder(), src, want.byteLength);
        expect(now).toEqual(ref);
      }),
      { numRuns: 50, seed: 11 },
    );
  });

  it('damaged frames and frames that lie about their size: the same bytes or the same libzstd error as the old build', () => {
    const damaged = fc.tuple(buffers, level, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(), fc.integer({ min: -300, max: 300 }));
    let errors = 0;
    let decoded = 0;
    fc.assert(
      fc.property(damaged, ([raw, l, edits, cut, slack]) => {
        const frame = zstd.compress(raw, l);
        const bad = frame.slice(0, frame.byteLength - (cut % 3 === 0 ? cut % Math.max(1, frame.byteLength) : 0));
        for (const [at, v] of edits) if (bad.byteLength) bad[at % bad.byteLength] = v;
        // Raw libzstd, with an output smaller or larger than the frame needs.
        const capacity = Math.max(0, raw.byteLength + slack);
        const ref = rawDecode(old, bad, capacity);
        const now = rawDecode(zstdDecoder(), bad, capacity);
        expect(now).toEqual(ref);
        if (ref.error !== undefined) errors++;
        else decoded++;
        // The bounded entry point: `corrupt ZSTD frame: …` or bytes, and bytes only when libzstd gives them.
        const r = decodeOrError(bad, slack % 2 ? raw.byteLength : undefined);
        if (r.message !== undefined) expect(r.message).toMatch(/^corrupt ZSTD frame: /);
        else expect(r.bytes!.equals(Buffer.from(fzstd(bad)))).toBe(true);
      }),
      { numRuns: 400, seed: 12 },
    );
    expect(errors).toBeGreaterThan(50);
    expect(decoded).toBeGreaterThan(10);
  });

  it('hostile sizes: refused before anything large is allocated, and its memory stays small', () => {
    // One raw 4-byte block under a header claiming 2^40 bytes, 2^31 bytes, or 1 byte.
    const header = (fcs: number[]) => Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, ...fcs]);
    const block = [0x21, 0x00, 0x00, 1, 2, 3, 4]; // last, raw, 4 bytes
    for (const claim of [2 ** 40, 2 ** 31, 2 ** 31 - 1]) {
      const fcs = new Uint8Array(8);
      new DataView(fcs.buffer).setBigUint64(0, BigInt(claim), true);
      expect(() => zstdDecode(concat([header([...fcs]), Uint8Array.from(block)]))).toThrow(/^corrupt ZSTD frame: .*more than its blocks can hold/);
    }
    const tooSmall = concat([Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 1]), Uint8Array.from(block)]); // single segment, says 1 byte
    expect(() => zstdDecode(tooSmall)).toThrow(/^corrupt ZSTD frame: /);
    expect(rawDecode(zstdDecoder(), tooSmall, 1)).toEqual(rawDecode(old, tooSmall, 1));
    // A length prefix that claims more than the blocks can hold is refused too.
    const ok = zstd.compress(new Uint8Array(1000), 3);
    expect(() => zstdDecode(ok, 2 ** 31)).toThrow(/^corrupt ZSTD frame: /);
    expect(() => zstdDecode(ok, 999)).toThrow(/^corrupt ZSTD frame: /);
    expect(zstdDecoder().memory.buffer.byteLength).toBeLessThan(64 << 20);
    // The allocator gives back 0 (and zstd.ts refuses) rather than growing past 2 GiB.
    const x = zstdDecoder();
    expect(x.malloc(2 ** 31 + 16)).toBe(0);
    const p = x.malloc(16);
    expect(p).toBeGreaterThan(0);
    x.free(p);
  });

  it.skipIf(!process.env.MIGREPLAY_CHECK_ZSTD_WASM || spawnSync('clang', ['--version']).status !== 0)(
    'is what scripts/build-zstd-wasm.sh builds (MIGREPLAY_CHECK_ZSTD_WASM=1)',
    () => {
      execFileSync('sh', [path.join(ROOT, 'scripts/build-zstd-wasm.sh'), '--check'], { stdio: 'inherit' });
      expect(fs.existsSync(path.join(ROOT, 'src/trace/codecs/zstd-fast-wasm.ts'))).toBe(true);
    },
    120_000,
  );
});
