// qemu — QEMU's pre-copy, migration/migration.c migration_iteration_run() and
// migration/ram.c (QEMU 8–10):
//   qemu_savevm_state_pending_estimate(&must_precopy, …);
//   if (must_precopy <= s->threshold_size) { …pending_exact → migration_bitmap_sync… }
//   if ((!pending_size || pending_size < s->threshold_size) && can_switchover) → complete
//   s->threshold_size = bandwidth × migrate_downtime_limit()       (300 ms by default)
// The dirty bitmap starts all ones; pages are sent in ascending order from where the
// last send stopped (wrapping), in ram_save_iterate() calls of at most MAX_WAIT 50 ms (--iterate-time);
// between calls the pending estimate (pages left in the bitmap) is checked, and only
// when it is at or under the threshold is the dirty log synced into the bitmap
// (unsent pages carry over). No iteration cap: --max-time ends a run that never
// converges (stopReason max-time, converged false). The final copy sends what is left.
// auto-converge (src/algorithms/auto-converge.ts) adds CPU throttling at syncs.
// A trace with `data_pages` metadata (docs/trace-format.md) also gets QEMU's zero
// pages: a page that held no data at the start and has not been written since is
// sent as a 9-byte header (save_zero_page, counted in ram.duplicate), a data page as
// an 8-byte header + the page (ram.normal); measured against QEMU 10 in
// docs/validation.md. Without it every page costs page_size bytes, as before.
import { DIRTY, FIRST_FREE_BITMAP, SEND, type Engine } from '../engine/engine.js';
import type { ReplayResult } from '../engine/types.js';
import type { Algorithm, ParamSpec, ParamValues } from './types.js';

const ZERO = FIRST_FREE_BITMAP; // never set: advanceAndNot(SEND, ZERO, …) walks SEND
const NODATA = FIRST_FREE_BITMAP + 1; // with data_pages: pages still all zeros (never held data, never written)
const SCRATCH = FIRST_FREE_BITMAP + 2;

/** Bytes QEMU 10 puts on the wire per page: header (be64 offset|flags) for a normal page, header + one byte for a zero page. */
export const PAGE_HEADER_BYTES = 8;
export const ZERO_PAGE_BYTES = 9;

/** Parse the `data_pages` metadata ("a-b,c,…", inclusive) into bitmap bm (setting bits); false if absent. */
export function loadDataPages(e: Engine, bm: number, clearInstead: boolean): boolean {
  const text = e.trace.meta.raw['data_pages'];
  if (text === undefined) return false;
  if (text) {
    for (const part of text.split(',')) {
      const [a, b] = part.split('-');
      const first = Number(a);
      const last = Math.min(b === undefined ? first : Number(b), e.memPages - 1);
      if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || first < 0) throw new Error(`${e.trace.name}: data_pages: bad range '${part}'`);
      if (last < first) continue;
      if (clearInstead) e.kernel.clearRange(bm, first, last + 1);
      else e.kernel.setRange(bm, first, last + 1);
    }
  }
  return true;
}

/** Parameters qemu and auto-converge share. */
export const QEMU_PARAMS: readonly ParamSpec[] = [
  { name: 'downtime-limit', kind: 'duration', default: 0.3, bareUnit: 'ms', doc: 'switch over once what is left takes less than this to send (QEMU downtime-limit; a bare number is ms, as in QEMU)' },
  { name: 'max-time', kind: 'duration', default: 600, doc: 'give up (stopReason max-time) after this much migration time' },
  { name: 'iterate-time', kind: 'duration', default: 0.05, doc: 'the longest send between two pending checks (ram_save_iterate MAX_WAIT, 50 ms)' },
  { name: 'switchover-bandwidth', kind: 'number', default: 0, min: 0, doc: 'bytes/s of the final copy with the guest paused (QEMU does not rate-limit it); 0: the link bandwidth' },
];

/** What happens at each dirty-bitmap sync (auto-converge throttles here). */
export type SyncHook = (e: Engine, newlyDirty: number) => void;

/** Send n pages of SEND in ascending order from *pos, wrapping; returns the new position. */
function sendFromPosition(e: Engine, pos: number, n: number): number {
  const k = e.kernel;
  let left = n;
  while (left > 0) {
    const end = k.advanceAndNot(SEND, ZERO, pos, left);
    left -= k.popcountAndRange(SEND, SEND, pos, end);
    k.clearRange(SEND, pos, end);
    pos = end >= e.memPages ? 0 : end;
  }
  e.send(n);
  return pos;
}

/** Zero-page accounting (traces with data_pages). */
interface ZeroPages {
  zeroSent: number;
  extraBytes: number;
}

/**
 * Send from *pos until `budget` bytes are used or nothing is pending: data pages cost
 * page + header, zero pages ZERO_PAGE_BYTES; wraps. Returns the new position and pages sent.
 */
