// Down-sampling: a coarser trace whose epochs are the unions of `factor` consecutive
// epochs (starting at the first one's t_us) — what a dirty log read `factor` times
// less often would have recorded.
import type { Trace } from './read.js';

/** One epoch of a down-sampled trace. */
export interface MergedEpoch {
  tUs: number;
  pages: Uint32Array;
  comm?: Uint32Array;
  immp?: Uint32Array;
}

// Sorted union of sorted lists.
function union(lists: Uint32Array[]): Uint32Array {
  if (lists.length === 1) return lists[0]!.slice();
  const all = new Uint32Array(lists.reduce((n, l) => n + l.length, 0));
  let at = 0;
  for (const l of lists) {
    all.set(l, at);
    at += l.length;
  }
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[n++] = all[i]!;
  return all.subarray(0, n);
}

/** The epochs of `trace` merged `factor` at a time, in order. */
export function* downsampleEpochs(trace: Trace, factor: number): Generator<MergedEpoch> {
  let group: { t: number; pages: Uint32Array[]; comm: Uint32Array[]; immp: Uint32Array[] } | undefined;
  let inGroup = 0;
  const flush = (): MergedEpoch => ({
    tUs: group!.t,
    pages: union(group!.pages),
    comm: trace.summary.hasComm ? union(group!.comm) : undefined,
    immp: trace.summary.hasImmp ? union(group!.immp) : undefined,
  });
  for (const b of trace.batches()) {
    for (let i = 0; i < b.length; i++) {
      if (!group) group = { t: b.tUs[i]!, pages: [], comm: [], immp: [] };
      group.pages.push(b.pages.subarray(b.offsets[i]!, b.offsets[i + 1]!));
      if (b.comm) group.comm.push(b.comm.subarray(b.commOffsets![i]!, b.commOffsets![i + 1]!));
      if (b.immp) group.immp.push(b.immp.subarray(b.immpOffsets![i]!, b.immpOffsets![i + 1]!));
      if (++inGroup === factor) {
        yield flush();
        group = undefined;
        inGroup = 0;
      }
    }
  }
  if (group) yield flush();
}
