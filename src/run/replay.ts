// One replay and what is computed around it: a trace, an algorithm with its parameters,
// a link, a kernel → a result; oracle distances and --within-epoch ranges. The run layer
// sits above the engine and the algorithms; the engine imports neither.
import { resolveParams } from '../params/index.js';
import { findAlgorithm } from '../algorithms/index.js';
import type { Algorithm } from '../algorithms/types.js';
import { fail } from '../errors.js';
import type { Kernel } from '../kernel/types.js';
import type { Trace } from '../trace/read.js';
import { MAX_ORACLE_PAGES, oracle, oracleBounds, type OracleBudget } from '../algorithms/oracle.js';
import { WITHIN_EPOCH_RULES } from '../engine/clock.js';
import { Engine, type LinkChannel } from '../engine/engine.js';
import { DEFAULT_LINK, type LinkParams, type ReplayResult } from '../engine/types.js';

/** Check a link against a trace: positive bandwidth, a start inside the trace. */
export function checkLink(trace: Trace, link: LinkParams): void {
  if (!(link.bandwidthBytesPerS > 0)) fail('usage', `--bandwidth must be above 0 (got ${link.bandwidthBytesPerS} bytes/s)`);
  if (!(link.startS >= 0) || link.startS * 1e6 >= trace.summary.durationUs) {
    fail('usage', `--start ${link.startS}s lies outside the trace (0 … ${trace.summary.durationUs / 1e6}s)`);
  }
  if (!(link.resumeMs >= 0)) fail('usage', `--resume-ms must be ≥ 0 (got ${link.resumeMs})`);
}

/** Replay one algorithm over a trace; params may hold CLI-style values with units; a channel shares the link (src/run/fleet.ts). */
export function replay(
  trace: Trace,
  algorithm: Algorithm,
  kernel: Kernel,
  link: Partial<LinkParams> = {},
  params: Record<string, string | number | undefined> = {},
  channel?: LinkChannel,
): ReplayResult {
  const fullLink: LinkParams = { ...DEFAULT_LINK, ...link };
  checkLink(trace, fullLink);
  const values = resolveParams(algorithm, params);
  const engine = new Engine(trace, kernel, fullLink, algorithm.needs, channel);
  return algorithm.run(engine, values);
}

/**
 * Attach to each completed pre-copy result its distance from the oracle at its own
 * downtime: the bytes its pause sent, at the rate it sent them, each result looked up
 * to its own total time, so a distance never depends on the other results.
 */
export function addOracleDistances(trace: Trace, kernel: Kernel, link: Partial<LinkParams>, results: ReplayResult[], algorithmsById: (id: string) => Algorithm | undefined): void {
  // Beyond what the oracle can track there is no bound: the results go without a distance.
  if (trace.meta.memPages > MAX_ORACLE_PAGES) return;
  const fullLink: LinkParams = { ...DEFAULT_LINK, ...link };
  const measured = results.filter((r) => r.converged && algorithmsById(r.algorithm)?.family === 'precopy');
  if (measured.length === 0) return;
  const pageSize = trace.meta.pageSize;
  const budgets: OracleBudget[] = measured.map((r) => {
    const copy = r.finalCopy;
    const pages = copy ? copy.bytes / pageSize : r.rounds.find((x) => x.final)!.pagesSent;
    const rate = copy ? fullLink.bandwidthBytesPerS / copy.bytesPerS : 1;
    return { pages, rate, horizonUs: r.totalTimeS * 1e6 + 1 };
  });
  const bounds = oracleBounds(new Engine(trace, kernel, fullLink, oracle.needs), budgets);
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

/** Options of replayAll. */
export interface ReplayAllOptions {
  /** The link and clock (defaults: DEFAULT_LINK). */
  link?: Partial<LinkParams>;
  /** Parameter values for every algorithm that has them (as the CLI's flags), or a function giving each algorithm its own. */
  params?: Record<string, string | number | undefined> | ((algorithm: Algorithm) => Record<string, string | number | undefined>);
  /** Replay each coarse run under every --within-epoch rule and attach withinEpochRange, as the CLI does (default true). */
  withinEpochRanges?: boolean;
  /** Attach each completed pre-copy result's oracle distance (default true; off where nothing shows it). */
  oracle?: boolean;
}

/** What replayAll returns: one result per algorithm, in the order given, and the ids whose rounds the trace is coarse for. */
export interface Comparison {
  results: ReplayResult[];
  coarse: string[];
}

/** Replay several algorithms over one trace, with what `migreplay replay` attaches (oracle distances, within-epoch ranges); no argument checks (src/api/ has them). */
export function replayAll(trace: Trace, picked: readonly Algorithm[], kernel: Kernel, options: ReplayAllOptions = {}): Comparison {
  const link: Partial<LinkParams> = options.link ?? {};
  const paramsOf = (a: Algorithm) => (typeof options.params === 'function' ? options.params(a) : (options.params ?? {}));
  const results: ReplayResult[] = picked.map((a) => replay(trace, a, kernel, link, paramsOf(a)));
  if (options.oracle ?? true) addOracleDistances(trace, kernel, link, results, findAlgorithm);
  const coarse = picked.filter((a, i) => a.family !== 'bound' && isCoarse(trace, results[i]!));
  if (options.withinEpochRanges ?? true) {
    for (const a of coarse) addWithinEpochRange(trace, a, kernel, link, paramsOf(a), results[picked.indexOf(a)]!);
  }
  return { results, coarse: coarse.map((a) => a.id) };
}
