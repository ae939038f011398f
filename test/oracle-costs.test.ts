// The oracle stays a lower bound where pages cost less than a page (zero pages from
// `data_pages`) and where the stop-and-copy runs faster than the link (qemu's
// unthrottled-bandwidth); a result's distance never depends on the other results.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { algorithms, findAlgorithm } from '../src/algorithms/index.js';
import { oracle, oracleBounds } from '../src/algorithms/oracle.js';
import { qemu } from '../src/algorithms/qemu.js';
import { Engine } from '../src/engine/engine.js';
import { addOracleDistances, replay } from '../src/run/replay.js';
import type { ReplayResult } from '../src/engine/types.js';
import { createKernel } from '../src/kernel/node.js';
import { KERNELS, MS_PER_PAGE_LINK, makeTrace, type TestEpoch } from './helpers.js';

describe.each(KERNELS)('oracle page costs ($name kernel)', ({ make }) => {
  it('a page still all zeros costs 9 bytes: 4 pages, one of data, nothing written', () => {
    // 1000-byte pages over 1 page/ms: page 0 costs 1 ms, each zero page 0.009 ms.
    const t = makeTrace({ memPages: 4, pageSize: 1000, durationUs: 100_000, extra: { data_pages: '0' } }, [[50_000, []]]);
    const [b] = oracleBounds(new Engine(t, make(), MS_PER_PAGE_LINK, oracle.needs), [{ pages: 0, horizonUs: 100_000 }]);
    expect(b!.feasible).toBe(true);
    expect(b!.totalUs).toBeCloseTo(1027, 6);
    // qemu pays headers too: 1008 + 3 × 9 bytes, and is not faster.
    const q = replay(t, qemu, make(), MS_PER_PAGE_LINK, { stateSize: '0' });
    expect(q.bytesSent).toBe(1008 + 27);
    expect(q.pagesSent).toBe(4);
    expect(q.zeroPagesSent).toBe(3);
    expect(q.overheadRatio).toBe(1); // R_d counts every page sent, zero pages included
    expect(q.totalTimeS * 1e6).toBeGreaterThanOrEqual(b!.totalUs);
  });

  it('a written zero page costs a whole page from then on', () => {
    // Page 1 (zero) written at 0.5 ms: it must go after that at a page's cost, or in the pause.
    const t = makeTrace({ memPages: 2, pageSize: 1000, durationUs: 100_000, extra: { data_pages: '0' } }, [[500, [1]]]);
    const [b] = oracleBounds(new Engine(t, make(), MS_PER_PAGE_LINK, oracle.needs), [{ pages: 0, horizonUs: 100_000 }]);
    // Send page 0 in [0,1), page 1 in [1,2): 2 ms (1.009 ms had page 1 stayed zero).
    expect(b!.totalUs).toBeCloseTo(2000, 6);
  });

  it('a pause that sends a fraction of a page is as early as it can be (found by the property below)', () => {
    // One zero page, written at 13 µs; 1000-byte pages at 200 kB/s (5 ms a page, 45 µs a
    // zero page). Pausing at 0 sends the zero page in 45 µs; rounding the pause's share
    // down to whole pages would have pushed it past the write and made the bound 5 ms.
    const t = makeTrace({ memPages: 1, pageSize: 1000, durationUs: 1013, extra: { data_pages: '' } }, [[12, []], [13, [0]]]);
    const link = { ...MS_PER_PAGE_LINK, bandwidthBytesPerS: 2e5 };
    const [b] = oracleBounds(new Engine(t, make(), link, oracle.needs), [{ pages: 1.008, horizonUs: 10_000 }]);
    expect(b!.totalUs).toBeCloseTo(45, 9);
    const q = replay(t, qemu, make(), link, { stateSize: '0', downtimeLimit: '0.5ms' });
    expect(q.totalTimeS * 1e6).toBeGreaterThanOrEqual(b!.totalUs);
  });

  it('a faster pause is charged at its own rate', () => {
    // Page 0 rewritten every 0.5 ms: it can only go in the pause. Pause rate 4× the link:
    // send page 1 in [0,1), pause at 1 ms, page 0 in 0.25 ms.
    const t = makeTrace({ memPages: 2, pageSize: 1000, durationUs: 1000 }, [[0, [0]], [500, [0]]]);
    const [b] = oracleBounds(new Engine(t, make(), MS_PER_PAGE_LINK, oracle.needs), [{ pages: 1, rate: 0.25, horizonUs: 50_000 }]);
    expect(b!.feasible).toBe(true);
    expect(b!.totalUs).toBeCloseTo(1250, 6);
  });
});

