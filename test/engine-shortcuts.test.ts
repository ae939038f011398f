// The engine's shortcuts change how a replay is computed, never its result: each is
// checked here against the engine without it (fast-check, random wrapping traces).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveParams } from '../src/params/index.js';
import { algorithms, findAlgorithm } from '../src/algorithms/index.js';
import { oracleBounds, SETTLE } from '../src/algorithms/oracle.js';
import type { Algorithm } from '../src/algorithms/types.js';
import { SCAN } from '../src/algorithms/qemu.js';
import { SKIP } from '../src/engine/clock.js';
import { Engine } from '../src/engine/engine.js';
import { DEFAULT_LINK, type LinkParams } from '../src/engine/types.js';
import { createKernel } from '../src/kernel/node.js';
import { bytesSource, openTrace } from '../src/trace/read.js';
import type { TraceHeader } from '../src/trace/write.js';
import { traceBytes, type TestEpoch } from './helpers.js';

const SLOW = 120_000;

// Kept decoded, as replay keeps the traces that fit its memory budget (the index then
// also goes in blocks of rows, reading the rows of a partial block again).
const keptTrace = (header: TraceHeader, epochs: TestEpoch[]) => openTrace(bytesSource('test.arrow', traceBytes(header, epochs)), { keepDecodedBytes: Infinity });

// Small traces that a migration wraps many times: up to 40 pages, up to 40 epochs of
// 1 µs to 0.2 s (QEMU's syncs come at ≥ 100 ms: long epochs put them inside one), dense
// or sparse (where one row of the index of epoch unions left out shows).
const traceArbWith = (gap: fc.Arbitrary<number>, pageSize: fc.Arbitrary<number> = fc.constant(1000)) => fc
  .record({
    pageSize,
    memPages: fc.integer({ min: 1, max: 40 }),
    gaps: fc.array(gap, { minLength: 1, maxLength: 40 }),
    seed: fc.integer(),
    density: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 0.1, noNaN: true })),
    tail: fc.integer({ min: 1000, max: 5000 }),
    dataPages: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }), // the rest start as zero pages
    bandwidth: fc.constantFrom(1e5, 4e5, 1e6, 4e6),
    startFrac: fc.double({ min: 0, max: 0.99, noNaN: true }),
    withinEpoch: fc.constantFrom('start' as const, 'whole' as const, 'spread' as const, 'spread' as const), // spread: the one deferred
  })
  .map((r) => {
    let s = r.seed >>> 0;
    const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
    let t = 0;
    const epochs: TestEpoch[] = r.gaps.map((g) => {
      t += g;
      return [t, Array.from({ length: r.memPages }, (_, p) => p).filter(() => rand() < r.density)];
    });
    const durationUs = t + r.tail;
    const extra: Record<string, string> = r.dataPages === undefined ? {} : { data_pages: `0-${Math.min(r.dataPages, r.memPages - 1)}` };
    const header: TraceHeader = { memPages: r.memPages, pageSize: r.pageSize, durationUs, extra };
    const trace = keptTrace(header, epochs);
    const link: LinkParams = { ...DEFAULT_LINK, bandwidthBytesPerS: (r.bandwidth * r.pageSize) / 1000, startS: (r.startFrac * durationUs) / 1e6, withinEpoch: r.withinEpoch };
    // The same trace read from its bytes on every pass, as one beyond the memory budget is.
    const streamed = () => openTrace(bytesSource('test.arrow', traceBytes(header, epochs)), { keepDecodedBytes: 0 });
    return { trace, link, streamed };
  });
const traceArb = traceArbWith(fc.oneof(fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 50_000, max: 200_000 })));

const paramsArb = fc.record({
  'downtime-limit': fc.constantFrom('0.5ms', '3ms', '20ms', '300ms'),
  'max-time': fc.constantFrom('0.2s', '1s', '3s'),
  'iterate-time': fc.constantFrom('1ms', '7ms', '50ms'),
  'dirty-sync-period': fc.constantFrom('0', '0.05s', '1s'),
  'max-iters': fc.integer({ min: 1, max: 60 }),
  'stop-bytes': fc.constantFrom('0', '1000', '5000'),
});

/** The values of `given` that are the algorithm's own parameters, resolved (the others left out). */
const ownValues = (algorithm: Algorithm, given: Record<string, string | number>) =>
  resolveParams(algorithm, Object.fromEntries(Object.entries(given).filter(([name]) => algorithm.params.some((p) => p.name === name))));

