// The post-copy phase shared by postcopy and hybrid: the guest runs at the destination
// while the source pushes the missing pages in ascending order from `pos` (wrapping); a
// write to a page that has not arrived faults, and the guest's vCPU waits for it: the
// round trip of the request, then — without a separate channel — the bytes already
// queued in the one migration channel ahead of it, then the page. After a request the
// background stream goes on from the page after it (the spatial-locality hint). Every
// missing page crosses exactly once. The trace holds writes only: a read of a missing
// page would fault too, so the faults counted here are a lower bound. The guest's writes
// land at their epoch's start here whatever --within-epoch says (post-copy pulls whole
// pages on first touch; the rule matters for pre-copy rounds).
import type { Bitmap } from '../kernel/types.js';
import { TMP, type Engine } from './engine.js';
import type { ReplayResult } from './types.js';

/** What the post-copy phase adds to a result. */
export interface PostcopyStats {
  remoteFaults: number;
  faultWaitS: number;
  /** Device/CPU state moved while the guest was paused, bytes. */
  stateBytes: number;
}

/** How the post-copy phase runs. */
export interface PostcopyOptions {
  /** Bytes of device/CPU state sent during the pause. */
  stateBytes: number;
  /** Round trip of one page request, µs, before the page's transfer. */
  rttUs: number;
  /** Bytes/s of the post-copy stream (and of the state in the pause). */
  bytesPerS: number;
  /** Bytes queued in the channel ahead of a requested page (0: a channel of its own, postcopy-preempt). */
  backlogBytes: number;
  /** Where the background stream starts (it goes on after each requested page, as QEMU's does). */
  pos: number;
  /** Stopping the guest, µs, at the start of the pause. */
  stopUs?: number;
}

/**
 * Pause, move the state, resume at the destination, then run post-copy until every
 * page not in `arrived` has crossed. `arrived` is consumed.
 */
export function postcopyPhase(
  e: Engine, algorithm: string, params: Record<string, number | string | boolean>,
  arrived: Bitmap, o: PostcopyOptions, stopReason: string,
): ReplayResult & PostcopyStats {
  const k = e.kernel;
  const pageUs = (e.pageSize * 1e6) / o.bytesPerS;
  const backlogUs = (o.backlogBytes * 1e6) / o.bytesPerS;
  const wrapped = e.wrapped;
  // Switchover: the guest is paused while the state crosses and the guest resumes.
  const pauseStart = e.now;
  const stateUs = (o.stateBytes * 1e6) / o.bytesPerS;
  e.pause((o.stopUs ?? 0) + stateUs + e.link.resumeMs * 1e3);
  e.rounds.push({
    index: e.rounds.length, startS: pauseStart / 1e6, durationS: (e.now - pauseStart) / 1e6,
    pagesDirtied: 0, pagesSent: 0, pagesSkipped: 0, pagesDeferred: 0, final: true, phase: 'stop-copy',
  });
  const downtimeMs = (e.now - pauseStart) / 1e3;

  k.fill(TMP); // every page: the complement of `arrived` is what is missing
  let missing = e.memPages - k.popcount(arrived);
  const missingAtStart = missing;
  const phaseStart = e.now;
  let pushClock = e.now; // the link's own time: pushes run back to back from here
  let pos = o.pos >= e.memPages ? 0 : o.pos;
  let now = e.now; // migration time of the guest
  let faults = 0;
  let waitUs = 0;
  let endUs = now;

  // Push pages in ascending order until the link's clock reaches `until`.
  const pushUntil = (until: number): void => {
    const n = Math.min(missing, Math.floor((until - pushClock) / pageUs));
    if (n <= 0) return;
    let left = n;
    while (left > 0) {
      const end = k.advanceAndNot(TMP, arrived, pos, left);
      const got = end - pos - k.popcountAndRange(arrived, arrived, pos, end);
      k.setRange(arrived, pos, end);
      left -= got;
      pos = end >= e.memPages ? 0 : end;
    }
    missing -= n;
    pushClock += n * pageUs;
    if (missing === 0) endUs = pushClock;
  };

  const clock = e.clock;
  const cursor = clock.cursor;
  while (missing > 0) {
    // The guest reaches its next epoch (trace time runs at full speed at the destination).
    const at = now + (cursor.nextUs - clock.traceUs);
    const linkDone = pushClock + missing * pageUs;
    if (linkDone <= at) {
      pushUntil(linkDone);
      break;
    }
    pushUntil(at);
    now = at;
    clock.traceUs = cursor.nextUs;
    const ep = cursor.step();
    if (k.countMissing(arrived, ep.pagesOff, ep.pagesLen) === 0) continue;
    // One vCPU: the epoch's writes fault one after another, in page order; while each
    // request waits (its round trip, the bytes queued ahead of it in the channel, its
    // page) the background stream goes on — from the page after it — and may bring the
    // next ones.
    const pages = k.lists(0);
    for (let i = ep.pagesOff; i < ep.pagesOff + ep.pagesLen && missing > 0; i++) {
      const pg = pages[i]!;
      pushUntil(now);
      if (k.testBit(arrived, pg)) continue;
      k.setRange(arrived, pg, pg + 1);
      faults++;
      missing--;
      pushClock = Math.max(pushClock, now) + pageUs; // the requested page used the link
      const stall = o.rttUs + backlogUs + pageUs;
      waitUs += stall;
      now += stall; // the guest waits; its trace time stands still
      pos = pg + 1 >= e.memPages ? 0 : pg + 1;
      if (missing === 0) endUs = Math.max(now, pushClock);
    }
  }
  e.now = Math.max(endUs, now);
  clock.traceUs += e.now - now; // the guest ran on until the last page arrived
  e.pagesSent += missingAtStart;
  e.rounds.push({
    index: e.rounds.length, startS: phaseStart / 1e6, durationS: (e.now - phaseStart) / 1e6,
    pagesDirtied: faults, pagesSent: missingAtStart, pagesSkipped: 0, pagesDeferred: 0, final: false, phase: 'postcopy',
  });
  const r = e.result(algorithm, params, stopReason, downtimeMs, wrapped || e.wrapped);
  return { ...r, bytesSent: r.bytesSent + o.stateBytes, remoteFaults: faults, faultWaitS: waitUs / 1e6, stateBytes: o.stateBytes };
}
