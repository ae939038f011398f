// Every ```js / ```ts block of README.md and docs/*.md that imports the package
// ('migreplay', 'migreplay/node'), or that a `<!-- runnable -->` line just above marks,
// runs without error as a user would run it: from a folder OUTSIDE the repository
// where `migreplay` resolves only as an installed package would (node_modules/migreplay
// → this repository, so its package.json "exports" and the built dist/ are what load).
// A trace path relative to the repository would not be found there: snippets name
// shipped traces with shippedTrace(). TypeScript blocks are transpiled first. Browser
// blocks get stand-ins for what a page would give them: `kernelWasmUrl` (build/kernel.wasm
// as a data: URL, which fetch() reads in Node) and `droppedFile` (a File of a shipped trace).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const built = existsSync(join(ROOT, 'dist/index.js')) && existsSync(join(ROOT, 'dist/node.js')) && existsSync(join(ROOT, 'build/kernel.wasm'));

interface Snippet {
  file: string;
  line: number;
  lang: string;
  code: string;
}

/** The runnable code blocks of a markdown file. */
function snippets(file: string): Snippet[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: Snippet[] = [];
  for (const m of text.matchAll(/^```([\w-]*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm)) {
    const lang = m[1]!.toLowerCase();
    if (!['js', 'javascript', 'mjs', 'ts', 'typescript'].includes(lang)) continue;
    const before = text.slice(0, m.index).trimEnd().split('\n').slice(-2).join('\n');
    const code = m[2]!;
    const imports = /from\s+['"]migreplay(\/node)?['"]/.test(code);
    if (!imports && !/<!--\s*runnable\s*-->/.test(before)) continue;
    out.push({ file, line: text.slice(0, m.index).split('\n').length, lang, code });
  }
  return out;
}

const FILES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const ALL = FILES.flatMap(snippets);

/** What a page would give a browser snippet, for the names it uses but does not declare. */
function standIns(code: string): string {
  const lines: string[] = [];
  const uses = (name: string) => new RegExp(`\\b${name}\\b`).test(code) && !new RegExp(`(const|let|var|function)\\s+${name}\\b`).test(code);
  if (uses('kernelWasmUrl')) {
    const wasm = readFileSync(join(ROOT, 'build/kernel.wasm')).toString('base64');
    lines.push(`const kernelWasmUrl = 'data:application/wasm;base64,${wasm}';`);
  }
  if (uses('droppedFile')) {
    lines.push(`const droppedFile = new File([(await import('node:fs')).readFileSync(${JSON.stringify(join(ROOT, 'traces/gzip9.arrow'))})], 'gzip9.arrow');`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** The snippet as a module Node runs: imports first, then the stand-ins, then the rest. */
function moduleSource(s: Snippet): string {
  let js = s.code;
  if (s.lang === 'ts' || s.lang === 'typescript') {
    js = ts.transpileModule(js, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false } }).outputText;
  }
  const extra = standIns(js);
  if (!extra) return js;
  // Static imports must stay at the top level; the stand-ins follow the last one.
  const importEnd = [...js.matchAll(/^import[\s\S]*?from\s+['"][^'"]+['"];?[ \t]*$/gm)].reduce((end, m) => Math.max(end, m.index! + m[0].length), 0);
  return js.slice(0, importEnd) + '\n' + extra + js.slice(importEnd);
}

let dir = '';

beforeAll(() => {
  if (!built) return;
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'migreplay-snippets-')));
  expect(relative(ROOT, dir).startsWith('..'), `${dir} lies outside the repository`).toBe(true);
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'migreplay'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'snippet-user', private: true, type: 'module', dependencies: { migreplay: '*' } }));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.runIf(built)('the code blocks of the docs run outside the repository', () => {
  it('finds the blocks that import the package', () => {
    const where = ALL.map((s) => s.file);
    expect(where).toContain('docs/api.md');
    expect(where).toContain('docs/workloads.md');
    expect(where).toContain('docs/report.md');
    expect(ALL.length).toBeGreaterThanOrEqual(5);
  });

  for (const s of ALL) {
    it(`${s.file}:${s.line} (${s.lang}) runs`, () => {
      // Paths into the repository do not exist where users run these.
      expect(s.code, 'no repository-relative path (src/…, traces/…, dist/…)').not.toMatch(/['"`](\.\.?\/)*(src|traces|dist|build)\//);
      const file = join(dir, `snippet-${s.file.replace(/\W+/g, '-')}-${s.line}.mjs`);
      writeFileSync(file, moduleSource(s));
      try {
        execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
      } catch (e) {
        const err = e as { status?: number; stdout?: string; stderr?: string };
        throw new Error(`${s.file}:${s.line} exited ${err.status}:\n${err.stderr}\n${err.stdout}`);
      }
    }, 60_000);
  }
});

describe.runIf(!built)('the code blocks of the docs', () => {
  it('need a build (npm run build) to run as users run them', () => {
    throw new Error('dist/ or build/kernel.wasm is missing: run npm run build (npm test does)');
  });
});