describe('no comparable result beats the oracle with zero pages and a fast stop-and-copy (fast-check)', () => {
  const comparable = algorithms.filter((a) => a.family === 'precopy' && !a.altersWorkload);
  const kernel = createKernel('wasm');
  const traceArb = fc
    .record({
      memPages: fc.integer({ min: 1, max: 60 }),
      gaps: fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 20 }),
      seed: fc.integer(),
      density: fc.double({ min: 0, max: 0.6, noNaN: true }),
      dataShare: fc.double({ min: 0, max: 1, noNaN: true }),
      bandwidth: fc.constantFrom(2e5, 1e6, 4e6),
      unthrottled: fc.constantFrom(0, 2, 10),
      withinEpoch: fc.constantFrom('start' as const, 'spread' as const, 'whole' as const),
      downtimeLimit: fc.constantFrom('0.5ms', '3ms', '20ms', '300ms'),
    })
    .map((x) => {
      let s = x.seed >>> 0;
      const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
      let t = 0;
      const epochs: TestEpoch[] = x.gaps.map((g) => {
        t += g;
        return [t, Array.from({ length: x.memPages }, (_, p) => p).filter(() => rand() < x.density)];
      });
      const data = Array.from({ length: x.memPages }, (_, p) => p).filter(() => rand() < x.dataShare);
      return { ...x, epochs, durationUs: t + 1000, dataPages: data.join(',') };
    });

  it(`holds for ${comparable.map((a) => a.id).join(', ')}, and each distance is the same alone as among the others`, () => {
    fc.assert(
      fc.property(traceArb, (tr) => {
        const trace = makeTrace({ memPages: tr.memPages, pageSize: 1000, durationUs: tr.durationUs, extra: { data_pages: tr.dataPages } }, tr.epochs);
        const link = { bandwidthBytesPerS: tr.bandwidth, startS: 0, resumeMs: 0, withinEpoch: tr.withinEpoch };
        const params = { downtimeLimit: tr.downtimeLimit, maxTime: '3s', unthrottledBandwidth: tr.unthrottled * tr.bandwidth, stateSize: '0' };
        const run = (): ReplayResult[] => comparable.map((a) => replay(trace, a, kernel, link, Object.fromEntries(
          Object.entries(params).filter(([k]) => a.params.some((p) => p.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) === k)))));
        const all = run();
        addOracleDistances(trace, kernel, link, all, findAlgorithm);
        for (const r of all) {
          if (!r.converged) continue;
          expect(r.oracle, `${r.algorithm}: its own schedule is feasible for the oracle`).toBeDefined();
          expect(r.oracle!.timeRatio, r.algorithm).toBeGreaterThanOrEqual(1 - 1e-9);
          expect(r.overheadRatio).toBeCloseTo(r.pagesSent / tr.memPages, 12);
          const alone = run().find((x) => x.algorithm === r.algorithm)!;
          addOracleDistances(trace, kernel, link, [alone], findAlgorithm);
          expect(alone.oracle, r.algorithm).toEqual(r.oracle);
        }
      }),
      // MIGREPLAY_ORACLE_RUNS for more; MIGREPLAY_ORACLE_SEED repeats a run.
      { numRuns: Number(process.env.MIGREPLAY_ORACLE_RUNS ?? 150), ...(process.env.MIGREPLAY_ORACLE_SEED ? { seed: Number(process.env.MIGREPLAY_ORACLE_SEED) } : {}) },
    );
  }, 120_000);
});

describe.each(KERNELS)('qemu with zero pages: the rounds add up ($name kernel)', ({ make }) => {
  it('pagesSent is the sum over rounds, zero pages included (found by the fuzzer)', () => {
    const t = makeTrace({ memPages: 10, pageSize: 1000, durationUs: 100_000, extra: { data_pages: '0-1' } }, [[0, [1, 2]], [1000, [3]]]);
    const r = replay(t, qemu, make(), { ...MS_PER_PAGE_LINK, bandwidthBytesPerS: 125_000 }, { stateSize: '0' });
    expect(r.pagesSent).toBe(r.rounds.reduce((n, x) => n + x.pagesSent, 0));
    expect(r.zeroPagesSent).toBeGreaterThan(0);
  });
});
