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
import { DIRTY, FIRST_FREE_BITMAP, SEND, type Engine } from '../engine/engine.js';
import type { ReplayResult } from '../engine/types.js';
import type { Algorithm, ParamSpec, ParamValues } from './types.js';

const ZERO = FIRST_FREE_BITMAP; // never set: advanceAndNot(SEND, ZERO, …) walks SEND

/** Parameters qemu and auto-converge share. */
export const QEMU_PARAMS: readonly ParamSpec[] = [
  { name: 'downtime-limit', kind: 'duration', default: 0.3, bareUnit: 'ms', doc: 'switch over once what is left takes less than this to send (QEMU downtime-limit; a bare number is ms, as in QEMU)' },
  { name: 'max-time', kind: 'duration', default: 600, doc: 'give up (stopReason max-time) after this much migration time' },
  { name: 'iterate-time', kind: 'duration', default: 0.05, doc: 'the longest send between two pending checks (ram_save_iterate MAX_WAIT, 50 ms)' },
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

/** QEMU's migration loop; `onSync` runs at every bitmap sync but the setup one and the final one. */
export function runQemu(e: Engine, algorithm: string, p: ParamValues, onSync?: SyncHook): ReplayResult & { dirtySyncCount: number } {
  const k = e.kernel;
  const thresholdPages = ((p.downtimeLimit as number) * e.bandwidth) / e.pageSize;
  const chunk = Math.max(1, Math.floor(((p.iterateTime as number) * e.bandwidth) / e.pageSize));
  const maxTimeUs = (p.maxTime as number) * 1e6;
  k.fill(SEND); // ram_init_bitmaps: all ones, then the setup sync
  let syncs = 1;
  let pos = 0;
  let sentThisRound = 0;
  e.beginRound();
  for (;;) {
    let pending = k.popcount(SEND);
    if (pending <= thresholdPages) {
      // pending_exact: sync the dirty log into the bitmap; a round ends here (a
      // migration small enough to switch over at once has no live round).
      if (sentThisRound > 0) e.endRound(sentThisRound, 0, 0);
      k.andNot(DIRTY, DIRTY, SEND); // the pages the sync newly marks
      const newlyDirty = k.popcount(DIRTY);
      k.or(SEND, SEND, DIRTY);
      syncs++;
      pending += newlyDirty;
      if (pending === 0 || pending < thresholdPages) {
        syncs++; // ram_save_complete syncs once more, with the guest stopped
        return { ...e.stopAndCopy(algorithm, p, pending, 'converged'), dirtySyncCount: syncs };
      }
      onSync?.(e, newlyDirty);
      e.beginRound();
      sentThisRound = 0;
    }
    const n = Math.min(chunk, pending);
    pos = sendFromPosition(e, pos, n);
    sentThisRound += n;
    if (e.now >= maxTimeUs) {
      e.endRound(sentThisRound, 0, 0);
      return { ...e.result(algorithm, p, 'max-time', null), dirtySyncCount: syncs };
    }
  }
}

export const qemu: Algorithm = {
  id: 'qemu',
  family: 'precopy',
  source: 'QEMU migration/ram.c and migration/migration.c (migration_iteration_run, QEMU 8–10)',
  summary: 'QEMU pre-copy: sync the dirty bitmap when pending ≤ bandwidth × downtime-limit; switch over below it; no iteration cap',
  params: QEMU_PARAMS,
  needs: { extraBitmaps: 1 },
  run: (e, p) => runQemu(e, 'qemu', p),
};
