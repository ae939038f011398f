// The oracle: hand-worked bounds, and fast-check evidence that no pre-copy algorithm
// beats it at the same or a lower downtime.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { algorithms, findAlgorithm } from '../src/algorithms/index.js';
import { oracle, oracleBounds } from '../src/algorithms/oracle.js';
import { Engine } from '../src/engine/engine.js';
import { addOracleDistances, replay } from '../src/run/replay.js';
import { createKernel } from '../src/kernel/node.js';
import { KERNELS, MS_PER_PAGE_LINK, makeTrace, type TestEpoch } from './helpers.js';

describe.each(KERNELS)('oracle ($name kernel)', ({ make }) => {
  const bounds = (t: ReturnType<typeof makeTrace>, budgets: number[], horizonUs = 50_000) =>
    oracleBounds(new Engine(t, make(), MS_PER_PAGE_LINK, oracle.needs), budgets.map((pages) => ({ pages, horizonUs })));

  it('sends pages written late after their last write: 4 pages, writes at 1 ms {0} and 2 ms {1}', () => {
    // No downtime allowed: send 2, 3 in [0,2), 0 in [2,3), 1 in [3,4), pause at 4 ms with nothing left.
    const t = makeTrace({ memPages: 4, pageSize: 1000, durationUs: 100_000 }, [[1000, [0]], [2000, [1]]]);
    const [b0, b1, b4] = bounds(t, [0, 1, 4]);
    expect(b0).toMatchObject({ feasible: true, tauUs: 4000, finalPages: 0, totalUs: 4000 });
    expect(b1!.totalUs).toBe(4000); // a budget never makes it slower than sending memory once
    // With room for all 4 pages, stop-and-copy at once is as fast: 4 ms.
    expect(b4).toMatchObject({ feasible: true, tauUs: 0, finalPages: 4, totalUs: 4000 });
  });

  it('a page rewritten every 0.5 ms can only go in the pause', () => {
    // memPages 2; page 0 written at 0, 0.5, 1, 1.5 … ms. Budget 0: infeasible. Budget 1:
    // send page 1 in [0,1), pause at 1 ms, send page 0 in [1,2): 2 ms.
    const t = makeTrace({ memPages: 2, pageSize: 1000, durationUs: 1000 }, [[0, [0]], [500, [0]]]);
    const [b0, b1] = bounds(t, [0, 1]);
    expect(b0!.feasible).toBe(false);
    expect(b1).toMatchObject({ feasible: true, tauUs: 1000, finalPages: 1, totalUs: 2000 });
  });

  it('as an algorithm, reports its bound for --downtime-limit', () => {
    const t = makeTrace({ memPages: 2, pageSize: 1000, durationUs: 1000 }, [[0, [0]], [500, [0]]]);
    const r = replay(t, oracle, make(), MS_PER_PAGE_LINK, { downtimeLimit: '1ms' });
    expect(r.stopReason).toBe('clairvoyant');
    expect(r.pagesSent).toBe(2);
    expect(r.totalTimeS).toBeCloseTo(0.002, 12);
    expect(r.downtimeMs).toBeCloseTo(1, 9);
    const none = replay(t, oracle, make(), MS_PER_PAGE_LINK, { downtimeLimit: '0.5ms', maxTime: '0.1s' });
    expect(none.stopReason).toBe('infeasible');
    expect(none.converged).toBe(false);
  });
});

describe('no pre-copy algorithm beats the oracle (fast-check)', () => {
  const comparable = algorithms.filter((a) => a.family === 'precopy' && !a.altersWorkload);
  const kernel = createKernel('wasm');

  it(`holds for ${comparable.map((a) => a.id).join(', ')} on random small traces, under every --within-epoch rule`, () => {
    const traceArb = fc
      .record({
        memPages: fc.integer({ min: 1, max: 40 }),
        gaps: fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 25 }),
        seed: fc.integer(),
        density: fc.double({ min: 0, max: 1, noNaN: true }),
        tail: fc.integer({ min: 1000, max: 5000 }), // ≥ 1 ms: a 2 s max-time wraps it < 10,000 times
        bandwidth: fc.constantFrom(2e5, 1e6, 4e6),
        startFrac: fc.double({ min: 0, max: 0.99, noNaN: true }),
        withinEpoch: fc.constantFrom('start' as const, 'spread' as const, 'whole' as const),
      })
      .map(({ memPages, gaps, seed, density, tail, bandwidth, startFrac, withinEpoch }) => {
        let s = seed >>> 0;
        const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
        let t = 0;
        const epochs: TestEpoch[] = gaps.map((g) => {
          t += g;
          const pages = Array.from({ length: memPages }, (_, p) => p).filter(() => rand() < density);
          return [t, pages];
        });
        const durationUs = t + tail;
        return { memPages, epochs, durationUs, bandwidth, startS: (startFrac * durationUs) / 1e6, withinEpoch };
      });
    const paramsArb = fc.record({
      maxIters: fc.integer({ min: 1, max: 30 }),
      stopBytes: fc.constantFrom('0', '1000', '5000', '256KiB'),
      downtimeLimit: fc.constantFrom('0.5ms', '3ms', '20ms', '300ms'),
    });
    fc.assert(
      fc.property(traceArb, paramsArb, (tr, pr) => {
        const trace = makeTrace({ memPages: tr.memPages, pageSize: 1000, durationUs: tr.durationUs }, tr.epochs);
        const link = { bandwidthBytesPerS: tr.bandwidth, startS: tr.startS, resumeMs: 0, withinEpoch: tr.withinEpoch };
        const results = comparable.map((a) => {
          const own = Object.fromEntries(a.params.map((p) => [p.name, (pr as Record<string, string | number>)[p.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())]]).filter(([, v]) => v !== undefined));
          return replay(trace, a, kernel, link, { ...own, maxTime: '2s' });
        });
        addOracleDistances(trace, kernel, link, results, findAlgorithm);
        for (const r of results) {
          if (!r.converged) continue;
          expect(r.oracle, `${r.algorithm}: an engine schedule is always feasible for the oracle`).toBeDefined();
          expect(r.pagesSent).toBeGreaterThanOrEqual(tr.memPages);
          expect(r.totalTimeS * 1e6).toBeGreaterThanOrEqual(r.oracle!.oracleTotalTimeS * 1e6 - 1e-6);
        }
      }),
      { numRuns: 300 },
    );
  });
});
