// The post-copy phase shared by postcopy and hybrid: the guest runs at the
// destination while the source pushes the missing pages in ascending order; a write
// to a page that has not arrived faults, and the guest waits rtt + one page's
// transfer for it (faults are served one at a time and preempt the push). Every
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

/**
 * Pause, move `stateBytes` of CPU/device state, resume at the destination, then run
 * post-copy until every page not in `arrived` has crossed. `arrived` is consumed.
 */
export function postcopyPhase(
  e: Engine, algorithm: string, params: Record<string, number | string | boolean>,
  arrived: Bitmap, stateBytes: number, rttUs: number, stopReason: string,
): ReplayResult & PostcopyStats {
  const k = e.kernel;
  const pageUs = e.transferUs(1);
  const wrapped = e.wrapped;
  // Switchover: the guest is paused while the state crosses and the guest resumes.
  const pauseStart = e.now;
  const stateUs = (stateBytes * 1e6) / e.bandwidth;
  e.pause(stateUs + e.link.resumeMs * 1e3);
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
  let pos = 0;
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
    const f = k.countMissing(arrived, ep.pagesOff, ep.pagesLen);
    if (f > 0) {
      k.setBits(arrived, ep.pagesOff, ep.pagesLen);
      faults += f;
      missing -= f;
      const stall = f * (rttUs + pageUs);
      waitUs += stall;
      pushClock = Math.max(pushClock, now) + f * pageUs; // the faulted pages used the link
      now += stall; // the guest waits; its trace time stands still
      if (missing === 0) endUs = now;
    }
  }
  e.now = Math.max(endUs, now);
  clock.traceUs += e.now - now; // the guest ran on until the last page arrived
  e.pagesSent += missingAtStart;
  e.rounds.push({
    index: e.rounds.length, startS: phaseStart / 1e6, durationS: (e.now - phaseStart) / 1e6,
    pagesDirtied: faults, pagesSent: missingAtStart, pagesSkipped: 0, pagesDeferred: 0, final: false, phase: 'postcopy',
  });
  return {
    ...e.result(algorithm, params, stopReason, downtimeMs, wrapped || e.wrapped),
    remoteFaults: faults,
    faultWaitS: waitUs / 1e6,
    stateBytes,
  };
}
