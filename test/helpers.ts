// Small traces built in memory, and the two kernels, for the test suites.
import { createKernel } from '../src/kernel/node.js';
import type { Kernel } from '../src/kernel/types.js';
import { bytesSource, openTrace, type Trace } from '../src/trace/read.js';
import { TraceWriter, type TraceHeader, type TraceWriterOptions } from '../src/trace/write.js';

/** One epoch for a test trace: start (µs) and pages, plus optional comm/immp subsets. */
export type TestEpoch = [tUs: number, pages: number[], comm?: number[], immp?: number[]];

/** The bytes of an Arrow trace holding these epochs. */
export function traceBytes(header: TraceHeader, epochs: TestEpoch[], options: TraceWriterOptions = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const w = new TraceWriter((c) => chunks.push(c.slice()), header, options);
  for (const [t, pages, comm, immp] of epochs) w.epoch(t, pages, comm, immp);
  w.close();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** An opened, validated in-memory trace. */
export function makeTrace(header: Partial<TraceHeader> & { memPages: number }, epochs: TestEpoch[], options: TraceWriterOptions = {}): Trace {
  const full: TraceHeader = { pageSize: 4096, ...header };
  return openTrace(bytesSource('test.arrow', traceBytes(full, epochs, options)));
}

/** Both kernels, for running a test under each. */
export const KERNELS: { name: 'wasm' | 'js'; make: () => Kernel }[] = [
  { name: 'wasm', make: () => createKernel('wasm') },
  { name: 'js', make: () => createKernel('js') },
];

// 1000-byte pages over 1 MB/s: one page takes exactly 1 ms = 1000 µs, so hand-worked
// timelines are easy to follow.
/** Link used by the hand-worked tests: 1 page per ms, every write of an epoch at its start. */
export const MS_PER_PAGE_LINK = { bandwidthBytesPerS: 1e6, startS: 0, resumeMs: 0, withinEpoch: 'start' as const };
