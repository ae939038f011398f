// The Node layer of the library: files and the compiled kernel on disk.
import { createKernel } from './kernel/node.js';
import { fileSource } from './io/files.js';
import { openTrace, type Trace } from './trace/read.js';

export { createKernel, loadWasmModule } from './kernel/node.js';
export { fileSource, AtomicFile, writeFileAtomic } from './io/files.js';
export * from './index.js';
export { runSweep, type SweepOptions, type SweepStats } from './sweep/run.js';
export { mergeFiles } from './sweep/merge.js';
export { runCapture, startCapture, type CaptureOptions, type CaptureResult } from './capture/capture.js';
export { readTable, writeTable } from './sweep/formats.js';

/** Open and validate a trace file (Arrow IPC file or stream), reading it in bounded memory. */
export function openTraceFile(path: string): Trace {
  return openTrace(fileSource(path));
}

/** The default kernel for Node: the WebAssembly one. */
export function defaultKernel() {
  return createKernel('wasm');
}
