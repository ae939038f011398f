// qemu, auto-converge, postcopy and hybrid on hand-worked traces (1 page = 1 ms), and
// the acceptance checks on the shipped traces.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { algorithms, findAlgorithm } from '../src/algorithms/index.js';
import { autoConverge } from '../src/algorithms/auto-converge.js';
import { hybrid } from '../src/algorithms/hybrid.js';
import { postcopy } from '../src/algorithms/postcopy.js';
import { qemu } from '../src/algorithms/qemu.js';
import { addOracleDistances, replay } from '../src/engine/replay.js';
import { fileSource } from '../src/io/files.js';
import { createKernel } from '../src/kernel/node.js';
import { openTrace } from '../src/trace/read.js';
import { KERNELS, MS_PER_PAGE_LINK, makeTrace } from './helpers.js';

const table = (r: ReturnType<typeof replay>) =>
  r.rounds.map((x) => [Math.round(x.startS * 1e6), Math.round(x.durationS * 1e6), x.pagesSent, x.pagesDirtied, x.phase]);

describe.each(KERNELS)('qemu ($name kernel)', ({ make }) => {
  it('syncs when pending ≤ bandwidth × downtime-limit and carries unsent pages over', () => {
    // threshold 2.5 pages (2.5 ms), chunks of 3 pages (iterate 3 ms). memPages 10.
    // epochs (ms → pages): 1 {0,1}  5 {2}  8 {3,4,5}  12 {6}
    // round 0: chunks {0,1,2} {3,4,5} {6,7,8} → 9 ms; pending {9} = 1 ≤ 2.5 → sync adds {0..5}: 7 pending
    // round 1: chunks {9,0,1} (wrapping) {2,3,4} → 15 ms; t=12 {6} lands; pending {5} → sync: {5,6} = 2 < 2.5
    // switch over: 2 pages [15,17) ms. Syncs: setup, 2 in the loop, final = 4.
    const t = makeTrace({ memPages: 10, pageSize: 1000, durationUs: 1_000_000 }, [[1000, [0, 1]], [5000, [2]], [8000, [3, 4, 5]], [12000, [6]]]);
    const r = replay(t, qemu, make(), MS_PER_PAGE_LINK, { downtimeLimit: '2.5ms', iterateTime: '3ms' });
    expect(table(r)).toEqual([[0, 9000, 9, 6, 'precopy'], [9000, 6000, 6, 1, 'precopy'], [15000, 2000, 2, 0, 'stop-copy']]);
    expect(r.stopReason).toBe('converged');
    expect(r.converged).toBe(true);
    expect(r.dirtySyncCount).toBe(4);
    expect(r.pagesSent).toBe(17);
    expect(r.downtimeMs).toBeCloseTo(2, 9);
  });

  it('switches over at once when all memory fits in the downtime limit', () => {
    const t = makeTrace({ memPages: 3, pageSize: 1000, durationUs: 1_000_000 }, [[0, [0, 1, 2]]]);
    const r = replay(t, qemu, make(), MS_PER_PAGE_LINK, { downtimeLimit: '5ms' });
    expect(r.iterations).toBe(0);
    expect(r.rounds.map((x) => x.pagesSent)).toEqual([3]);
  });

  it('reports max-time, not success, when the guest dirties faster than the link', () => {
    // 50 pages every 10 ms over a 1 page/ms link: pending never drops under 2.5 pages.
    const epochs = Array.from({ length: 100 }, (_, i) => [i * 10_000, Array.from({ length: 50 }, (_, p) => p)] as [number, number[]]);
    const t = makeTrace({ memPages: 100, pageSize: 1000, durationUs: 1_000_000 }, epochs);
    const r = replay(t, qemu, make(), MS_PER_PAGE_LINK, { downtimeLimit: '2.5ms', maxTime: '5s' });
    expect(r.stopReason).toBe('max-time');
    expect(r.converged).toBe(false);
    expect(r.downtimeMs).toBeNull();
    expect(r.totalTimeS).toBeGreaterThanOrEqual(5);
    expect(r.rounds.some((x) => x.final)).toBe(false);
  });
});

