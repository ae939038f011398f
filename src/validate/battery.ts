// `migreplay validate qemu --battery`: every workload of BATTERY, each run --repeat
// times, one run folder each under one battery folder; per workload the mean and the
// spread (min…max) of every error. `--battery --compare DIR` recomputes the same table
// from the recorded runs without QEMU. docs/validation.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Comparison } from './compare.js';
import type { ValidateOptions } from './run.js';

/** One workload of the battery: a name, what it is, the options of its runs. */
export interface BatteryWorkload {
  name: string;
  about: string;
  options: Omit<ValidateOptions, 'dir' | 'log'>;
}

const MiB = 1 << 20;
const base = { memMiB: 256, bandwidth: 50 * MiB, downtimeLimitMs: 300, autoConverge: false, timeoutS: 30, hotPages: 1024, writesPerMs: 1, dirtyMiB: 64 } as const;

/** The battery (docs/validation.md has a row for each). */
export const BATTERY: readonly BatteryWorkload[] = [
  { name: 'light', about: 'dirtier: 64 MiB, 1 write/ms in 1 024 hot pages', options: { ...base } },
  { name: 'medium', about: 'dirtier: 128 MiB, 12 writes/ms in 16 384 hot pages', options: { ...base, dirtyMiB: 128, hotPages: 16384, writesPerMs: 12 } },
  { name: 'heavy', about: 'dirtier: 160 MiB, 30 writes/ms in 40 960 hot pages; cancelled at 20 s', options: { ...base, dirtyMiB: 160, hotPages: 40960, writesPerMs: 30, timeoutS: 20 } },
  { name: 'fast-link', about: 'medium at 100 MiB/s, downtime-limit 50 ms', options: { ...base, dirtyMiB: 128, hotPages: 16384, writesPerMs: 12, bandwidth: 100 * MiB, downtimeLimitMs: 50 } },
  { name: 'auto-converge', about: 'heavy with auto-converge', options: { ...base, dirtyMiB: 160, hotPages: 40960, writesPerMs: 30, autoConverge: true, timeoutS: 90 } },
  { name: 'postcopy', about: 'heavy, migrate-start-postcopy after the first pass (postcopy-ram both sides), max-postcopy-bandwidth unlimited (QEMU default)', options: { ...base, dirtyMiB: 160, hotPages: 40960, writesPerMs: 30, postcopyAfterSyncs: 1, timeoutS: 60 } },
  { name: 'postcopy-50', about: 'postcopy with max-postcopy-bandwidth 50 MiB/s (the pre-copy link)', options: { ...base, dirtyMiB: 160, hotPages: 40960, writesPerMs: 30, postcopyAfterSyncs: 1, postcopyBandwidth: 50 * MiB, timeoutS: 60 } },
  { name: 'xz', about: 'xz -6 compressing 12 MB of generated text, in a loop; cancelled at 20 s', options: { ...base, workload: 'xz', timeoutS: 20 } },
  { name: 'sqlite', about: 'sqlite3 inserting 60 000 rows, indexing, updating, in a loop (tmpfs database)', options: { ...base, workload: 'sqlite' } },
  { name: 'perl', about: 'perl building a 30 000-key hash and sorting its keys, in a loop', options: { ...base, workload: 'perl' } },
];

/** One run of a battery: its folder (relative to the battery folder) and comparison, or why it failed. */
export interface BatteryRun {
  workload: string;
  index: number;
  dir: string;
  comparison?: Comparison;
  error?: string;
}

/** Mean and spread of one quantity over a workload's runs (null where no run has it). */
export interface Stat {
  mean: number;
  min: number;
  max: number;
  n: number;
}

export interface WorkloadSummary {
  workload: string;
  runs: number;
  failed: number;
  /** Real QEMU: total time (ms), downtime (ms), transferred (bytes), post-copy requests. */
  real: { 'total-time': Stat | null; downtime: Stat | null; transferred: Stat | null; 'postcopy-requests': Stat | null };
  /** Errors: relative (bytes, time, downtime, requests) or differences (syncs, downtime-ms, throttle steps). */
  error: {
    transferred: Stat | null;
    'total-time': Stat | null;
    downtime: Stat | null;
    'downtime-ms': Stat | null;
    'dirty-sync-count': Stat | null;
    'throttle-steps': Stat | null;
    'postcopy-requests': Stat | null;
  };
  /** Runs with the same verdict, runs meeting every goal, and per goal. */
  sameVerdict: number;
  goalsMet: number;
  goals: Record<string, number>;
  postcopy: boolean;
  autoConverge: boolean;
}

/** Mean, min and max of the numbers among xs (null when there is none). */
export function stat(xs: (number | null | undefined)[]): Stat | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (v.length === 0) return null;
  return { mean: v.reduce((a, b) => a + b, 0) / v.length, min: Math.min(...v), max: Math.max(...v), n: v.length };
}

