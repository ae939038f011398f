// Every `--flag` the documentation names exists for the command it is named with.
//
// The flags a command has are read from what a user sees: `migreplay <command> --help`
// of the built CLI (one process per command and per `gen` workload). The documents are
// README.md, docs/*.md and traces/README.md; a flag counts as named with a command in
//   - a command line, in a code block or an inline code span: `migreplay <command> … --flag`
//     (also `node bin/migreplay.js <command> …`, continued over `\` line ends and over the
//     indented lines of a synopsis or a YAML list), or a span that starts with a command
//     word (`replay --json`, `inspect --plot FILE`). Quoted strings and everything after a
//     shell ` -- `, `|`, `;`, `&&` or ` #` are not migreplay's options;
//   - a table: an inline code span that starts with `--` in any cell belongs to the command
//     the document (or, in docs/workloads.md, its section) is about (CONTEXT below);
//     where a document has none, the flag must exist for some command.
// `gen <workload>` is checked against that workload's options (a placeholder such as
// `<workload>`: against any workload's); `--no-X` is yargs' negation of a boolean X.
//
// Needs the build (`npm test` builds first; by hand: `npm run build`).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'migreplay.js');

const COMMANDS = ['replay', 'sweep', 'merge', 'inspect', 'report', 'convert', 'gen', 'capture', 'explore', 'validate', 'fleet'] as const;
type Command = (typeof COMMANDS)[number];
const WORKLOADS = ['uniform', 'hotcold', 'zipf', 'phases', 'hotpages', 'mail', 'video-stream'] as const;

/** What a flag is named with: a command, `gen <workload>` (`gen` alone: any workload), or `*` (any command). */
type Target = string;

/** The command a document's tables are about; docs/workloads.md's sections name their workload. */
const CONTEXT: Record<string, Target[]> = {
  'docs/algorithms.md': ['replay'],
  'docs/model.md': ['replay'],
  'docs/output.md': ['replay'],
  'docs/workloads.md': ['gen'],
  'docs/reproductions.md': ['replay', 'gen'],
  'docs/scale-out.md': ['sweep', 'merge'],
  'docs/capture.md': ['capture'],
  'docs/report.md': ['report'],
  'docs/validation.md': ['validate'],
  'docs/fleet.md': ['fleet'],
  'docs/trace-format.md': ['convert'],
};

/** One flag named in a document. */
export interface Mention {
  file: string;
  line: number;
  /** Where it is accepted: any of these. */
  targets: Target[];
  flag: string;
  how: 'command line' | 'table';
}

// ---------------------------------------------------------------------------------------
// The documents

const FLAG = /(?<![\w-])--([A-Za-z][\w-]*)/g;
const COMMAND_LINE = /(?<![\w-])migreplay(?:\.js)?\s+([a-z][a-z-]*)/g;

/** Text without its quoted strings ("…", '…'): their words are not options. */
function unquote(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, '""');
}

/** The part of a command line that is still migreplay's: up to a shell separator or ` -- ` outside brackets. */
function ownPart(text: string): string {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '[' || c === '(' || c === '{') depth++;
    else if ((c === ']' || c === ')' || c === '}') && depth > 0) depth--;
    if (depth > 0) continue;
    const rest = text.slice(i);
    if (c === ';' || rest.startsWith('&&') || /^\s\|\|?\s/.test(rest) || /^\s#/.test(rest) || /^\s--(\s|$)/.test(rest)) return text.slice(0, i);
  }
  return text;
}

function flagsIn(text: string): string[] {
  return [...text.matchAll(FLAG)].map((m) => m[1]!);
}

/** The flags of every migreplay command line in a piece of code. */
function commandLineFlags(code: string): { target: Target; flags: string[] }[] {
  const text = unquote(code);
  const out: { target: Target; flags: string[] }[] = [];
  const starts = [...text.matchAll(COMMAND_LINE)].filter((m) => (COMMANDS as readonly string[]).includes(m[1]!));
  for (let i = 0; i < starts.length; i++) {
    const m = starts[i]!;
    const end = i + 1 < starts.length ? starts[i + 1]!.index : text.length;
    let rest = ownPart(text.slice(m.index + m[0].length, end));
    let target: Target = m[1]!;
    if (target === 'gen') {
      const w = /^\s+([a-z][a-z-]*)/.exec(rest);
      if (w && (WORKLOADS as readonly string[]).includes(w[1]!)) {
        target = `gen ${w[1]}`;
        rest = rest.slice(w[0].length);
      }
    }
    out.push({ target, flags: flagsIn(rest) });
  }
  return out;
}

/** An inline code span that starts with a command word (`replay --json`): its command and flags. */
function commandSpan(span: string): { target: Target; flags: string[] } | undefined {
  const m = /^([a-z]+)\s/.exec(span);
  if (!m || !(COMMANDS as readonly string[]).includes(m[1]!) || !span.includes('--')) return undefined;
  return commandLineFlags(`migreplay ${span}`)[0];
}

