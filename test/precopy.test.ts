// precopy (seed 001 §6) on hand-worked traces. Pages are 1000 B over 1 MB/s: 1 page = 1 ms.
import { describe, expect, it } from 'vitest';
import { precopy } from '../src/algorithms/precopy.js';
import { replay } from '../src/run/replay.js';
import { KERNELS, MS_PER_PAGE_LINK, makeTrace } from './helpers.js';

// memPages 10, epochs (t in ms → pages):
//   2 → {1,2,3}   5 → {3,4}   11 → {5}   13 → {6,7}   14.5 → {8}   16 → {9}   18 → {0}
const trace = () =>
  makeTrace({ memPages: 10, pageSize: 1000, durationUs: 100_000 }, [
    [2000, [1, 2, 3]], [5000, [3, 4]], [11000, [5]], [13000, [6, 7]], [14500, [8]], [16000, [9]], [18000, [0]],
  ]);

describe.each(KERNELS)('precopy ($name kernel)', ({ make }) => {
  it('stops when a round dirtied less than stop-bytes', () => {
    // stop-bytes 2000 B = 2 pages: stop once a round dirtied < 2 pages.
    // round 0: 10 pages, [0,10) ms, sees t=2,5 → dirtied {1,2,3,4} = 4
    // round 1:  4 pages, [10,14) ms, sees t=11,13 → {5,6,7} = 3
    // round 2:  3 pages, [14,17) ms, sees t=14.5,16 → {8,9} = 2 (2000 B is not < 2000 B)
    // round 3:  2 pages, [17,19) ms, sees t=18 → {0} = 1 → stop
    // final:    1 page,  [19,20) ms: downtime 1 ms; total 20 ms; 20 pages sent
    const r = replay(trace(), precopy, make(), MS_PER_PAGE_LINK, { stopBytes: '2000' });
    expect(r.rounds.map((x) => [x.startS * 1e3, x.durationS * 1e3, x.pagesSent, x.pagesDirtied, x.final])).toEqual([
      [0, 10, 10, 4, false], [10, 4, 4, 3, false], [14, 3, 3, 2, false], [17, 2, 2, 1, false], [19, 1, 1, 0, true],
    ]);
    expect(r.pagesSent).toBe(20);
    expect(r.bytesSent).toBe(20_000);
    expect(r.iterations).toBe(4);
    expect(r.totalTimeS).toBeCloseTo(0.02, 12);
    expect(r.downtimeMs).toBeCloseTo(1, 9);
    expect(r.overheadRatio).toBe(2);
    expect(r.stopReason).toBe('dirty-below-stop-bytes');
    expect(r.wrapped).toBe(false);
  });

  it('stops after max-iters live rounds and sends the last dirty set paused', () => {
    // max-iters 2: after round 1 (dirtied {5,6,7}) the final round sends those 3 pages in [14,17) ms.
    const r = replay(trace(), precopy, make(), MS_PER_PAGE_LINK, { stopBytes: '2000', maxIters: 2 });
    expect(r.rounds.map((x) => x.pagesSent)).toEqual([10, 4, 3]);
    expect(r.stopReason).toBe('max-iterations');
    expect(r.iterations).toBe(2);
    expect(r.downtimeMs).toBeCloseTo(3, 9);
    expect(r.totalTimeS).toBeCloseTo(0.017, 12);
  });

  it('adds the resume time to downtime and total time', () => {
    const r = replay(trace(), precopy, make(), { ...MS_PER_PAGE_LINK, resumeMs: 5 }, { stopBytes: '2000' });
    expect(r.downtimeMs).toBeCloseTo(6, 9);
    expect(r.totalTimeS).toBeCloseTo(0.025, 12);
  });

  it('wraps around the end of the trace, and a window [a,b) excludes an epoch at b', () => {
    // duration 10 ms: epochs 0 → {0,1}, 5 → {2}; after the end they recur at 10, 15, …
    // round 0: 10 pages [0,10) sees t=0,5 → {0,1,2}
    // round 1: 3 pages [10,13) sees t=10 (wrapped epoch 0) → {0,1}
    // round 2: 2 pages [13,15): t=15 is not < 15 → {} → stop, final 0 pages
    const t = makeTrace({ memPages: 10, pageSize: 1000, durationUs: 10_000 }, [[0, [0, 1]], [5000, [2]]]);
    const r = replay(t, precopy, make(), MS_PER_PAGE_LINK, { stopBytes: '2000' });
    expect(r.rounds.map((x) => [x.pagesSent, x.pagesDirtied])).toEqual([[10, 3], [3, 2], [2, 0], [0, 0]]);
    expect(r.wrapped).toBe(true);
    expect(r.downtimeMs).toBe(0);
  });

  it('starts at --start: earlier epochs do not dirty round 0', () => {
    // start at 12 ms: round 0 [12,22) ms of trace time sees t=13,14.5,16,18 → {6,7,8,9,0} = 5
    const r = replay(trace(), precopy, make(), { ...MS_PER_PAGE_LINK, startS: 0.012 }, { stopBytes: '2000' });
    expect(r.rounds[0]!.pagesDirtied).toBe(5);
    expect(r.rounds[0]!.startS).toBe(0);
  });
});
