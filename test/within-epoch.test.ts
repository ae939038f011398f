// --within-epoch: the spread and whole rules on hand-worked traces, the coarse-trace
// range, and the down-sampling comparison of docs/model.md at small scale.
import { describe, expect, it } from 'vitest';
import { findAlgorithm } from '../src/algorithms/index.js';
import { precopy } from '../src/algorithms/precopy.js';
import { addWithinEpochRange, isCoarse, replay } from '../src/run/replay.js';
import { epochSeed, spreadHash } from '../src/kernel/types.js';
import { bytesSource, openTrace } from '../src/trace/read.js';
import { downsampleEpochs } from '../src/trace/downsample.js';
import { generateTrace } from '../src/trace/generate.js';
import { KERNELS, MS_PER_PAGE_LINK, makeTrace, traceBytes } from './helpers.js';

describe.each(KERNELS)('within-epoch rules ($name kernel)', ({ make }) => {
  it('spread: a round covering 30 % of an epoch sees exactly the pages hashed into that 30 %', () => {
    // 3000 pages of 1000 B at 1 GB/s: 1 µs a page, round 0 lasts 3 ms of the 10 ms epoch at t = 0.
    const pages = Array.from({ length: 3000 }, (_, p) => p);
    const t = makeTrace({ memPages: 3000, pageSize: 1000, durationUs: 10_000 }, [[0, pages]]);
    const r = replay(t, precopy, make(), { bandwidthBytesPerS: 1e9, withinEpoch: 'spread' }, { stopBytes: '0', maxIters: 2 });
    const cut = Math.ceil(0.3 * 2 ** 31);
    const expected = pages.filter((p) => spreadHash(epochSeed(0), p) < cut).length;
    expect(r.rounds[0]!.pagesDirtied).toBe(expected);
    expect(expected).toBeGreaterThan(800); // about 30 % of 3000
    expect(expected).toBeLessThan(1000);
    // round 1 sends those pages in [3 ms, 3 ms + expected µs) and sees the pages hashed there
    const end = Math.ceil(((3000 + expected) / 10_000) * 2 ** 31);
    const second = pages.filter((p) => { const h = spreadHash(epochSeed(0), p); return h >= cut && h < end; }).length;
    expect(r.rounds[1]!.pagesDirtied).toBe(second);
  });

  it('start vs whole: a round overlapping an epoch sees all of it under whole', () => {
    // epochs 0 ms {0,1}, 10 ms {2}; 1 page/ms; memPages 4; stop-bytes 1000 B (stop at 0 pages); max-iters 6.
    const t = makeTrace({ memPages: 4, pageSize: 1000, durationUs: 20_000 }, [[0, [0, 1]], [10_000, [2]]]);
    // start: R0 [0,4) {0,1}; R1 [4,6) {} → stop. 6 pages, 6 ms.
    const s = replay(t, precopy, make(), MS_PER_PAGE_LINK, { stopBytes: '1000', maxIters: 6 });
    expect(s.rounds.map((x) => [x.pagesSent, x.pagesDirtied])).toEqual([[4, 2], [2, 0], [0, 0]]);
    // whole: R0 [0,4) {0,1}; R1 [4,6), R2 [6,8), R3 [8,10) all overlap epoch 0 → {0,1};
    // R4 [10,12) sees epoch 1 {2}; R5 [12,13) overlaps epoch 1 → {2}; max-iters → final 1 page.
    const w = replay(t, precopy, make(), { ...MS_PER_PAGE_LINK, withinEpoch: 'whole' }, { stopBytes: '1000', maxIters: 6 });
    expect(w.rounds.map((x) => [x.pagesSent, x.pagesDirtied])).toEqual([[4, 2], [2, 2], [2, 2], [2, 2], [2, 1], [1, 1], [1, 0]]);
    expect(w.totalTimeS).toBeCloseTo(0.014, 12);
  });

  it('whole counts an epoch once for --count-by epoch even when several rounds see it', () => {
    const t = makeTrace({ memPages: 4, pageSize: 1000, durationUs: 20_000 }, [[0, [0, 1]], [10_000, [2]]]);
    const threshold = findAlgorithm('threshold')!;
    // hot-threshold 2 per epoch: no page is written in two epochs, so nothing is ever held back.
    const r = replay(t, threshold, make(), { ...MS_PER_PAGE_LINK, withinEpoch: 'whole' }, { countBy: 'epoch', hotThreshold: 2, stopBytes: '1000', maxIters: 6 });
    expect(r.rounds.every((x) => x.pagesDeferred === 0)).toBe(true);
  });
});

