// The library: everything here runs in Node and in the browser (no Node-only imports).
// File and process access live in 'migreplay/node' (src/node.ts).
export { algorithms, findAlgorithm } from './algorithms/index.js';
export type { Algorithm, ParamSpec, ParamValues } from './algorithms/types.js';
export { resolveParams, formatDefault } from './algorithms/params.js';
export { replay, addOracleDistances, addWithinEpochRange, isCoarse, samplingIntervalUs } from './engine/replay.js';
export { WITHIN_EPOCH_RULES, type WithinEpoch } from './engine/clock.js';
export { DEFAULT_LINK } from './engine/types.js';
export type { LinkParams, ReplayResult, RoundRecord, OracleDistance } from './engine/types.js';
export { oracleBounds, type OracleBound } from './algorithms/oracle.js';
export { openTrace, bytesSource, type ByteSource, type Trace } from './trace/read.js';
export type { TraceMeta, TraceSummary, EpochBatch } from './trace/schema.js';
export { TraceWriter, traceSchema, type TraceHeader, type TraceWriterOptions, type TraceCompression } from './trace/write.js';
export { traceStats, type TraceStats } from './trace/inspect.js';
export { downsampleEpochs } from './trace/downsample.js';
export { createWasmKernel } from './kernel/wasm.js';
export { createReferenceKernel } from './kernel/reference.js';
export type { Kernel, Bitmap } from './kernel/types.js';
export { resultsDocument, type ResultsDocument } from './output/results.js';
export { MigreplayError, EXIT_BAD_INPUT, EXIT_RUN_FAILED, type ErrorCode } from './errors.js';
export { parseRate, parseSize, parseDuration } from './units.js';
export { VERSION } from './version.js';
