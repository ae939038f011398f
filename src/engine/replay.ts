// One replay: a trace, an algorithm with its parameters, a link, a kernel → a result.
import { resolveParams } from '../algorithms/params.js';
import type { Algorithm } from '../algorithms/types.js';
import { fail } from '../errors.js';
import type { Kernel } from '../kernel/types.js';
import type { Trace } from '../trace/read.js';
import { MAX_ORACLE_PAGES, oracle, oracleBounds } from '../algorithms/oracle.js';
import { WITHIN_EPOCH_RULES } from './clock.js';
import { Engine } from './engine.js';
import { DEFAULT_LINK, type LinkParams, type ReplayResult } from './types.js';

/** Check a link against a trace: positive bandwidth, a start inside the trace. */
export function checkLink(trace: Trace, link: LinkParams): void {
  if (!(link.bandwidthBytesPerS > 0)) fail('usage', `--bandwidth must be above 0 (got ${link.bandwidthBytesPerS} bytes/s)`);
  if (!(link.startS >= 0) || link.startS * 1e6 >= trace.summary.durationUs) {
    fail('usage', `--start ${link.startS}s lies outside the trace (0 … ${trace.summary.durationUs / 1e6}s)`);
  }
  if (!(link.resumeMs >= 0)) fail('usage', `--resume-ms must be ≥ 0 (got ${link.resumeMs})`);
}

/** Replay one algorithm over a trace; params may hold CLI-style values with units. */
export function replay(
  trace: Trace,
  algorithm: Algorithm,
  kernel: Kernel,
  link: Partial<LinkParams> = {},
  params: Record<string, string | number | undefined> = {},
): ReplayResult {
  const fullLink: LinkParams = { ...DEFAULT_LINK, ...link };
  checkLink(trace, fullLink);
  const values = resolveParams(algorithm, params);
  const engine = new Engine(trace, kernel, fullLink, algorithm.needs);
  return algorithm.run(engine, values);
}

/** Attach to each completed pre-copy result its distance from the oracle at its own downtime. */
export function addOracleDistances(trace: Trace, kernel: Kernel, link: Partial<LinkParams>, results: ReplayResult[], algorithmsById: (id: string) => Algorithm | undefined): void {
  // Beyond what the oracle can track there is no bound: the results go without a distance.
  if (trace.meta.memPages > MAX_ORACLE_PAGES) return;
  const fullLink: LinkParams = { ...DEFAULT_LINK, ...link };
  const measured = results.filter((r) => r.converged && algorithmsById(r.algorithm)?.family === 'precopy');
  if (measured.length === 0) return;
  const budgets = measured.map((r) => r.rounds.find((x) => x.final)!.pagesSent);
  const horizonUs = Math.max(...measured.map((r) => r.totalTimeS)) * 1e6 + 1;
  const bounds = oracleBounds(new Engine(trace, kernel, fullLink, oracle.needs), budgets, horizonUs);
  measured.forEach((r, i) => {
    const b = bounds[i]!;
    // Never for comparable algorithms (their schedules are feasible); an algorithm that
    // slows the guest can beat every pre-copy schedule: then there is no distance to give.
    if (!b.feasible) return;
    r.oracle = {
      budgetPages: b.budgetPages,
      oracleTotalTimeS: b.totalUs / 1e6,
      pagesRatio: r.pagesSent / trace.meta.memPages,
      timeRatio: r.totalTimeS / (b.totalUs / 1e6),
      comparable: !algorithmsById(r.algorithm)!.altersWorkload,
    };
  });
}

/** The sampling interval of a trace, µs: interval_us, else the median epoch length. */
export function samplingIntervalUs(trace: Trace): number {
  if (trace.meta.intervalUs !== undefined) return trace.meta.intervalUs;
  const s = trace.summary;
  return s.epochs > 1 ? (s.lastUs - s.firstUs) / (s.epochs - 1) : s.durationUs;
}

/** Whether a result's rounds are short against the trace's epochs: median live round < 4 × the sampling interval. */
export function isCoarse(trace: Trace, result: ReplayResult): boolean {
  const live = result.rounds.filter((r) => r.phase === 'precopy').map((r) => r.durationS).sort((a, b) => a - b);
  if (live.length === 0) return false;
  const median = live.length % 2 ? live[(live.length - 1) / 2]! : (live[live.length / 2 - 1]! + live[live.length / 2]!) / 2;
  return median * 1e6 < 4 * samplingIntervalUs(trace);
}

/** Replay an algorithm under every --within-epoch rule and attach the spread of its metrics to `result` (the run under link.withinEpoch). */
export function addWithinEpochRange(
  trace: Trace, algorithm: Algorithm, kernel: Kernel, link: Partial<LinkParams>, params: Record<string, string | number | undefined>, result: ReplayResult,
): void {
  const own = { ...DEFAULT_LINK, ...link }.withinEpoch;
  const byRule: Record<string, { pagesSent: number; totalTimeS: number; downtimeMs: number | null; iterations: number }> = {};
  for (const rule of WITHIN_EPOCH_RULES) {
    const r = rule === own ? result : replay(trace, algorithm, kernel, { ...link, withinEpoch: rule }, params);
    byRule[rule] = { pagesSent: r.pagesSent, totalTimeS: r.totalTimeS, downtimeMs: r.downtimeMs, iterations: r.iterations };
  }
  const values = Object.values(byRule);
  const span = (f: (x: (typeof values)[number]) => number | null): [number, number] | null => {
    const xs = values.map(f);
    if (xs.some((x) => x === null)) return null;
    return [Math.min(...(xs as number[])), Math.max(...(xs as number[]))];
  };
  result.withinEpochRange = {
    pagesSent: span((x) => x.pagesSent)!,
    totalTimeS: span((x) => x.totalTimeS)!,
    downtimeMs: span((x) => x.downtimeMs),
    iterations: span((x) => x.iterations)!,
    byRule,
  };
}
