// The library: everything here runs in Node and in the browser (no Node-only imports).
// File and process access live in 'migreplay/node' (src/node.ts). docs/api.md.
import { findAlgorithm } from './algorithms/index.js';
import type { Algorithm } from './algorithms/types.js';
import { addOracleDistances, addWithinEpochRange, isCoarse, replay } from './engine/replay.js';
import type { LinkParams, ReplayResult } from './engine/types.js';
import { fail } from './errors.js';
import type { Kernel } from './kernel/types.js';
import type { Trace } from './trace/read.js';
import type { EpochBatch } from './trace/schema.js';

export { algorithms, findAlgorithm } from './algorithms/index.js';
export type { Algorithm, ParamSpec, ParamValues } from './algorithms/types.js';
export { resolveParams, formatDefault } from './algorithms/params.js';
export { replay, addOracleDistances, addWithinEpochRange, isCoarse, samplingIntervalUs } from './engine/replay.js';
export { WITHIN_EPOCH_RULES, type WithinEpoch } from './engine/clock.js';
export { DEFAULT_LINK } from './engine/types.js';
export type { LinkParams, ReplayResult, RoundRecord, OracleDistance } from './engine/types.js';
export { oracleBounds, type OracleBound } from './algorithms/oracle.js';
export { openTrace, bytesSource, type ByteSource, type OpenOptions, type Trace } from './trace/read.js';
export type { TraceMeta, TraceSummary, EpochBatch } from './trace/schema.js';
export { TraceWriter, traceSchema, type TraceHeader, type TraceWriterOptions, type TraceCompression } from './trace/write.js';
export { traceStats, type TraceStats } from './trace/inspect.js';
export { enableZstdEncoder } from './trace/codecs.js';
export { downsampleEpochs } from './trace/downsample.js';
export { createWasmKernel } from './kernel/wasm.js';
export { createReferenceKernel } from './kernel/reference.js';
export type { Kernel, Bitmap } from './kernel/types.js';
export { resultsDocument, type ResultsDocument } from './output/results.js';
export { toQmp, qmpDocument, type QmpMigrationInfo, type QmpMigrationStats } from './output/qmp.js';
export { MigreplayError, EXIT_BAD_INPUT, EXIT_RUN_FAILED, type ErrorCode } from './errors.js';
export { parseRate, parseSize, parseDuration, formatRate } from './units.js';
export { VERSION } from './version.js';

// ---------------------------------------------------------------------------
// Comparing algorithms on one trace, as `migreplay replay` does.

/** Parameter values as the command line gives them (units allowed), keyed by CLI name or JSON key. */
export type ParamInput = Record<string, string | number | undefined>;

/** Options of replayAll. */
export interface ReplayAllOptions {
  /** The link and clock (defaults: DEFAULT_LINK). */
  link?: Partial<LinkParams>;
  /** Parameter values for every algorithm that has them (as the CLI's flags), or a function giving each algorithm its own. */
  params?: ParamInput | ((algorithm: Algorithm) => ParamInput);
  /** Replay each coarse run under every --within-epoch rule and attach withinEpochRange, as the CLI does (default true). */
  withinEpochRanges?: boolean;
}

/** What replayAll returns: one result per algorithm, in the order given, and the ids whose rounds the trace is coarse for. */
export interface Comparison {
  results: ReplayResult[];
  coarse: string[];
}

/**
 * Replay several algorithms over one trace and attach what `migreplay replay` attaches:
 * each completed pre-copy run's distance from the oracle and, for coarse runs, the range
 * over the --within-epoch rules. Algorithms by object or id.
 */
export function replayAll(trace: Trace, which: readonly (Algorithm | string)[], kernel: Kernel, options: ReplayAllOptions = {}): Comparison {
  const link: Partial<LinkParams> = options.link ?? {};
  const picked = which.map((a) => {
    if (typeof a !== 'string') return a;
    return findAlgorithm(a) ?? fail('unknown-algorithm', `unknown algorithm '${a}'`);
  });
  const paramsOf = (a: Algorithm): ParamInput => (typeof options.params === 'function' ? options.params(a) : (options.params ?? {}));
  const results: ReplayResult[] = picked.map((a) => replay(trace, a, kernel, link, paramsOf(a)));
  addOracleDistances(trace, kernel, link, results, findAlgorithm);
  const coarse = picked.filter((a, i) => a.family !== 'bound' && isCoarse(trace, results[i]!));
  if (options.withinEpochRanges ?? true) {
    for (const a of coarse) addWithinEpochRange(trace, a, kernel, link, paramsOf(a), results[picked.indexOf(a)]!);
  }
  return { results, coarse: coarse.map((a) => a.id) };
}

/**
 * The same trace with its epochs decoded once and kept in memory: repeated replays skip
 * the Arrow decoding (much faster: what the explorer does), at the cost of memory
 * proportional to the trace (4 bytes per page write).
 */
export function decodedTrace(trace: Trace): Trace {
  const batches: EpochBatch[] = [...trace.batches()];
  return { name: trace.name, meta: trace.meta, summary: trace.summary, batches: () => batches };
}