function sendWithZeroPages(e: Engine, z: ZeroPages, pos: number, budgetBytes: number): { pos: number; pages: number } {
  const k = e.kernel;
  k.andNot(NODATA, NODATA, DIRTY); // written since the start: holds data now
  const full = e.pageSize + PAGE_HEADER_BYTES;
  let budget = budgetBytes;
  let normal = 0, zero = 0;
  let wrapped = false;
  while (budget > 0 && k.popcount(SEND) > 0) {
    const want = Math.max(1, Math.floor(budget / full));
    let end = k.advanceAndNot(SEND, NODATA, pos, want);
    const all = k.popcountAndRange(SEND, SEND, pos, end);
    const zeros = k.popcountAndRange(SEND, NODATA, pos, end);
    k.clearRange(SEND, pos, end);
    normal += all - zeros;
    zero += zeros;
    budget -= (all - zeros) * full + zeros * ZERO_PAGE_BYTES;
    if (end >= e.memPages) {
      end = 0;
      if (wrapped && all === 0) break;
      wrapped = true;
    }
    pos = end;
  }
  z.zeroSent += zero;
  z.extraBytes += normal * PAGE_HEADER_BYTES + zero * ZERO_PAGE_BYTES;
  e.send(normal);
  e.runTo(e.now + ((normal * PAGE_HEADER_BYTES + zero * ZERO_PAGE_BYTES) * 1e6) / e.bandwidth);
  return { pos, pages: normal + zero };
}

/** QEMU's migration loop; `onSync` runs at every bitmap sync but the setup one and the final one. */
export function runQemu(e: Engine, algorithm: string, p: ParamValues, onSync?: SyncHook): ReplayResult & { dirtySyncCount: number } {
  const k = e.kernel;
  const thresholdPages = ((p.downtimeLimit as number) * e.bandwidth) / e.pageSize;
  const chunk = Math.max(1, Math.floor(((p.iterateTime as number) * e.bandwidth) / e.pageSize));
  const maxTimeUs = (p.maxTime as number) * 1e6;
  k.fill(NODATA);
  const z: ZeroPages | undefined = loadDataPages(e, NODATA, true) ? { zeroSent: 0, extraBytes: 0 } : undefined;
  k.fill(SEND); // ram_init_bitmaps: all ones, then the setup sync
  let syncs = 1;
  let pos = 0;
  let sentThisRound = 0;
  const finish = (r: ReplayResult): ReplayResult => {
    if (!z) return r;
    return { ...r, bytesSent: r.bytesSent + z.extraBytes, zeroPagesSent: z.zeroSent, pagesSent: r.pagesSent + z.zeroSent };
  };
  e.beginRound();
  for (;;) {
    let pending = k.popcount(SEND);
    if (pending <= thresholdPages) {
      // pending_exact: sync the dirty log into the bitmap; a round ends here (a
      // migration small enough to switch over at once has no live round).
      if (sentThisRound > 0) e.endRound(sentThisRound, 0, 0);
      if (z) k.andNot(NODATA, NODATA, DIRTY);
      k.andNot(DIRTY, DIRTY, SEND); // the pages the sync newly marks
      const newlyDirty = k.popcount(DIRTY);
      k.or(SEND, SEND, DIRTY);
      syncs++;
      pending += newlyDirty;
      if (pending === 0 || pending < thresholdPages) {
        syncs++; // ram_save_complete syncs once more, with the guest stopped
        let normal = pending;
        if (z) {
          k.andNot(SCRATCH, SEND, NODATA);
          normal = k.popcount(SCRATCH);
          z.zeroSent += pending - normal;
          z.extraBytes += normal * PAGE_HEADER_BYTES + (pending - normal) * ZERO_PAGE_BYTES;
        }
        const sw = p.switchoverBandwidth as number;
        const r = sw > 0 ? stopAndCopyAt(e, algorithm, p, normal, sw) : e.stopAndCopy(algorithm, p, normal, 'converged');
        return { ...finish(r), dirtySyncCount: syncs };
      }
      onSync?.(e, newlyDirty);
      e.beginRound();
      sentThisRound = 0;
    }
    if (z) {
      const r = sendWithZeroPages(e, z, pos, (p.iterateTime as number) * e.bandwidth);
      pos = r.pos;
      sentThisRound += r.pages;
    } else {
      const n = Math.min(chunk, pending);
      pos = sendFromPosition(e, pos, n);
      sentThisRound += n;
    }
    if (e.now >= maxTimeUs) {
      e.endRound(sentThisRound, 0, 0);
      return { ...finish(e.result(algorithm, p, 'max-time', null)), dirtySyncCount: syncs };
    }
  }
}

/** The stop-and-copy at another bandwidth than the link's (QEMU does not rate-limit the final copy). */
function stopAndCopyAt(e: Engine, algorithm: string, p: ParamValues, pages: number, bytesPerS: number): ReplayResult {
  const before = e.now;
  const r = e.stopAndCopy(algorithm, p, pages, 'converged'); // charged at the link bandwidth: rescale
  const us = (pages * e.pageSize * 1e6) / bytesPerS;
  e.now = before + us + e.link.resumeMs * 1e3;
  e.rounds[e.rounds.length - 1]!.durationS = us / 1e6;
  return { ...r, totalTimeS: e.now / 1e6, downtimeMs: us / 1e3 + e.link.resumeMs };
}

export const qemu: Algorithm = {
  id: 'qemu',
  family: 'precopy',
  source: 'QEMU migration/ram.c and migration/migration.c (migration_iteration_run, QEMU 8–10)',
  summary: 'QEMU pre-copy: sync the dirty bitmap when pending ≤ bandwidth × downtime-limit; switch over below it; no iteration cap',
  params: QEMU_PARAMS,
  needs: { extraBitmaps: 3 },
  run: (e, p) => runQemu(e, 'qemu', p),
};
