// Builds and drives the native C kernels of bench/native/kernels.c for bench/run.mjs.
//
// The binary is built with `cc -O3 -march=native` into the OS temporary folder (never
// into the repository) and rebuilt when the source, the flags or the compiler change; a
// second build adds -mno-avx512f (no AVX-512 at all: wasm has 128-bit vectors, so this
// is the yardstick for popcount, which gcc otherwise turns into AVX-512 vpopcntq). Each
// runs as a child process answering one measurement request per line, so that
// bench/run.mjs can interleave native, wasm and TypeScript measurements of the same case.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('./kernels.c', import.meta.url));
const FLAGS = ['-O3', '-march=native', '-std=c11', '-D_POSIX_C_SOURCE=200809L'];
/** The same build without AVX-512 (-mno-avx512f turns off every AVX-512 extension); AVX2 and popcnt stay. */
export const NO_AVX512_FLAGS = [...FLAGS, '-mno-avx512f'];

/** The C compiler to use ($CC, else cc, gcc, clang) and its version line, or undefined. */
export function findCompiler() {
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean)) {
    const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return { cc, version: r.stdout.split('\n')[0].trim() };
  }
  return undefined;
}

/** Build the native kernels (with `flags`, by default -O3 -march=native) if needed; returns { binary, compiler, flags } or { error }. */
export function buildNative(flags = FLAGS) {
  const compiler = findCompiler();
  if (!compiler) return { error: 'no C compiler (cc, gcc or clang) on PATH' };
  const src = readFileSync(SOURCE);
  const key = createHash('sha256').update(src).update(compiler.version).update(flags.join(' ')).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'migreplay-bench-native');
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, `kernels-${key}`);
  if (!existsSync(binary)) {
    const tmp = `${binary}.${process.pid}`;
    const r = spawnSync(compiler.cc, [...flags, '-o', tmp, SOURCE], { encoding: 'utf8' });
    if (r.status !== 0) return { error: `${compiler.cc} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(0, 5).join(' / ')}` };
    spawnSync('mv', [tmp, binary]);
  }
  return { binary, compiler: compiler.version, flags: flags.join(' ') };
}

/** A running native kernel process: measure(op, pages, seconds) → the C program's JSON answer. */
export function startNative(binary) {
  const child = spawn(binary, ['serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`native kernels exited (${code})`));
  });
  return {
    measure(op, pages, seconds) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(`${op}\t${pages}\t${seconds}\n`);
      });
    },
    close() {
      child.stdin.end();
    },
  };
}
