// One replay: a trace, an algorithm with its parameters, a link, a kernel → a result.
import { resolveParams } from '../algorithms/params.js';
import type { Algorithm } from '../algorithms/types.js';
import { fail } from '../errors.js';
import type { Kernel } from '../kernel/types.js';
import type { Trace } from '../trace/read.js';
import { oracle, oracleBounds } from '../algorithms/oracle.js';
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
  const fullLink: LinkParams = { ...DEFAULT_LINK, ...link };
  const measured = results.filter((r) => r.converged && algorithmsById(r.algorithm)?.family === 'precopy');
  if (measured.length === 0) return;
  const budgets = measured.map((r) => r.rounds.find((x) => x.final)!.pagesSent);
  const horizonUs = Math.max(...measured.map((r) => r.totalTimeS)) * 1e6 + 1;
  const bounds = oracleBounds(new Engine(trace, kernel, fullLink, oracle.needs), budgets, horizonUs);
  measured.forEach((r, i) => {
    const b = bounds[i]!;
    if (!b.feasible) return; // cannot happen for a schedule the engine produced; left out rather than invented
    r.oracle = {
      budgetPages: b.budgetPages,
      oracleTotalTimeS: b.totalUs / 1e6,
      pagesRatio: r.pagesSent / trace.meta.memPages,
      timeRatio: r.totalTimeS / (b.totalUs / 1e6),
      comparable: !algorithmsById(r.algorithm)!.altersWorkload,
    };
  });
}