/** f() with a test hook's field set to `value`, and set back after. */
function withHook<H extends object, K extends keyof H, T>(hook: H, key: K, value: H[K], f: () => T): T {
  const was = hook[key];
  hook[key] = value;
  try {
    return f();
  } finally {
    hook[key] = was;
  }
}

/** f()'s result, or the message of the input it refused (the same refusal either way counts as the same result). */
function orRefused<T>(f: () => T): T | { refused: string } {
  try {
    return f();
  } catch (e) {
    return { refused: (e as Error).message };
  }
}

describe('deferred landing (needs.settles: spread epochs in one go, whole epochs through the index of epoch unions) gives the same results', () => {
  const kernel = createKernel('wasm');

  it('qemu on a trace whose every epoch writes a page of its own, wrapped many times', () => {
    // 37 epochs of 1 ms, epoch i writing page i (every row the index leaves out or adds
    // shows) and ten hot pages (rounds never converge, and go on shorter than the trace).
    const hot = Array.from({ length: 10 }, (_, i) => 990 + i);
    const epochs: TestEpoch[] = Array.from({ length: 37 }, (_, i) => [i * 1000, [i, ...hot]]);
    const trace = keptTrace({ memPages: 1000, pageSize: 1000, durationUs: 37_000 }, epochs);
    const algorithm = findAlgorithm('qemu')!;
    let long = 0;
    for (const withinEpoch of ['start', 'spread', 'whole'] as const) {
      for (const bandwidth of [3e4, 1e5, 7e5, 1.3e6, 2.9e6, 5e6]) {
        const link: LinkParams = { ...DEFAULT_LINK, bandwidthBytesPerS: bandwidth, withinEpoch };
        const values = resolveParams(algorithm, { 'max-time': '20s', 'downtime-limit': '0.1ms' });
        const run = (settles: boolean, indexBytes?: number) => algorithm.run(new Engine(trace, kernel, link, { ...algorithm.needs, settles, indexBytes }), values);
        const fast = run(true);
        if (fast.stopReason === 'max-time' && fast.wrapped) long++;
        const full = run(false);
        expect(fast).toEqual(full);
        for (const bitmaps of [3, 8, 20]) expect(run(true, bitmaps * 128)).toEqual(full); // blocks of 64 (all), 16 and 8 rows

      }
    }
    expect(long).toBeGreaterThanOrEqual(12); // the runs that never converge wrap the trace hundreds of times
  }, SLOW);

  for (const id of ['qemu', 'auto-converge', 'precopy']) {
    const algorithm = findAlgorithm(id)!;
    it(`${id}: with and without it, on random wrapping traces under every --within-epoch rule`, () => {
      expect(algorithm.needs?.settles).toBe(true);
      fc.assert(
        fc.property(traceArb, paramsArb, ({ trace, link }, given) => {
          const values = ownValues(algorithm, given);
          const run = (settles: boolean, indexBytes?: number) => algorithm.run(new Engine(trace, kernel, link, { ...algorithm.needs, settles, indexBytes }), values);
          const full = run(false);
          expect(run(true)).toEqual(full);
          // An index too small for one bitmap per row: rows go in blocks, the rest row by row.
          expect(run(true, 3 * 16 * Math.ceil(trace.meta.memPages / 128))).toEqual(full);
        }),
        { numRuns: 300 },
      );
    }, SLOW);
  }
});