/** Logical lines of a code block: `\` continuations, and indented `--…`/`[--…` lines after a command line, joined. */
function logicalLines(block: { text: string; line: number }[]): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let open = false; // the previous logical line holds a migreplay command
  for (const l of block) {
    const last = out[out.length - 1];
    const continues = last !== undefined && (last.text.endsWith('\\') || (open && /^\s+\[?--[A-Za-z]/.test(l.text)));
    if (continues) last.text = `${last.text.replace(/\\$/, '')} ${l.text.trim()}`;
    else out.push({ text: l.text, line: l.line });
    open = commandLineFlags(out[out.length - 1]!.text).length > 0;
  }
  return out;
}

const INLINE = /`([^`\n]+)`/g;

/** Every flag a document names with a command. */
export function mentions(file: string, text: string): Mention[] {
  const found: Mention[] = [];
  const context = CONTEXT[file] ?? ['*'];
  let section: Target[] = context;
  const add = (line: number, targets: Target[], flags: string[], how: Mention['how']) => {
    for (const flag of flags) found.push({ file, line, targets, flag, how });
  };
  const lines = text.split('\n');
  let block: { text: string; line: number }[] | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const n = i + 1;
    if (/^\s*(```|~~~)/.test(raw)) {
      if (block) {
        for (const l of logicalLines(block)) for (const c of commandLineFlags(l.text)) add(l.line, [c.target], c.flags, 'command line');
        block = undefined;
      } else block = [];
      continue;
    }
    if (block) {
      block.push({ text: raw, line: n });
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(raw);
    if (heading) {
      // docs/workloads.md: "## `hotcold`" is about `gen hotcold`; its other sections about every workload.
      const w = /^`([a-z-]+)`/.exec(heading[1]!.trim());
      if (file === 'docs/workloads.md') section = w && (WORKLOADS as readonly string[]).includes(w[1]!) ? [`gen ${w[1]}`] : ['gen'];
      continue;
    }
    const row = raw.replace(/\\\|/g, '\u0000'); // an escaped \| inside a cell is not a cell border
    for (const m of row.matchAll(INLINE)) {
      const span = m[1]!.replace(/\u0000/g, '|').trim();
      const lines = commandLineFlags(span);
      if (lines.length > 0) for (const c of lines) add(n, [c.target], c.flags, 'command line');
      else {
        const own = commandSpan(span);
        if (own) add(n, [own.target], own.flags, 'command line');
      }
    }
    if (row.trimStart().startsWith('|')) {
      // A cell that starts with `--flag` spans (`--workload`, `--description`) documents those flags.
      for (const cell of row.split('|').slice(1, -1)) {
        const lead = /^\s*((?:`--[A-Za-z][^`]*`(?:\s*(?:,|\/|or|and)?\s*))+)/.exec(cell);
        if (!lead) continue;
        for (const m of lead[1]!.matchAll(INLINE)) add(n, section, flagsIn(ownPart(unquote(m[1]!.replace(/\u0000/g, '|')))), 'table');
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------
// The CLI

/** A command's options as its --help lists them: every spelling, and which are booleans. */
export interface Options {
  names: Set<string>;
  booleans: Set<string>;
}

/** The options in a yargs help text. */
export function helpOptions(help: string): Options {
  const names = new Set<string>();
  const booleans = new Set<string>();
  let current: string[] = [];
  for (const line of help.split('\n')) {
    const entry = /^ {2}(--?[A-Za-z][\w-]*(?:, --?[A-Za-z][\w-]*)*)(?:\s|$)/.exec(line);
    if (entry) {
      current = entry[1]!.split(', ').map((s) => s.replace(/^--?/, ''));
      for (const name of current) names.add(name);
    } else if (!/^\s{3,}\S/.test(line)) current = []; // a group title, a blank line: the entry is over
    if (line.includes('[boolean]')) for (const name of current) booleans.add(name);
  }
  return { names, booleans };
}

const run = promisify(execFile);

async function help(args: string[]): Promise<Options> {
  const { stdout } = await run(process.execPath, [BIN, ...args, '--help'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 24 });
  const options = helpOptions(stdout);
  if (!options.names.has('help')) throw new Error(`migreplay ${args.join(' ')} --help lists no --help: not a help text?\n${stdout}`);
  return options;
}

/** The options of every target: each command, each `gen <workload>`. */
async function allOptions(): Promise<Map<Target, Options>> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const targets: string[][] = [...COMMANDS.filter((c) => c !== 'gen').map((c) => [c]), ...WORKLOADS.map((w) => ['gen', w])];
  const out = new Map<Target, Options>();
  // Two at a time: one per core.
  for (let i = 0; i < targets.length; i += 2) {
    const batch = targets.slice(i, i + 2);
    const got = await Promise.all(batch.map((t) => help(t)));
    batch.forEach((t, j) => out.set(t.join(' '), got[j]!));
  }
  return out;
}

function has(o: Options, flag: string): boolean {
  const name = flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`); // yargs takes camelCase too
  if (o.names.has(name)) return true;
  const negated = /^no-(.+)$/.exec(name);
  return negated !== null && o.booleans.has(negated[1]!);
}

/** Whether a flag exists for one of the targets. */
export function exists(all: Map<Target, Options>, targets: readonly Target[], flag: string): boolean {
  return targets.some((t) => {
    if (t === '*') return [...all.values()].some((o) => has(o, flag));
    if (t === 'gen') return WORKLOADS.some((w) => has(all.get(`gen ${w}`)!, flag));
    const o = all.get(t);
    if (!o) throw new Error(`no help read for '${t}'`);
    return has(o, flag);
  });
}

/** The mentions of flags that do not exist, as `file:line: command --flag (how)`. */
export function missing(all: Map<Target, Options>, found: readonly Mention[]): string[] {
  return found.filter((m) => !exists(all, m.targets, m.flag)).map((m) => `${m.file}:${m.line}: ${m.targets.join(' | ')} --${m.flag} (${m.how})`);
}

// ---------------------------------------------------------------------------------------

const DOCS = [
  'README.md',
  ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`),
  'traces/README.md',
];

describe('flags named in the documentation', () => {
  let all: Map<Target, Options>;
  beforeAll(async () => {
    all = await allOptions();
  }, 120_000);

  it('reads every command\'s options from its --help', () => {
    expect(all.get('replay')!.names).toContain('bandwidth');
    expect(all.get('replay')!.names).toContain('max-bandwidth'); // QEMU spellings are aliases
    expect(all.get('replay')!.names).toContain('iterate-time'); // algorithm parameters
    expect(all.get('gen mail')!.booleans).toContain('fetch');
    expect(all.get('capture')!.names).toContain('xen-domid');
    expect(all.get('sweep')!.names).not.toContain('iterate-time');
  });

  it('would catch a flag that does not exist (the parser on a made-up document)', () => {
    const doc = [
      '## `mail`',
      '```sh',
      'migreplay replay t.arrow --algo qemu --iterate-ms 50 \\',
      '  --bandwidth 1Gbit | head --lines 3',
      'migreplay sweep --trace t.arrow',
      '    --set max-iters=5,10 --jobs 2 --rounds 3',
      'migreplay capture --out x.arrow -- redis-server --port 6390',
      'migreplay gen mail --no-fetch --users 4 --workload "a --quoted flag"',
      'migreplay gen <workload> --out FILE --hot-freq 3',
      '```',
      'Run `migreplay inspect t.arrow --plots x.svg`, or `replay --json`.',
      '| `--users` | 20 | n |',
      '| `--hot-freq` | 40 | not a mail option |',
    ].join('\n');
    const found = mentions('docs/workloads.md', doc);
    expect(found.map((m) => `${m.targets.join('|')} --${m.flag}`)).toEqual([
      'replay --algo', 'replay --iterate-ms', 'replay --bandwidth',
      'sweep --trace', 'sweep --set', 'sweep --jobs', 'sweep --rounds',
      'capture --out',
      'gen mail --no-fetch', 'gen mail --users', 'gen mail --workload',
      'gen --out', 'gen --hot-freq',
      'inspect --plots', 'replay --json',
      'gen mail --users', 'gen mail --hot-freq',
    ]);
    expect(missing(all, found)).toEqual([
      'docs/workloads.md:3: replay --iterate-ms (command line)',
      'docs/workloads.md:5: sweep --rounds (command line)',
      'docs/workloads.md:8: gen mail --workload (command line)',
      'docs/workloads.md:11: inspect --plots (command line)',
      'docs/workloads.md:13: gen mail --hot-freq (table)',
    ]);
  });

  it('finds the flags of the documents (the parser is not reading nothing)', () => {
    const found = DOCS.flatMap((f) => mentions(f, fs.readFileSync(path.join(ROOT, f), 'utf8')));
    expect(found.length).toBeGreaterThan(300);
    for (const c of COMMANDS) expect(found.some((m) => m.targets.some((t) => t.split(' ')[0] === c)), `no flag named with ${c}`).toBe(true);
  });

  it.each(DOCS)('%s names only flags that exist', (file) => {
    const found = mentions(file, fs.readFileSync(path.join(ROOT, file), 'utf8'));
    expect(missing(all, found), `${file}: flags that no --help lists (fix the document, or the command)`).toEqual([]);
  });
});
