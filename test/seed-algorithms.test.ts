// ma2010, threshold, advance-xenvmc and vcpu-limit on hand-worked traces. 1 page = 1 ms.
import { describe, expect, it } from 'vitest';
import { advanceXenvmc } from '../src/algorithms/advance-xenvmc.js';
import { ma2010 } from '../src/algorithms/ma2010.js';
import { precopy } from '../src/algorithms/precopy.js';
import { threshold } from '../src/algorithms/threshold.js';
import { vcpuLimit } from '../src/algorithms/vcpu-limit.js';
import { replay } from '../src/run/replay.js';
import type { ReplayResult } from '../src/engine/types.js';
import { KERNELS, MS_PER_PAGE_LINK, makeTrace } from './helpers.js';

const rows = (r: ReplayResult) => r.rounds.map((x) => [x.pagesSent, x.pagesDirtied, x.pagesDeferred, x.final]);

// memPages 8, epochs (ms → pages): 1 → {0,1}  3 → {0}  5 → {2}  9 → {1,2}  10 → {4}  11.5 → {1,5}
const hotTrace = () =>
  makeTrace({ memPages: 8, pageSize: 1000, durationUs: 100_000 }, [
    [1000, [0, 1]], [3000, [0]], [5000, [2]], [9000, [1, 2]], [10000, [4]], [11500, [1, 5]],
  ]);

describe.each(KERNELS)('ma2010 ($name kernel)', ({ make }) => {
  it('marks pages dirty in two consecutive rounds and sends them only in the final round', () => {
    // stop-bytes 1000: stop once the next round would send no page.
    // R0 [0,8):   8 sent; D0 = {0,1,2}; nothing to compare with yet → SEND {0,1,2}
    // R1 [8,11):  3 sent; D1 = {1,2,4}; D1∩D0 = {1,2} marked → SEND {4}, 2 held
    // R2 [11,12): 1 sent (held 2); D2 = {1,5}; D2∩D1 = {1} (already marked) → SEND {5}, 1 held
    // R3 [12,13): 1 sent (held 1); D3 = {} → nothing to send → stop
    // final [13,15): marked {1,2} ∪ D3 = 2 pages → downtime 2 ms, total 15 ms, 15 pages
    const r = replay(hotTrace(), ma2010, make(), MS_PER_PAGE_LINK, { stopBytes: '1000' });
    expect(rows(r)).toEqual([[8, 3, 0, false], [3, 3, 0, false], [1, 2, 2, false], [1, 0, 1, false], [2, 0, 0, true]]);
    expect(r.pagesSent).toBe(15);
    expect(r.downtimeMs).toBeCloseTo(2, 9);
    expect(r.totalTimeS).toBeCloseTo(0.015, 12);
    expect(r.stopReason).toBe('dirty-below-stop-bytes');
    // textbook pre-copy resends pages 1 and 2: R0 8, R1 3 {1,2,4}, R2 3 {1,5}, R3 2 → 16
    expect(replay(hotTrace(), precopy, make(), MS_PER_PAGE_LINK, { stopBytes: '1000' }).pagesSent).toBe(16);
  });

  it('with --mark-after 3 needs three consecutive rounds', () => {
    // R0 [0,8): D0 {0,1,2}; R1 [8,11): D1 {1,2,4}: no page yet dirty 3 rounds running → SEND {1,2,4}
    // R2 [11,14): D2 {1,5}: page 1 was dirty in D0, D1 and D2 → marked, SEND {5}, 1 held
    // R3 [14,15): D3 {} → stop; final sends {1}: 16 pages in all
    const r = replay(hotTrace(), ma2010, make(), MS_PER_PAGE_LINK, { stopBytes: '1000', markAfter: 3 });
    expect(rows(r)).toEqual([[8, 3, 0, false], [3, 3, 0, false], [3, 2, 0, false], [1, 0, 1, false], [1, 0, 0, true]]);
    expect(r.pagesSent).toBe(16);
  });

  it('runs at most 5 iterations by default', () => {
    // Page 0 rewritten every 0.5 ms for 1 s: pre-copy never drains it.
    const epochs = Array.from({ length: 2000 }, (_, i) => [i * 500, [0]] as [number, number[]]);
    const t = makeTrace({ memPages: 4, pageSize: 1000, durationUs: 1_000_000 }, epochs);
    const r = replay(t, ma2010, make(), MS_PER_PAGE_LINK, { stopBytes: '0' });
    expect(r.iterations).toBe(5);
    expect(r.stopReason).toBe('max-iterations');
  });
});