describe.each(KERNELS)('auto-converge ($name kernel)', ({ make }) => {
  it('throttles 20 %, then +10 % per trigger, and converges where qemu does not', () => {
    const epochs = Array.from({ length: 100 }, (_, i) => [i * 10_000, Array.from({ length: 50 }, (_, p) => p)] as [number, number[]]);
    const t = makeTrace({ memPages: 100, pageSize: 1000, durationUs: 1_000_000 }, epochs);
    const r = replay(t, autoConverge, make(), MS_PER_PAGE_LINK, { downtimeLimit: '2.5ms', maxTime: '60s' });
    expect(r.converged).toBe(true);
    expect(r.downtimeMs!).toBeLessThanOrEqual(2.5);
    const steps = r.throttleHistory!;
    expect(steps.length).toBe(r.throttleSteps);
    expect(steps.map((s) => s.percent)).toEqual(steps.map((_, i) => Math.min(20 + 10 * i, 99)));
    // A step needs two periods of at least 1 s each whose dirtied bytes exceeded 50 % of those sent.
    expect(steps[0]!.timeS).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.timeS - steps[i - 1]!.timeS).toBeGreaterThanOrEqual(2);
    expect(r.workloadSlowdown!).toBeGreaterThan(1);
    expect(replay(t, qemu, make(), MS_PER_PAGE_LINK, { downtimeLimit: '2.5ms', maxTime: '60s' }).stopReason).toBe('max-time');
  });
});

describe.each(KERNELS)('postcopy and hybrid ($name kernel)', ({ make }) => {
  it('postcopy: pause for the state, push pages in order, fetch written ones on demand', () => {
    // state 2000 B = 2 ms; rtt 0.5 ms. memPages 6. epochs (trace ms): 1 {4}, 2.5 {0,5}
    // pause [0,2); push page 0 by 3 ms; the guest (trace 1 ms at 3 ms) writes 4: fault, waits 1.5 ms
    //   (the fault's page takes the link 3→4); pushes 1, 2 by 6 ms; trace 2.5 ms at 6 ms writes {0,5}:
    //   0 arrived, 5 faults, waits till 7.5 ms (link busy 6→7); page 3 pushed 7→8: done at 8 ms.
    const t = makeTrace({ memPages: 6, pageSize: 1000, durationUs: 100_000 }, [[1000, [4]], [2500, [0, 5]]]);
    const r = replay(t, postcopy, make(), MS_PER_PAGE_LINK, { stateSize: '2000', rtt: '0.5ms' });
    expect(table(r)).toEqual([[0, 2000, 0, 0, 'stop-copy'], [2000, 6000, 6, 2, 'postcopy']]);
    expect(r.pagesSent).toBe(6);
    expect(r.remoteFaults).toBe(2);
    expect(r.faultWaitS).toBeCloseTo(0.003, 12);
    expect(r.downtimeMs).toBeCloseTo(2, 9);
    expect(r.totalTimeS).toBeCloseTo(0.008, 12);
    expect(r.iterations).toBe(0);
  });

  it('hybrid: pre-copy rounds, then post-copy for the pages still dirty', () => {
    // 1 pre-copy round: 6 pages [0,6) dirties {0,4,5}; pause [6,8); trace resumes at 6 ms:
    // push 0 by 9 ms; t=7 {5} faults (waits to 10.5, link 9→10); push 4 by 11 ms. 9 pages, 11 ms.
    const t = makeTrace({ memPages: 6, pageSize: 1000, durationUs: 100_000 }, [[1000, [4]], [2500, [0, 5]], [7000, [5]]]);
    const r = replay(t, hybrid, make(), MS_PER_PAGE_LINK, { precopyRounds: 1, stateSize: '2000', rtt: '0.5ms' });
    expect(table(r)).toEqual([[0, 6000, 6, 3, 'precopy'], [6000, 2000, 0, 0, 'stop-copy'], [8000, 3000, 3, 1, 'postcopy']]);
    expect(r.pagesSent).toBe(9);
    expect(r.remoteFaults).toBe(1);
    expect(r.totalTimeS).toBeCloseTo(0.011, 12);
  });
});

describe('on the shipped traces (default link)', () => {
  const files = readdirSync('traces').filter((f) => f.endsWith('.arrow'));
  const kernel = createKernel('wasm');
  it.each(files)('%s: postcopy sends memory once; qemu converges within the limit or says max-time; the oracle is never beaten', (f) => {
    const trace = openTrace(fileSource(`traces/${f}`));
    const results = algorithms.filter((a) => a.id !== 'oracle').map((a) => replay(trace, a, kernel));
    addOracleDistances(trace, kernel, {}, results, findAlgorithm);
    const by = (id: string) => results.find((r) => r.algorithm === id)!;
    expect(by('postcopy').pagesSent).toBe(trace.meta.memPages);
    const q = by('qemu');
    if (q.converged) expect(q.downtimeMs!).toBeLessThanOrEqual(300);
    else expect(q.stopReason).toBe('max-time');
    for (const r of results) {
      if (!r.oracle?.comparable) continue;
      expect(r.oracle.pagesRatio).toBeGreaterThanOrEqual(1);
      expect(r.oracle.timeRatio).toBeGreaterThanOrEqual(1 - 1e-12);
    }
  }, 120_000);
});
