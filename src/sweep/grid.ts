// The grid of a sweep: traces (files or globs) × algorithms × the --set axes that
// apply to each algorithm; one run per point, each with a deterministic id; shards.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Algorithm } from '../algorithms/types.js';
import { paramKey } from '../params/index.js';
import { fail } from '../errors.js';
import { fileIdentity } from '../io/files.js';
import { defaultLink } from '../params/link.js';
import { valueText, type Axis } from './params.js';

/** One replay of the grid. */
export interface RunSpec {
  /** 16 hex digits: a hash of the trace path, the algorithm and every parameter value (defaults included). */
  runId: string;
  /** Index of the trace in the sweep's trace list. */
  traceIndex: number;
  trace: string;
  algorithm: string;
  /** Every parameter of the algorithm, by JSON key, as used (defaults included; base units: bytes, seconds). */
  params: Record<string, number | string>;
  /** The varied parameters as replay() reads them (text with explicit base units), by JSON key. */
  given: Record<string, string>;
  /** Every link parameter, by key (bandwidthBytesPerS, startS, resumeMs, …). */
  link: Record<string, number | string>;
}

/** Bumped if the id's definition changes: ids of older outputs then no longer match. */
const RUN_ID_VERSION = 'migreplay-run/1';

function stableJson(values: Record<string, number | string>): string {
  return JSON.stringify(Object.keys(values).sort().map((k) => [k, values[k]]));
}

/** The id of a run: sha256 of (trace path, algorithm, every parameter and link value, sorted by key), 16 hex digits. */
export function runIdOf(trace: string, algorithm: string, params: Record<string, number | string>, link: Record<string, number | string>): string {
  const text = `${RUN_ID_VERSION}\n${trace}\n${algorithm}\n${stableJson({ ...params, ...link })}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

const WILD = /[*?[]/;

function segmentPattern(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) { re += '\\['; continue; }
      let body = seg.slice(i + 1, end);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Files matching a pattern with *, ? and [...] in any path segment (no **); sorted. Hidden files match only a pattern that starts with a dot. */
export function globFiles(pattern: string): string[] {
  const absolute = path.isAbsolute(pattern);
  const segs = pattern.split(/[/\\]+/).filter((s, i) => s !== '' || i === 0);
  let bases: string[] = [absolute ? path.parse(pattern).root : ''];
  const start = absolute ? 1 : 0;
  for (let i = start; i < segs.length; i++) {
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    const next: string[] = [];
    for (const base of bases) {
      if (!WILD.test(seg)) {
        const p = base === '' ? seg : path.join(base, seg);
        if (fs.existsSync(p)) next.push(p);
        continue;
      }
      const re = segmentPattern(seg);
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(base === '' ? '.' : base, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (e.name.startsWith('.') && !seg.startsWith('.')) continue;
        if (!re.test(e.name)) continue;
        const p = base === '' ? e.name : path.join(base, e.name);
        let isDir = e.isDirectory();
        if (e.isSymbolicLink()) {
          try { isDir = fs.statSync(p).isDirectory(); } catch { continue; }
        }
        if (last ? !isDir : isDir) next.push(p);
      }
    }
    bases = next;
  }
  return bases.sort();
}

/**
 * One spelling of a file named by a path that cannot be opened (so has no identity):
 * relative to the working folder when inside it, else absolute.
 */
export function traceSpelling(file: string): string {
  const abs = path.resolve(file);
  const rel = path.relative(process.cwd(), abs);
  return rel !== '' && rel.split(path.sep)[0] !== '..' && !path.isAbsolute(rel) ? rel : abs;
}

/**
 * The trace files named by --trace: files as given (normalized), globs expanded (each
 * must match something); a file named twice (by another path, a link) is kept once,
 * under its first name.
 */
export function expandTraces(patterns: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const p of patterns) {
    const files = WILD.test(p) && !fs.existsSync(p) ? globFiles(p) : [p];
    if (files.length === 0) fail('file-missing', `--trace ${p}: matches no file`);
    for (const f of files) {
      const n = path.normalize(f);
      const id = fileIdentity(n) ?? `name:${traceSpelling(n)}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(n);
    }
  }
  if (out.length === 0) fail('usage', '--trace: name at least one trace file');
  return out;
}

