// The library: everything here runs in Node and in the browser (no Node-only imports).
// File and process access live in 'migreplay/node' (src/node.ts). docs/api.md.
// Every function exported here checks its arguments (src/api/): a misuse is one
// MigreplayError naming the function, the argument and the rule.

export { algorithms } from './algorithms/index.js';
export type { Algorithm } from './algorithms/types.js';
export type { ParamKind, ParamSpec, ParamValues } from './params/index.js';
export { LINK_PARAMS } from './params/link.js';
export {
  findAlgorithm, resolveParams, formatDefault, replay, replayAll, addOracleDistances, addWithinEpochRange,
  isCoarse, samplingIntervalUs, oracleBounds, type ParamInput, type ReplayAllOptions, type Comparison,
} from './api/replay.js';
export { WITHIN_EPOCH_RULES, type WithinEpoch } from './engine/clock.js';
export { DEFAULT_LINK } from './engine/types.js';
export type { LinkParams, ReplayResult, RoundRecord, OracleDistance } from './engine/types.js';
export type { OracleBound, OracleBudget } from './algorithms/oracle.js';
export {
  openTrace, bytesSource, decodedTrace, TraceWriter, traceSchema, traceStats, enableZstdEncoder, downsampleEpochs,
} from './api/trace.js';
export type { ByteSource, OpenOptions, Trace } from './trace/read.js';
export type { TraceMeta, TraceSummary, EpochBatch } from './trace/schema.js';
export type { TraceHeader, TraceWriterOptions, TraceCompression } from './trace/write.js';
export type { TraceStats } from './trace/inspect.js';
export type { MergedEpoch } from './trace/downsample.js';
export { generateTrace, workloads, resolveWorkloadOptions } from './api/generate.js';
export type { Workload, GenOptions, GenGiven, GenResult } from './trace/generate.js';
export { createWasmKernel, createReferenceKernel } from './api/kernel.js';
export type { Kernel, Bitmap } from './kernel/types.js';
export { resultsDocument, toQmp, qmpDocument, parseRate, parseSize, parseDuration, formatRate } from './api/values.js';
export type { ResultsDocument } from './output/results.js';
export type { QmpMigrationInfo, QmpMigrationStats } from './output/qmp.js';
export { MigreplayError, EXIT_BAD_INPUT, EXIT_RUN_FAILED, type ErrorCode } from './errors.js';
export { VERSION } from './version.js';
