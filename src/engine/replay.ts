// One replay: a trace, an algorithm with its parameters, a link, a kernel → a result.
import { resolveParams } from '../algorithms/params.js';
import type { Algorithm } from '../algorithms/types.js';
import { fail } from '../errors.js';
import type { Kernel } from '../kernel/types.js';
import type { Trace } from '../trace/read.js';
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
