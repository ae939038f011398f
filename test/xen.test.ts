// xen (xc_domain_save.c) and xen-v2 (xg_sr_save.c) on hand-worked traces. 1 page = 1 ms.
import { describe, expect, it } from 'vitest';
import { xen } from '../src/algorithms/xen.js';
import { xenV2 } from '../src/algorithms/xen-v2.js';
import { replay } from '../src/run/replay.js';
import { KERNELS, MS_PER_PAGE_LINK, makeTrace } from './helpers.js';

const table = (r: ReturnType<typeof replay>) =>
  r.rounds.map((x) => [Math.round(x.startS * 1e6), Math.round(x.durationS * 1e6), x.pagesSent, x.pagesSkipped, x.pagesDirtied, x.final]);

describe.each(KERNELS)('xen ($name kernel)', ({ make }) => {
  // memPages 6, epochs (ms → pages): 0.5 → {4}   2.5 → {0,5}   6.5 → {2}   7 → {1}
  const trace = () =>
    makeTrace({ memPages: 6, pageSize: 1000, durationUs: 100_000 }, [[500, [4]], [2500, [0, 5]], [6500, [2]], [7000, [1]]]);

  it('peeks before each batch and skips pages re-dirtied in this round', () => {
    // batch-pages 2, min-sent 4.
    // round 0, SEND = all 6:
    //   t=0: peek {} → batch {0,1}; sent by 2 ms (t=0.5 {4} lands)
    //   t=2: peek {4} → batch {2,3}; sent by 4 ms (t=2.5 {0,5} lands)
    //   t=4: peek {0,4,5} → 4 and 5 skipped, nothing left: scan ends
    //   round 0: sent 4, skipped 2, dirtied {0,4,5} = 3, 4 ms
    //   sent+skipped = 6 ≥ 4, total 4 ≤ 3×6 → go on with SEND = {0,4,5}
    // round 1 from 4 ms:
    //   t=4: peek {} → batch {0,4}; by 6 ms
    //   t=6: peek {} → batch {5}; by 7 ms (t=6.5 {2} lands; t=7 does not: 7 is not < 7)
    //   round 1: sent 3, skipped 0, dirtied {2} = 1, 3 ms; 3 < 4 → stop
    // final: D1 = {2}: 1 page, [7,8) ms → downtime 1 ms, total 8 ms, 8 pages
    const r = replay(trace(), xen, make(), MS_PER_PAGE_LINK, { batchPages: 2, minSent: 4 });
    expect(table(r)).toEqual([
      [0, 4000, 4, 2, 3, false],
      [4000, 3000, 3, 0, 1, false],
      [7000, 1000, 1, 0, 0, true],
    ]);
    expect(r.pagesSent).toBe(8);
    expect(r.iterations).toBe(2);
    expect(r.stopReason).toBe('sent-plus-skipped-below-min');
    expect(r.downtimeMs).toBeCloseTo(1, 9);
    expect(r.totalTimeS).toBeCloseTo(0.008, 12);
  });

  it('with one batch for all memory, peeks only at the round start (nothing skipped in round 0)', () => {
    // batch 1024 ≥ 6 pages: one peek at t=0 sees nothing; round 0 sends 6 pages in [0,6) ms and
    // dirties {4,0,5} (t=0.5, 2.5); round 1 sends 3 in [6,9): t=6.5 {2}, t=7 {1} → 2 dirtied;
    // 3 + 0 < 4 → stop; final sends {1,2}: downtime 2 ms, total 11 ms.
    const r = replay(trace(), xen, make(), MS_PER_PAGE_LINK, { minSent: 4 });
    expect(table(r)).toEqual([
      [0, 6000, 6, 0, 3, false],
      [6000, 3000, 3, 0, 2, false],
      [9000, 2000, 2, 0, 0, true],
    ]);
  });

  it('ends the live phase once total sent exceeds max-factor × memory', () => {
    // max-factor 1: after round 0 (6 sent, not > 6) go on; round 1 brings total to 9 > 6 → stop.
    const r = replay(trace(), xen, make(), MS_PER_PAGE_LINK, { maxFactor: 1, minSent: 0 });
    expect(r.stopReason).toBe('sent-over-max-factor');
    expect(r.iterations).toBe(2);
  });

  it('stops after max-iters live rounds', () => {
    const r = replay(trace(), xen, make(), MS_PER_PAGE_LINK, { maxIters: 1 });
    expect(r.stopReason).toBe('max-iterations');
    expect(r.iterations).toBe(1);
    expect(r.rounds.at(-1)!.pagesSent).toBe(3); // {0,4,5} dirtied during round 0
  });
});

describe.each(KERNELS)('xen-v2 ($name kernel)', ({ make }) => {
  // memPages 10, epochs (ms → pages): 1 → {0,1,2,3}  11 → {4,5,6}  13 → {7}  15 → {8}  18.5 → {9}
  const trace = () =>
    makeTrace({ memPages: 10, pageSize: 1000, durationUs: 1_000_000 }, [
      [1000, [0, 1, 2, 3]], [11000, [4, 5, 6]], [13000, [7]], [15000, [8]], [18500, [9]],
    ]);

  it('sends a dirty set below the target live, then stops', () => {
    // target-dirty 3.
    // round 0: 10 pages [0,10) → dirtied {0,1,2,3} = 4 ≥ 3
    // round 1:  4 pages [10,14) → {4,5,6,7} = 4 ≥ 3
    // round 2:  4 pages [14,18) → {8} = 1 < 3: the policy says stop, but the loop sends it live
    // round 3:  1 page  [18,19) → {9} = 1
    // final:    1 page  [19,20): downtime 1 ms, total 20 ms, 20 pages, 4 live rounds
    const r = replay(trace(), xenV2, make(), MS_PER_PAGE_LINK, { targetDirty: 3 });
    expect(table(r)).toEqual([
      [0, 10000, 10, 0, 4, false],
      [10000, 4000, 4, 0, 4, false],
      [14000, 4000, 4, 0, 1, false],
      [18000, 1000, 1, 0, 1, false],
      [19000, 1000, 1, 0, 0, true],
    ]);
    expect(r.stopReason).toBe('dirty-below-target');
    expect(r.iterations).toBe(4);
    expect(r.totalTimeS).toBeCloseTo(0.02, 12);
  });

  it('stops after max-iters live rounds, the full copy included', () => {
    // max-iters 2: rounds 0 and 1, then the final round sends {4,5,6,7} in [14,18) ms.
    const r = replay(trace(), xenV2, make(), MS_PER_PAGE_LINK, { targetDirty: 3, maxIters: 2 });
    expect(r.rounds.map((x) => x.pagesSent)).toEqual([10, 4, 4]);
    expect(r.stopReason).toBe('max-iterations');
    expect(r.downtimeMs).toBeCloseTo(4, 9);
  });

  it('suspends at once when nothing was dirtied', () => {
    const t = makeTrace({ memPages: 4, pageSize: 1000, durationUs: 1_000_000 }, [[500_000, [1]]]);
    const r = replay(t, xenV2, make(), MS_PER_PAGE_LINK);
    expect(r.rounds.map((x) => x.pagesSent)).toEqual([4, 0]);
    expect(r.stopReason).toBe('dirty-below-target');
  });
});