/** Per workload (in first-seen order): the mean and spread of every error. */
export function summarize(runs: BatteryRun[]): WorkloadSummary[] {
  const names: string[] = [];
  for (const r of runs) if (!names.includes(r.workload)) names.push(r.workload);
  return names.map((name) => {
    const all = runs.filter((r) => r.workload === name);
    const cs = all.map((r) => r.comparison).filter((c): c is Comparison => c !== undefined);
    const goalNames = cs.length ? Object.keys(cs[0]!.goals).filter((k) => k !== 'all') : [];
    return {
      workload: name,
      runs: all.length,
      failed: all.length - cs.length,
      real: {
        'total-time': stat(cs.map((c) => c.real['total-time'])),
        downtime: stat(cs.map((c) => c.real.downtime)),
        transferred: stat(cs.map((c) => c.real.transferred)),
        'postcopy-requests': stat(cs.map((c) => c.real['postcopy-requests'])),
      },
      error: {
        transferred: stat(cs.map((c) => c.error.transferred)),
        'total-time': stat(cs.map((c) => c.error['total-time'])),
        downtime: stat(cs.map((c) => c.error.downtime)),
        'downtime-ms': stat(cs.map((c) => c.error['downtime-ms'])),
        'dirty-sync-count': stat(cs.map((c) => c.error['dirty-sync-count'])),
        'throttle-steps': stat(cs.map((c) => c.error['throttle-steps'])),
        'postcopy-requests': stat(cs.map((c) => c.error['postcopy-requests'])),
      },
      sameVerdict: cs.filter((c) => c.error['same-verdict']).length,
      goalsMet: cs.filter((c) => c.goals.all).length,
      goals: Object.fromEntries(goalNames.map((g) => [g, cs.filter((c) => (c.goals as Record<string, boolean>)[g]).length])),
      postcopy: cs.some((c) => c.real['postcopy-requests'] !== undefined),
      autoConverge: cs.some((c) => c.workload.autoConverge === true),
    };
  });
}

/** A signed number as shown: the sign of the rounded value (−0.0 shows as ±0.0). */
const sign = (x: number, digits: number) => {
  const r = Number(x.toFixed(digits));
  return `${r > 0 ? '+' : r < 0 ? '−' : '±'}${Math.abs(r).toFixed(digits)}`;
};

/** "mean (min…max)" of a stat, through f; "–" without one; just the mean for one run. */
export function meanSpread(s: Stat | null, f: (x: number) => string): string {
  if (!s) return '–';
  if (s.n === 1 || s.min === s.max) return f(s.mean);
  return `${f(s.mean)} (${f(s.min)}…${f(s.max)})`;
}

const pct = (x: number) => `${sign(x * 100, 1)} %`;
const diff = (x: number) => (Number.isInteger(x) ? sign(x, 0) : sign(x, 1));
const num = (digits: number) => (x: number) => x.toFixed(digits);

/** The table's rows: header first. */
export function batteryRows(sums: WorkloadSummary[]): string[][] {
  const head = ['workload', 'runs', 'real total s', 'real downtime ms', 'bytes err', 'total-time err', 'downtime err ms', 'syncs diff', 'throttle diff', 'requests err', 'verdict', 'goals met'];
  const rows = sums.map((s) => [
    s.workload,
    s.failed ? `${s.runs} (${s.failed} failed)` : String(s.runs),
    meanSpread(s.real['total-time'] && { ...s.real['total-time'], mean: s.real['total-time'].mean / 1000, min: s.real['total-time'].min / 1000, max: s.real['total-time'].max / 1000 }, num(1)),
    meanSpread(s.real.downtime, num(0)),
    meanSpread(s.error.transferred, pct),
    meanSpread(s.error['total-time'], pct),
    meanSpread(s.error['downtime-ms'], diff),
    meanSpread(s.error['dirty-sync-count'], diff),
    s.autoConverge ? meanSpread(s.error['throttle-steps'], diff) : '–',
    s.postcopy ? meanSpread(s.error['postcopy-requests'], pct) : '–',
    `${s.sameVerdict}/${s.runs - s.failed} same`,
    `${s.goalsMet}/${s.runs - s.failed}`,
  ]);
  return [head, ...rows];
}

/** The table as text (columns padded), or as a Markdown table. */
export function formatBattery(sums: WorkloadSummary[], markdown = false): string {
  const rows = batteryRows(sums);
  if (markdown) return rows.map((r, i) => `| ${r.join(' | ')} |` + (i === 0 ? `\n|${r.map(() => '---').join('|')}|` : '')).join('\n') + '\n';
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => [...r[j]!].length)));
  const line = (r: string[]) => r.map((c, j) => c + ' '.repeat(w[j]! - [...c].length)).join('  ').trimEnd();
  return [line(rows[0]!), w.map((n) => '-'.repeat(n)).join('  '), ...rows.slice(1).map(line)].join('\n') + '\n';
}

/** Which goals a workload's runs missed, as "downtime 1/3, total-time 0/3". */
export function missedGoals(s: WorkloadSummary): string {
  const n = s.runs - s.failed;
  return Object.entries(s.goals).filter(([, k]) => k < n).map(([g, k]) => `${g} ${k}/${n}`).join(', ');
}

/** A run folder's name in the battery folder. */
export function runFolderName(workload: string, index: number): string {
  return `${workload}-${index + 1}`;
}

/** The run folders of a battery folder: [workload, index, folder], battery order, then by index. */
export function batteryFolders(dir: string): [string, number, string][] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: [string, number, string][] = [];
  for (const n of names) {
    const m = /^(.+)-(\d+)$/.exec(n);
    if (!m || !fs.existsSync(path.join(dir, n, 'record.json'))) continue;
    out.push([m[1]!, Number(m[2]) - 1, n]);
  }
  const order = (w: string) => {
    const i = BATTERY.findIndex((b) => b.name === w);
    return i < 0 ? BATTERY.length : i;
  };
  return out.sort((a, b) => order(a[0]) - order(b[0]) || a[0].localeCompare(b[0]) || a[1] - b[1]);
}
