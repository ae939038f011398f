// What `inspect` tells about a trace: size, epochs, dirty pages per epoch, distinct
// pages, and the writable working set (distinct pages dirtied within windows).
import type { Kernel } from '../kernel/types.js';
import type { Trace } from './read.js';

/** Distinct pages dirtied per window of a given length (tumbling windows from t = 0). */
export interface WorkingSetPoint {
  windowS: number;
  windows: number;
  meanPages: number;
  maxPages: number;
}

/** The summary `inspect` prints. */
export interface TraceStats {
  path: string;
  memPages: number;
  pageSize: number;
  memBytes: number;
  epochs: number;
  events: number;
  durationS: number;
  intervalUs: number | null;
  source: string | null;
  workload: string | null;
  dirtyPerEpoch: { mean: number; p50: number; p99: number; max: number };
  distinctPages: number;
  hasComm: boolean;
  hasImmp: boolean;
  workingSet: WorkingSetPoint[];
}

/** The q-quantile (nearest rank) of sorted values. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Compute a trace's statistics in one pass, using the kernel's bitmaps. */
export function traceStats(trace: Trace, kernel: Kernel, windowsS: readonly number[] = [0.1, 1, 10]): TraceStats {
  const s = trace.summary;
  const all = 0;
  kernel.init(trace.meta.memPages, 1 + windowsS.length);
  const perEpoch = new Float64Array(s.epochs);
  const windowUs = windowsS.map((w) => w * 1e6);
  const current = windowsS.map(() => -1);
  const counts = windowsS.map(() => ({ n: 0, sum: 0, max: 0 }));
  const closeWindow = (w: number) => {
    const pages = kernel.popcount(1 + w);
    counts[w]!.n++;
    counts[w]!.sum += pages;
    counts[w]!.max = Math.max(counts[w]!.max, pages);
    kernel.clear(1 + w);
  };
  let epoch = 0;
  for (const b of trace.batches()) {
    kernel.lists(b.pages.length).set(b.pages, 0);
    for (let i = 0; i < b.length; i++, epoch++) {
      const off = b.offsets[i]!;
      const len = b.offsets[i + 1]! - off;
      perEpoch[epoch] = len;
      kernel.setBits(all, off, len);
      for (let w = 0; w < windowsS.length; w++) {
        const index = Math.floor(b.tUs[i]! / windowUs[w]!);
        if (index !== current[w]) {
          if (current[w]! >= 0) closeWindow(w);
          // Windows with no epoch at all count as empty windows.
          if (current[w]! >= 0) counts[w]!.n += index - current[w]! - 1;
          current[w] = index;
        }
        kernel.setBits(1 + w, off, len);
      }
    }
  }
  for (let w = 0; w < windowsS.length; w++) if (current[w]! >= 0) closeWindow(w);
  const sorted = perEpoch.slice().sort();
  return {
    path: trace.name,
    memPages: trace.meta.memPages,
    pageSize: trace.meta.pageSize,
    memBytes: trace.meta.memPages * trace.meta.pageSize,
    epochs: s.epochs,
    events: s.events,
    durationS: s.durationUs / 1e6,
    intervalUs: trace.meta.intervalUs ?? null,
    source: trace.meta.source ?? null,
    workload: trace.meta.workload ?? null,
    dirtyPerEpoch: {
      mean: s.events / s.epochs,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: s.maxEpochPages,
    },
    distinctPages: kernel.popcount(all),
    hasComm: s.hasComm,
    hasImmp: s.hasImmp,
    workingSet: windowsS.map((w, i) => ({
      windowS: w,
      windows: counts[i]!.n,
      meanPages: counts[i]!.n ? counts[i]!.sum / counts[i]!.n : 0,
      maxPages: counts[i]!.max,
    })),
  };
}