describe('whole passes a clock only counts rows through are skipped (SKIP.passes): the same results as stepping through every epoch', () => {
  const kernel = createKernel('wasm');
  const skipped = SKIP.skipped;
  for (const id of ['precopy', 'qemu', 'auto-converge']) {
    const algorithm = findAlgorithm(id)!;
    it(`${id}: on random wrapping traces under every --within-epoch rule, kept and read again on every pass`, () => {
      fc.assert(
        // Also traces of at most 80 ms, which a round or a send outlasts more often.
        fc.property(fc.oneof(traceArb, traceArbWith(fc.integer({ min: 1, max: 2000 }))), paramsArb, fc.boolean(), ({ trace, link, streamed }, given, fromBytes) => {
          const values = ownValues(algorithm, given);
          const t = fromBytes ? streamed() : trace;
          const run = (passes: boolean) => withHook(SKIP, 'passes', passes, () => orRefused(() => algorithm.run(new Engine(t, kernel, link, algorithm.needs), values)));
          expect(run(true)).toEqual(run(false));
        }),
        { numRuns: 300 },
      );
    }, SLOW);
  }
  it('precopy and qemu on a trace whose every epoch writes a page of its own, rounds ending anywhere in it', () => {
    // 7 epochs of 10 ms, epoch i writing page i only: a row landed in part, in full, or not
    // at all changes what a round dirtied. The full copy outlasts the trace many times
    // over, the rounds after it are shorter than the trace (and see what it left).
    const epochs: TestEpoch[] = Array.from({ length: 7 }, (_, i) => [i * 10_000 + 10_000, [i]]);
    const trace = keptTrace({ memPages: 400, pageSize: 1000, durationUs: 80_000 }, epochs);
    const before = SKIP.skipped;
    for (const id of ['precopy', 'qemu']) {
      const algorithm = findAlgorithm(id)!;
      const given = { 'max-time': '3s', 'downtime-limit': '0.1ms', 'max-iters': '40', 'stop-bytes': '0' };
      const values = ownValues(algorithm, given);
      for (const withinEpoch of ['start', 'spread', 'whole'] as const) {
        for (let i = 0; i < 40; i++) {
          const link: LinkParams = { ...DEFAULT_LINK, bandwidthBytesPerS: 2e5 + i * 7919, startS: (i * 1370) / 1e6, withinEpoch };
          const run = (passes: boolean) => withHook(SKIP, 'passes', passes, () => algorithm.run(new Engine(trace, kernel, link, algorithm.needs), values));
          expect(run(true), `${id} ${withinEpoch} ${link.bandwidthBytesPerS}`).toEqual(run(false));
        }
      }
    }
    expect(SKIP.skipped - before).toBeGreaterThan(100);
  }, SLOW);
  it('auto-converge, throttled (a clock slower than the trace never skips) and not, on traces shorter than a send', () => {
    const algorithm = findAlgorithm('auto-converge')!;
    const values = resolveParams(algorithm, { 'max-time': '20s', 'downtime-limit': '0.1ms', 'dirty-sync-period': '0.3s', 'throttle-trigger': '1' });
    let throttled = 0;
    const before = SKIP.skipped;
    for (const period of [2003, 3001, 10_007]) { // 20 s of migration: at most 10 000 passes
      for (const hot of [5, 50, 300]) {
        // 7 epochs, each writing the hot pages and one page of its own.
        const epochs: TestEpoch[] = Array.from({ length: 7 }, (_, i) => [Math.floor((i * period) / 7), [...Array.from({ length: hot }, (_, p) => p), 1000 + i]]);
        const trace = keptTrace({ memPages: 2000, pageSize: 1000, durationUs: period }, epochs);
        for (const withinEpoch of ['start', 'spread', 'whole'] as const) {
          for (const bandwidth of [3e5, 3e6]) {
            const link: LinkParams = { ...DEFAULT_LINK, bandwidthBytesPerS: bandwidth, withinEpoch, startS: period / 3e6 };
            const run = (passes: boolean) => withHook(SKIP, 'passes', passes, () => algorithm.run(new Engine(trace, kernel, link, algorithm.needs), values));
            const fast = run(true);
            if ((fast.throttleSteps ?? 0) > 0) throttled++;
            expect(fast, `${period} ${hot} ${withinEpoch} ${bandwidth}`).toEqual(run(false));
          }
        }
      }
    }
    expect(throttled).toBeGreaterThan(10);
    expect(SKIP.skipped - before).toBeGreaterThan(100);
  }, SLOW);
  it('rounds that end exactly where an epoch starts (whole µs: 1 page takes 1 ms), traces of one batch per epoch', () => {
    let cases = 0;
    for (const id of ['precopy', 'qemu', 'auto-converge']) {
      const algorithm = findAlgorithm(id)!;
      const given: Record<string, string> = { 'max-time': '2s', 'downtime-limit': '0.1ms', 'max-iters': '30', 'stop-bytes': '0', 'iterate-time': '1ms', 'dirty-sync-period': '0' };
      const values = ownValues(algorithm, given);
      for (const E of [1, 2, 3, 7]) {
        for (const mem of [1, 5, 21, 64]) {
          for (const tail of [0, 1, 500]) {
            const epochs: TestEpoch[] = Array.from({ length: E }, (_, i) => [i * 1000, i % 2 === 0 ? [i % mem] : []]);
            const trace = openTrace(bytesSource('test.arrow', traceBytes({ memPages: mem, pageSize: 1000, durationUs: 1000 * E + tail }, epochs, { batchPages: 1 })), { keepDecodedBytes: Infinity });
            for (const withinEpoch of ['start', 'spread', 'whole'] as const) {
              for (const startS of [0, 0.0005, 0.001]) {
                if (startS * 1e6 >= 1000 * E + tail) continue;
                const link: LinkParams = { ...DEFAULT_LINK, bandwidthBytesPerS: 1e6, withinEpoch, startS };
                const run = (passes: boolean) => withHook(SKIP, 'passes', passes, () => orRefused(() => algorithm.run(new Engine(trace, kernel, link, algorithm.needs), values)));
                expect(run(true), `${id} ${E} ${mem} ${tail} ${withinEpoch} ${startS}`).toEqual(run(false));
                cases++;
              }
            }
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(300);
  }, SLOW);
  it('skipped passes', () => {
    expect(SKIP.skipped - skipped).toBeGreaterThan(1000);
  });
});

describe('a budget is settled once it is decided (SETTLE: none can meet it after a whole period, or none later can beat its best): the same results as the full scan', () => {
  const kernel = createKernel('wasm');
  const [hopeless, bounded] = [SETTLE.hopeless, SETTLE.bounded];
  const oracleAlgo = findAlgorithm('oracle')!;
  it('oracle, and oracleBounds with several budgets, on random wrapping traces under every --within-epoch rule', () => {
    fc.assert(
      fc.property(
        // Also pages of 4 bytes, where a zero page (9 bytes) costs more than a page.
        fc.oneof(traceArb, traceArbWith(fc.integer({ min: 1, max: 2000 })), traceArbWith(fc.integer({ min: 1, max: 4000 }), fc.constantFrom(4, 1000))),
        fc.constantFrom('0', '0.05ms', '0.3ms', '3ms', '30ms'),
        fc.constantFrom('0.5s', '3s', '20s'),
        fc.array(fc.double({ min: 0, max: 45, noNaN: true }), { minLength: 1, maxLength: 4 }),
        ({ trace, link }, limit, maxTime, pages) => {
          const values = resolveParams(oracleAlgo, { 'downtime-limit': limit, 'max-time': maxTime });
          const run = <T>(early: boolean, f: () => T) => withHook(SETTLE, 'early', early, () => orRefused(f));
          const alone = () => oracleAlgo.run(new Engine(trace, kernel, link, oracleAlgo.needs), values);
          expect(run(true, alone)).toEqual(run(false, alone));
          const budgets = pages.map((p, i) => ({ pages: p, rate: i % 2 ? 0.5 : 1, horizonUs: 1e6 * (i + 1) }));
          const bounds = () => oracleBounds(new Engine(trace, kernel, link, oracleAlgo.needs), budgets);
          expect(run(true, bounds)).toEqual(run(false, bounds));
        },
      ),
      { numRuns: 400 },
    );
  }, SLOW);
  it('settled budgets, both ways', () => {
    expect(SETTLE.hopeless - hopeless).toBeGreaterThan(5); // random traces: 30–60 in a run
    expect(SETTLE.bounded - bounded).toBeGreaterThan(0); // most of these traces end by the time bound first
  });
  it('oracleBounds on a trace the full copy outlasts a hundred times: budgets met early are settled by their bound, same bounds', () => {
    // 20 epochs of 1 ms, each writing a fifth of 100 hot pages (of 400); a page takes 10 ms to send.
    const epochs: TestEpoch[] = Array.from({ length: 20 }, (_, i) => [i * 1000, Array.from({ length: 100 }, (_, p) => p).filter((p) => (p * 7 + i * 13) % 5 === 0)]);
    const trace = keptTrace({ memPages: 400, pageSize: 1000, durationUs: 20_000 }, epochs);
    for (const withinEpoch of ['start', 'spread', 'whole'] as const) {
      const link: LinkParams = { ...DEFAULT_LINK, bandwidthBytesPerS: 1e5, withinEpoch, resumeMs: 3 };
      const budgets = [10, 100, 120, 150.5, 400].map((pages, i) => ({ pages, rate: i === 2 ? 0.25 : 1, horizonUs: 60e6 }));
      const before = SETTLE.bounded;
      const fast = oracleBounds(new Engine(trace, kernel, link, oracleAlgo.needs), budgets);
      expect(fast.map((b) => b.feasible)).toEqual([false, true, true, true, true]);
      expect(SETTLE.bounded - before).toBe(4);
      expect(fast).toEqual(withHook(SETTLE, 'early', false, () => oracleBounds(new Engine(trace, kernel, link, oracleAlgo.needs), budgets)));
    }
  }, SLOW);
  it('oracle on a trace with more hot pages than any budget: decided after two periods and one more, same result', () => {
    // 20 epochs of 1 ms, each writing the same 50 hot pages and one page of its own.
    const epochs: TestEpoch[] = Array.from({ length: 20 }, (_, i) => [i * 1000, [...Array.from({ length: 50 }, (_, p) => p), 100 + i]]);
    const trace = keptTrace({ memPages: 200, pageSize: 1000, durationUs: 20_000 }, epochs);
    for (const withinEpoch of ['start', 'spread', 'whole'] as const) {
      for (const limit of ['0', '1ms', '10ms']) {
        const link: LinkParams = { ...DEFAULT_LINK, bandwidthBytesPerS: 1e6, withinEpoch };
        const values = resolveParams(oracleAlgo, { 'downtime-limit': limit, 'max-time': '60s' });
        const before = SETTLE.hopeless;
        const fast = oracleAlgo.run(new Engine(trace, kernel, link, oracleAlgo.needs), values);
        expect(SETTLE.hopeless - before).toBe(1);
        expect(fast).toEqual(withHook(SETTLE, 'early', false, () => oracleAlgo.run(new Engine(trace, kernel, link, oracleAlgo.needs), values)));
        expect(fast.stopReason).toBe('infeasible');
      }
    }
  });
});

describe("QEMU's scan owes a send's clears until SEND is read (SCAN.owe): the same results as clearing at every send", () => {
  const kernel = createKernel('wasm');
  for (const id of ['qemu', 'auto-converge', 'hybrid', 'postcopy']) {
    const algorithm = findAlgorithm(id)!;
    it(`${id}, on random wrapping traces, with and without data_pages`, () => {
      fc.assert(
        fc.property(traceArb, paramsArb, ({ trace, link }, given) => {
          const values = ownValues(algorithm, given);
          const run = (owe: boolean) => withHook(SCAN, 'owe', owe, () => algorithm.run(new Engine(trace, kernel, link, algorithm.needs), values));
          expect(run(true)).toEqual(run(false));
        }),
        { numRuns: 200 },
      );
    }, SLOW);
  }
});

describe('rows grouped once for their visits after the first wrap, and their bins (RowGroups), give the same results', () => {
  const wasm = createKernel('wasm');
  let takes = 0;
  let bins = 0;
  // Counting the slices taken from groups and from bins, to show the test reached them.
  const kernel = Object.assign(Object.create(null), wasm, {
    takeSpread: (...a: Parameters<typeof wasm.takeSpread>) => { takes++; return wasm.takeSpread(...a); },
    orSaved: (...a: Parameters<typeof wasm.orSaved>) => { bins++; return wasm.orSaved(...a); },
  }) as typeof wasm;
  for (const algorithm of algorithms.filter((a) => a.family !== 'bound')) {
    it(`${algorithm.id}: without them, with them, again with the rows kept by the trace, and with room for a few`, () => {
      fc.assert(
        fc.property(traceArb, paramsArb, ({ trace, link }, given) => {
          const values = ownValues(algorithm, given);
          const spread: LinkParams = { ...link, withinEpoch: 'spread' };
          // A trace far too short for the link is refused the same way.
          const run = (groupSlices: boolean, rowGroupBytes?: number) => orRefused(() => algorithm.run(new Engine(trace, kernel, spread, { ...algorithm.needs, groupSlices, rowGroupBytes }), values));
          const plain = run(false);
          expect(run(true)).toEqual(plain); // grouped now, and kept by the trace
          expect(run(true)).toEqual(plain); // copied from what the trace kept
          expect(run(true, 4 * (trace.meta.memPages + 1025) * 2)).toEqual(plain); // room for about two rows
        }),
        { numRuns: 150 },
      );
    }, SLOW);
  }
  it('reached the kept rows, and their bins', () => {
    expect(takes).toBeGreaterThan(500);
    expect(bins).toBeGreaterThan(10); // random traces: the count varies from run to run
  });
});
