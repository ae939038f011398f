// Popcount variants (bench/popcount/variants.ts) against each other: GB/s per CPU second,
// median of 7 rounds of 0.1 s, bitmaps of 128 KiB and 2 MiB (1M and 16M pages).
//   node bench/popcount/run.mjs [--json]
// A: the kernel's hybrid (v128 Harley–Seal + scalar popcnt); B: scalar popcnt only;
// C: a 16-vector tree (vector only); D: A with bitselect carry-save steps;
// E: i8x16.popcnt with byte accumulators.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'migreplay-popcount-'));
const wasm = join(dir, 'variants.wasm');
try {
  execFileSync(join(here, '..', '..', 'node_modules', '.bin', 'asc'), [join(here, 'variants.ts'), '-O3', '--converge', '--noAssert', '--runtime', 'stub', '--enable', 'simd', '-o', wasm], { stdio: ['ignore', 'ignore', 'pipe'] });
  const { instance } = await WebAssembly.instantiate(readFileSync(wasm), { env: { abort() { throw new Error('abort'); } } });
  const x = instance.exports;
  const fns = ['popA', 'popB', 'popC', 'popD', 'popE'];
  const rows = [];
  for (const bytes of [1 << 17, 1 << 21]) {
    const p = x.alloc(bytes);
    const u8 = new Uint8Array(x.memory.buffer, p, bytes);
    let s = 1;
    for (let i = 0; i < bytes; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; u8[i] = s >>> 24; }
    let expected = 0;
    for (let i = 0; i < bytes; i++) for (let v = u8[i]; v; v &= v - 1) expected++;
    const rates = Object.fromEntries(fns.map((f) => [f, []]));
    for (const f of fns) if (x[f](p, bytes) !== expected) throw new Error(`${f} counts ${x[f](p, bytes)}, not ${expected}`);
    // All ones too: the densest case (byte-lane accumulators overflow first there).
    u8.fill(0xff);
    for (const f of fns) if (x[f](p, bytes) !== bytes * 8) throw new Error(`${f} counts ${x[f](p, bytes)} of ${bytes * 8} set bits`);
    s = 1;
    for (let i = 0; i < bytes; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; u8[i] = s >>> 24; }
    for (let round = 0; round < 7; round++) {
      for (const f of fns) {
        const fn = x[f];
        let calls = 0;
        const t0 = process.cpuUsage();
        let used;
        do { for (let i = 0; i < 50; i++) fn(p, bytes); calls += 50; used = process.cpuUsage(t0); } while (used.user + used.system < 100_000);
        rates[f].push((calls * bytes) / ((used.user + used.system) / 1e6) / 1e9);
      }
    }
    const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
    rows.push({ bytes, gbPerS: Object.fromEntries(fns.map((f) => [f, +median(rates[f]).toFixed(1)])) });
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify({ benchmark: 'popcount-variants', node: process.version, rows }, null, 2));
  else for (const r of rows) console.log(`${String(r.bytes).padStart(8)} B: ${fns.map((f) => `${f} ${r.gbPerS[f]} GB/s`).join('  ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