describe('coarse traces', () => {
  const [kernel] = [KERNELS[0]!.make()];

  it('are flagged only when the median round is under 4 sampling intervals, and then carry the range', () => {
    const epochs = Array.from({ length: 40 }, (_, i) => [i * 50_000, [i % 8, 8 + (i % 4)]] as [number, number[]]);
    const t = makeTrace({ memPages: 64, pageSize: 4096, intervalUs: 50_000, durationUs: 2_000_000 }, epochs);
    const fast = replay(t, precopy, kernel, { bandwidthBytesPerS: 1.25e9 }); // rounds of ~0.2 ms: coarse
    const slow = replay(t, precopy, kernel, { bandwidthBytesPerS: 4096 * 2 }); // 8 s a round: fine
    expect(isCoarse(t, fast)).toBe(true);
    expect(isCoarse(t, slow)).toBe(false);
    addWithinEpochRange(t, precopy, kernel, { bandwidthBytesPerS: 1.25e9 }, {}, fast);
    const range = fast.withinEpochRange!;
    expect(Object.keys(range.byRule)).toEqual(['start', 'spread', 'whole']);
    expect(range.byRule.spread!.pagesSent).toBe(fast.pagesSent);
    expect(range.pagesSent[0]).toBeLessThanOrEqual(fast.pagesSent);
    expect(range.pagesSent[1]).toBeGreaterThanOrEqual(range.byRule.whole!.pagesSent);
  });

  it('reproduces the first rows of the docs/model.md down-sampling table (hotcold 32 MiB, 1 ms vs 50 ms)', () => {
    // Same trace as bench/within-epoch.mjs's first workload. The table's verdicts for it:
    // start is closer at 1 and 10 Gbit/s (rounds of an epoch or more), spread at 100 Gbit/s
    // (rounds far shorter than an epoch, where start's error grows and spread's stays small).
    const chunks: Uint8Array[] = [];
    generateTrace('hotcold', { mem: '32MiB', duration: '2s', rate: 100000, interval: '1ms', seed: 7 }, (c) => chunks.push(c.slice()));
    const fine = openTrace(bytesSource('fine', Buffer.concat(chunks)));
    const coarseEpochs = [...downsampleEpochs(fine, 50)].map((e) => [e.tUs, Array.from(e.pages)] as [number, number[]]);
    const coarse = openTrace(bytesSource('coarse', traceBytes({ memPages: fine.meta.memPages, pageSize: 4096, intervalUs: 50_000, durationUs: fine.summary.durationUs }, coarseEpochs)));
    const verdicts = [1.25e8, 1.25e9, 1.25e10].map((bandwidthBytesPerS) => {
      const run = (t: typeof fine, withinEpoch: 'start' | 'spread') => replay(t, precopy, kernel, { bandwidthBytesPerS, withinEpoch });
      const truth = run(fine, 'start');
      const [st, sp] = [run(coarse, 'start'), run(coarse, 'spread')];
      const errPages = (r: typeof st) => Math.abs(r.pagesSent - truth.pagesSent);
      const errTime = (r: typeof st) => Math.abs(r.totalTimeS - truth.totalTimeS);
      expect(Math.sign(errPages(sp) - errPages(st))).toBe(Math.sign(errTime(sp) - errTime(st))); // time follows pages
      return errPages(sp) < errPages(st) ? 'spread' : 'start';
    });
    expect(verdicts).toEqual(['start', 'start', 'spread']);
  });
});