/** The most runs a sweep plans (a grid is built whole, in memory, before it is sharded): 10^7. */
export const MAX_GRID_RUNS = 10_000_000;

/** The size of the grid before it is built: traces × Σ over algorithms of the product of its axes' value counts (exact, as a bigint). */
export function countGrid(traces: number, picked: readonly Algorithm[], axes: readonly Axis[]): bigint {
  let runs = 0n;
  for (const algorithm of picked) {
    let n = 1n;
    for (const a of axes) if (a.target.type === 'link' || a.target.owners.includes(algorithm)) n *= BigInt(a.values.length);
    runs += n;
  }
  return runs * BigInt(traces);
}

/** Fail (exit 2) when the grid has more than MAX_GRID_RUNS runs, before building it. */
export function checkGridSize(traces: number, picked: readonly Algorithm[], axes: readonly Axis[]): void {
  const runs = countGrid(traces, picked, axes);
  if (runs > BigInt(MAX_GRID_RUNS)) {
    fail('too-large', `sweep: the grid has ${runs} runs, more than the ${MAX_GRID_RUNS} this build will plan (--shard does not shrink it: every shard plans the whole grid); narrow --set, or split it into several sweeps over fewer values or traces`);
  }
}

/** The runs of the grid, in order: trace, then algorithm, then the axes in --set order (the last varying fastest). */
export function expandGrid(traces: readonly string[], picked: readonly Algorithm[], axes: readonly Axis[]): RunSpec[] {
  checkGridSize(traces.length, picked, axes);
  const runs: RunSpec[] = [];
  const seen = new Set<string>();
  for (const algorithm of picked) {
    // An axis applies to an algorithm that has the parameter, and to every algorithm for the link's.
    const mine = axes.filter((a) => a.target.type === 'link' || a.target.owners.includes(algorithm));
    let points: Record<string, number | string>[] = [{}];
    for (const axis of mine) {
      const grown: Record<string, number | string>[] = [];
      for (const p of points) for (const v of axis.values) grown.push({ ...p, [axis.key]: v });
      points = grown;
    }
    const defaults: Record<string, number | string> = {};
    for (const spec of algorithm.params) defaults[paramKey(spec.name)] = spec.default;
    const linkDefaults = defaultLink();
    const combos = points.map((point) => {
      const params: Record<string, number | string> = { ...defaults };
      const given: Record<string, string> = {};
      const link = { ...linkDefaults };
      for (const axis of mine) {
        const v = point[axis.key]!;
        if (axis.target.type === 'link') link[axis.key] = v;
        else {
          params[axis.key] = v;
          given[axis.key] = valueText(axis.target, v);
        }
      }
      return { params, given, link };
    });
    for (let t = 0; t < traces.length; t++) {
      for (const { params, given, link } of combos) {
        // The path as given: shards run from other folders (a scheduler's job) with the same
        // absolute paths get the same ids; --resume maps another spelling of a file to the
        // one its rows have (plan.ts priorSpellings).
        const runId = runIdOf(traces[t]!, algorithm.id, params, link);
        if (seen.has(runId)) continue;
        seen.add(runId);
        runs.push({ runId, traceIndex: t, trace: traces[t]!, algorithm: algorithm.id, params, given, link });
      }
    }
  }
  // Trace-major order: each worker opens one trace at a time as far as it can.
  return runs.sort((a, b) => a.traceIndex - b.traceIndex);
}

/** Parse --shard i/n (0 ≤ i < n). */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) fail('usage', `--shard '${text}': expected i/n with 0 ≤ i < n, e.g. 0/4`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!(count >= 1) || index >= count) fail('usage', `--shard '${text}': expected i/n with 0 ≤ i < n (shards are numbered from 0)`);
  return { index, count };
}

/** The shard a run belongs to: its id's first 12 hex digits modulo n (independent of the grid's order and size). */
export function shardOf(runId: string, count: number): number {
  return parseInt(runId.slice(0, 12), 16) % count;
}
