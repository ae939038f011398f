// The library as users import it: docs/api.md's example runs against the built
// package, 'migreplay' has no Node-only import in its whole import graph, the
// declarations typecheck a consumer, and replayAll gives what the CLI prints.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli as runCli } from './helpers/cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const built = existsSync(join(DIST, 'index.js')) && existsSync(join(DIST, 'node.js'));
const tmpName = (ext: string) => join(ROOT, `api-test.tmp-${process.pid}-${Math.random().toString(36).slice(2)}.${ext}`);

/** The fenced blocks of a markdown file: [language, text]. */
function fences(markdown: string): [string, string][] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => [m[1]!, m[2]!]);
}

/** Every import specifier of an ES module's source (static, re-exports, dynamic). */
function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of source.matchAll(/(?:^|[\s;])import\s*['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

/** Walk the relative-import graph from a built file: the files reached and the packages named. */
function importGraph(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.includes(file)) continue;
    files.push(file);
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

describe.runIf(built)('the library (built dist/)', () => {
  it('runs the example of docs/api.md and prints what the doc says', () => {
    const blocks = fences(readFileSync(join(ROOT, 'docs/api.md'), 'utf8'));
    const example = blocks.find(([lang]) => lang === 'js');
    const printed = blocks.find(([lang]) => lang === 'text');
    expect(example, 'docs/api.md has a js example').toBeDefined();
    expect(example![1]).toMatch(/from 'migreplay'/);
    // In the repository root, 'migreplay' resolves to dist/ through package.json "exports" (self-reference).
    const file = tmpName('mjs');
    writeFileSync(file, example![1]);
    try {
      const out = execFileSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(out).toBe(printed![1]);
    } finally {
      rmSync(file, { force: true });
    }
  }, 60_000);

  it("has no Node-only import anywhere in the import graph of 'migreplay' (dist/index.js)", () => {
    const { files, packages } = importGraph(join(DIST, 'index.js'));
    expect(files.length).toBeGreaterThan(20);
    const nodeOnly = (p: string) => p.startsWith('node:') || builtinModules.includes(p.split('/')[0]!);
    expect([...packages].filter(nodeOnly)).toEqual([]);
    // The packages it does use are the browser-safe ones (the explorer bundles them).
    expect([...packages].sort()).toEqual(['@bokuweb/zstd-wasm', 'apache-arrow', 'flatbuffers', 'lz4js']);
    // Sanity: the walk does find Node imports where they are (the Node layer).
    const node = importGraph(join(DIST, 'node.js'));
    expect([...node.packages].some(nodeOnly)).toBe(true);
  });

  it('ships declarations that typecheck a consumer of both entry points', () => {
    const file = tmpName('ts');
    writeFileSync(file, [
      "import { algorithms, openTrace, bytesSource, replay, replayAll, toQmp, type ReplayResult, type Trace } from 'migreplay';",
      "import { openTraceFile, defaultKernel } from 'migreplay/node';",
      "const trace: Trace = openTraceFile('traces/gzip9.arrow');",
      "const r: ReplayResult = replay(trace, algorithms[0]!, defaultKernel(), { bandwidthBytesPerS: 1e9 }, { 'max-iters': 5 });",
      "const n: number = r.pagesSent + replayAll(trace, ['qemu'], defaultKernel()).results.length + toQmp(r, trace.meta).ram.transferred;",
      "const t2: Trace = openTrace(bytesSource('x', new Uint8Array(8)));",
      "// @ts-expect-error: pagesSent is a number",
      "const bad: string = r.pagesSent;",
      'export { n, t2, bad };',
    ].join('\n'));
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck',
        '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', file], { cwd: ROOT, encoding: 'utf8' });
    } catch (e) {
      throw new Error(`tsc: ${(e as { stdout?: string }).stdout}`);
    } finally {
      rmSync(file, { force: true });
    }
  }, 60_000);

  it('replayAll gives exactly what `migreplay replay --json` prints, and decodedTrace changes nothing', async () => {
    const algos = ['precopy', 'xen', 'qemu', 'hybrid', 'oracle'];
    const args = ['replay', 'traces/gzip9.arrow', '--algo', algos.join(','), '--bandwidth', '200Mbit', '--max-iters', '7', '--json'];
    // The CLI in-process (test/helpers/cli.ts); the library below in a Node process of its own, as a user runs it.
    const run = await runCli(args);
    expect(run.status, run.stderr).toBe(0);
    const cli = JSON.parse(run.stdout);
    // Run as a user would: a plain Node process importing the package by name.
    const file = tmpName('mjs');
    writeFileSync(file, `
      import { openTraceFile, defaultKernel, replayAll, decodedTrace, parseRate } from 'migreplay/node';
      const trace = openTraceFile('traces/gzip9.arrow');
      const opts = { link: { bandwidthBytesPerS: parseRate('--bandwidth', '200Mbit') }, params: { 'max-iters': '7' } };
      const algos = ${JSON.stringify(algos)};
      const a = replayAll(trace, algos, defaultKernel(), opts);
      const b = replayAll(decodedTrace(trace), algos, defaultKernel(), opts);
      let unknown = '';
      try { replayAll(trace, ['nope'], defaultKernel()); } catch (e) { unknown = e.message; }
      console.log(JSON.stringify({ a: a.results, b: b.results, coarse: a.coarse, unknown }));
    `);
    try {
      const out = JSON.parse(execFileSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8' }));
      expect(out.a).toEqual(cli.results);
      expect(out.b).toEqual(out.a);
      expect(out.coarse).toEqual(cli.results.filter((r: { withinEpochRange?: unknown }) => r.withinEpochRange).map((r: { algorithm: string }) => r.algorithm));
      expect(out.unknown).toMatch(/unknown algorithm 'nope'/);
    } finally {
      rmSync(file, { force: true });
    }
  }, 60_000);
});