describe.each(KERNELS)('threshold ($name kernel)', ({ make }) => {
  it('counts per round: pages dirtied in 2 rounds are postponed', () => {
    // hot-threshold 2, stop-bytes 1000.
    // R0 [0,8):   D0 = {0,1,2}, counts 1 each → SEND {0,1,2}
    // R1 [8,11):  D1 = {1,2,4}, counts 1:2 2:2 4:1 → hot {1,2} held, SEND {4}
    // R2 [11,12): D2 = {1,5} → 1 held, SEND {5}
    // R3 [12,13): D3 = {} → stop; final sends the held {1,2}: 2 pages
    const r = replay(hotTrace(), threshold, make(), MS_PER_PAGE_LINK, { hotThreshold: 2, stopBytes: '1000' });
    expect(rows(r)).toEqual([[8, 3, 0, false], [3, 3, 0, false], [1, 2, 2, false], [1, 0, 1, false], [2, 0, 0, true]]);
    expect(r.pagesSent).toBe(15);
  });

  it('counts per epoch with --count-by epoch', () => {
    // R0 [0,8):  epochs 1 {0,1}, 3 {0}, 5 {2} → counts 0:2 1:1 2:1 → page 0 held, SEND {1,2}
    // R1 [8,10): 2 sent (1 held); epoch 9 {1,2} → counts 1:2 2:2 → all held, SEND {} → stop
    // final [10,13): {0,1,2} = 3 pages → total 13 ms
    const r = replay(hotTrace(), threshold, make(), MS_PER_PAGE_LINK, { hotThreshold: 2, countBy: 'epoch', stopBytes: '1000' });
    expect(rows(r)).toEqual([[8, 3, 0, false], [2, 2, 1, false], [3, 0, 0, true]]);
    expect(r.totalTimeS).toBeCloseTo(0.013, 12);
    expect(r.downtimeMs).toBeCloseTo(3, 9);
  });
});

describe.each(KERNELS)('advance-xenvmc ($name kernel)', ({ make }) => {
  // memPages 6: t=1 ms writes {0,1,2} of which {1,2} by inter-VM communication; t=7 ms writes {3,4}, {4} by communication
  const commTrace = () =>
    makeTrace({ memPages: 6, pageSize: 1000, durationUs: 100_000, hasComm: true }, [[1000, [0, 1, 2], [1, 2]], [7000, [3, 4], [4]]]);

  it('does not migrate pages written by inter-VM communication', () => {
    // R0 [0,6): only page 0 dirties → SEND {0}; R1 [6,7): t=7 is not < 7 → {} → stop, final 0.
    const r = replay(commTrace(), advanceXenvmc, make(), MS_PER_PAGE_LINK, { stopBytes: '1000' });
    expect(rows(r)).toEqual([[6, 1, 0, false], [1, 0, 0, false], [0, 0, 0, true]]);
    expect(r.totalTimeS).toBeCloseTo(0.007, 12);
    // the baseline, precopy, migrates them: R0 {0,1,2}; R1 [6,9) {3,4}; R2 [9,11) {} → 11 pages, 11 ms
    const base = replay(commTrace(), precopy, make(), MS_PER_PAGE_LINK, { stopBytes: '1000' });
    expect(base.pagesSent).toBe(11);
    expect(base.totalTimeS).toBeCloseTo(0.011, 12);
  });

  it('--comm-speedup runs trace time faster through communication epochs', () => {
    // speedup 2: after t=1 (a communication epoch) trace time runs 2×: t=7 is reached at 1 + 6/2 = 4 ms
    // R0 [0,6): {0} ∪ {3} = 2 pages; R1 [6,8): nothing → stop
    const r = replay(commTrace(), advanceXenvmc, make(), MS_PER_PAGE_LINK, { stopBytes: '1000', commSpeedup: 2 });
    expect(rows(r)).toEqual([[6, 2, 0, false], [2, 0, 0, false], [0, 0, 0, true]]);
  });
});

describe.each(KERNELS)('vcpu-limit ($name kernel)', ({ make }) => {
  it('slows only the IMMP writes when the trace has immp_pages', () => {
    // limit 50 %: IMMP trace time runs at half speed. t=1: {0,1}, {1} IMMP; t=3: {2}, {2} IMMP.
    // R0 [0,6): guest {0}; IMMP clock reaches 3 → t=1's {1} (t=3 is not < 3) → D0 {0,1}
    // R1 [6,8): IMMP clock 3 → 4: t=3's {2} → D1 {2}
    // R2 [8,9): nothing → stop. 9 pages, 9 ms; the IMMP ran 2× slower and fell 4.5 ms behind.
    const t = makeTrace({ memPages: 6, pageSize: 1000, durationUs: 100_000, hasImmp: true }, [[1000, [0, 1], undefined, [1]], [3000, [2], undefined, [2]]]);
    const r = replay(t, vcpuLimit, make(), MS_PER_PAGE_LINK, { vcpuLimit: 50, stopBytes: '1000' });
    expect(rows(r)).toEqual([[6, 2, 0, false], [2, 1, 0, false], [1, 0, 0, false], [0, 0, 0, true]]);
    expect(r.workloadSlowdown).toBe(2);
    expect(r.workloadDelayS).toBeCloseTo(0.0045, 12);
    expect(r.immpColumn).toBe(true);
  });

  it('slows every write when the trace has no immp_pages', () => {
    // All of t=1 {0,1} lands in R0; t=3 {2} lands at 6 ms, in R1.
    const t = makeTrace({ memPages: 6, pageSize: 1000, durationUs: 100_000 }, [[1000, [0, 1]], [3000, [2]]]);
    const r = replay(t, vcpuLimit, make(), MS_PER_PAGE_LINK, { vcpuLimit: 50, stopBytes: '1000' });
    expect(rows(r)).toEqual([[6, 2, 0, false], [2, 1, 0, false], [1, 0, 0, false], [0, 0, 0, true]]);
    expect(r.immpColumn).toBe(false);
  });
});