describe.runIf(!built)('the library', () => {
  it('needs a build (npm run build) to be tested as users import it', () => {
    throw new Error('dist/ is missing: run npm run build (npm test does)');
  });
});

describe('the build (scripts/build.mjs: npm run build)', () => {
  it('runs a step once, skips it while its inputs are unchanged, and finds it stale when an input is touched or an output is gone', () => {
    // A copy of what the kernel step reads, with the repository's node_modules.
    const dir = mkdtempSync(join(tmpdir(), 'migreplay-build-'));
    try {
      for (const f of ['assembly', 'asconfig.json', 'package-lock.json', 'scripts/build.mjs']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      const build = (...args: string[]) => spawnSync(process.execPath, [join(dir, 'scripts/build.mjs'), ...args], { cwd: dir, encoding: 'utf8' });
      const first = build('kernel');
      expect(first.status, first.stderr).toBe(0);
      expect(first.stderr).toContain('build: kernel: build/kernel.wasm is missing');
      expect(existsSync(join(dir, 'build/kernel.wasm'))).toBe(true);
      // Up to date: nothing runs, nothing is said.
      const again = build('kernel');
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toBe('');
      expect(build('kernel', '--check').status).toBe(0);
      // A touched source (same content, new mtime) is stale; so is a missing output, and a new input file.
      const later = new Date(Date.now() + 5000);
      utimesSync(join(dir, 'assembly/index.ts'), later, later);
      const touched = build('kernel', '--check');
      expect(touched.status).toBe(1);
      expect(touched.stderr).toBe('build: kernel: assembly/index.ts changed\n');
      const rebuilt = build('kernel');
      expect(rebuilt.status, rebuilt.stderr).toBe(0);
      expect(rebuilt.stderr).toContain('build: kernel: assembly/index.ts changed');
      expect(build('kernel', '--check').status).toBe(0);
      mkdirSync(join(dir, 'assembly/more'));
      writeFileSync(join(dir, 'assembly/more/new.ts'), '');
      expect(build('kernel', '--check').stderr).toBe('build: kernel: assembly/more/new.ts changed\n');
      rmSync(join(dir, 'assembly/more'), { recursive: true });
      expect(build('kernel', '--check').status).toBe(0);
      rmSync(join(dir, 'build/kernel.wasm'));
      expect(build('kernel', '--check').stderr).toBe('build: kernel: build/kernel.wasm is missing\n');
      // The other steps were never run here.
      expect(build('ts', '--check').stderr).toBe('build: ts: dist/index.js is missing\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
