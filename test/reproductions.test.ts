// Small versions of the seed papers' reproductions (docs/reproductions.md): each
// regenerates its workload at a reduced scale and checks only the direction of the
// paper's claim — who sends fewer pages, who finishes sooner — never wall-clock time.
// The setups are those of `node bench/reproduce.mjs --quick`: for hotpages and mail,
// memory, link and every rate and size shrink together (1/16: 64 MiB at 62.5 Mbit/s), so
// rounds last as long as at full size; video-stream keeps its player and link.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findAlgorithm } from '../src/algorithms/index.js';
import { replay } from '../src/run/replay.js';
import type { ReplayResult } from '../src/engine/types.js';
import { createKernel } from '../src/kernel/node.js';
import { generateTrace, type GenGiven } from '../src/trace/generate.js';
import { bytesSource, openTrace, type Trace } from '../src/trace/read.js';
import { parseRate } from '../src/units.js';

const TIMEOUT_MS = 30_000; // a replay that never stops fails here instead of hanging
const kernel = createKernel('wasm');

/** A generated trace, in memory. */
function generate(workload: string, options: GenGiven): Trace {
  const chunks: Uint8Array[] = [];
  generateTrace(workload, options, (c) => chunks.push(c.slice()));
  return openTrace(bytesSource(`${workload}.arrow`, Buffer.concat(chunks)));
}

function run(trace: Trace, algorithm: string, bandwidth: string, params: Record<string, string | number> = {}): ReplayResult {
  const algo = findAlgorithm(algorithm);
  if (!algo) throw new Error(`no algorithm ${algorithm}`);
  return replay(trace, algo, kernel, { bandwidthBytesPerS: parseRate('--bandwidth', bandwidth) }, params);
}

// hotpages at 1/16 of the 1 GiB / 1 Gbit/s setup (cold writes scaled too).
const HOTPAGES: GenGiven = { mem: '64MiB', duration: '30s', 'cold-rate': 12.5, seed: 1 };
const HOTPAGES_LINK = '62.5Mbit';

describe('seed 003: ma2010 vs precopy on hotpages', () => {
  it('sends fewer pages, takes less time and stops within 5 iterations', () => {
    const trace = generate('hotpages', HOTPAGES);
    const pre = run(trace, 'precopy', HOTPAGES_LINK);
    const ma = run(trace, 'ma2010', HOTPAGES_LINK);
    expect(pre.converged && ma.converged).toBe(true);
    expect(ma.pagesSent).toBeLessThan(pre.pagesSent);
    expect(ma.totalTimeS).toBeLessThan(pre.totalTimeS);
    expect(ma.iterations).toBeLessThanOrEqual(5);
    // The regime the paper describes: plain pre-copy does not converge before its cap.
    expect(pre.stopReason).toBe('max-iterations');
  }, TIMEOUT_MS);
});

describe('seed 000: threshold vs precopy on hotpages', () => {
  it('sends fewer pages and takes less time', () => {
    const trace = generate('hotpages', HOTPAGES);
    const pre = run(trace, 'precopy', HOTPAGES_LINK);
    const thr = run(trace, 'threshold', HOTPAGES_LINK);
    expect(thr.pagesSent).toBeLessThan(pre.pagesSent);
    expect(thr.totalTimeS).toBeLessThan(pre.totalTimeS);
  }, TIMEOUT_MS);
});

describe('seed 001: advance-xenvmc vs precopy on mail', () => {
  // The 3 MB experiment at 1/16: 187.5 kB files, network buffers, buffers, background and link all /16.
  const MAIL: GenGiven = {
    mem: '64MiB', 'file-size': 187_500, 'comm-bandwidth': '62.5Mbit', 'net-buffers': '1MiB',
    'server-ws': '512KiB', 'bg-size': '4MiB', 'bg-rate': 31.25,
  };
  it('takes less time with many users, and the gap grows with the users', () => {
    const cut = (users: number) => {
      const trace = generate('mail', { ...MAIL, users });
      const pre = run(trace, 'precopy', HOTPAGES_LINK);
      const adv = run(trace, 'advance-xenvmc', HOTPAGES_LINK);
      expect(adv.pagesSent).toBeLessThan(pre.pagesSent);
      return (pre.totalTimeS - adv.totalTimeS) / pre.totalTimeS;
    };
    const [few, some, many] = [cut(4), cut(12), cut(20)];
    expect(many).toBeGreaterThan(0);
    expect(some).toBeGreaterThan(few);
    expect(many).toBeGreaterThan(some);
  }, TIMEOUT_MS);
});

describe('seed 004: vcpu-limit vs precopy on video-stream', () => {
  it('limiting the player takes less time than precopy, the more so the tighter the limit', () => {
    const trace = generate('video-stream', { mem: '64MiB', duration: '60s' });
    expect(trace.summary.hasImmp).toBe(true);
    const pre = run(trace, 'precopy', '100Mbit');
    const at = (limit: number) => run(trace, 'vcpu-limit', '100Mbit', { 'vcpu-limit': limit });
    const [l15, l20, l25] = [at(15), at(20), at(25)];
    expect(l20.totalTimeS).toBeLessThan(pre.totalTimeS);
    expect(l15.totalTimeS).toBeLessThan(l20.totalTimeS);
    expect(l20.totalTimeS).toBeLessThan(l25.totalTimeS);
    expect(l25.totalTimeS).toBeLessThan(pre.totalTimeS);
    expect(l20.workloadSlowdown).toBeCloseTo(5, 12);
  }, TIMEOUT_MS);
});

describe('real traces: the comparison table on traces/xz6.arrow', () => {
  it('advance-xenvmc equals precopy (no comm_pages); ma2010 and threshold send fewer pages', () => {
    const bytes = readFileSync(new URL('../traces/xz6.arrow', import.meta.url));
    const trace = openTrace(bytesSource('traces/xz6.arrow', bytes));
    expect(trace.summary.hasComm).toBe(false);
    const pre = run(trace, 'precopy', '1Gbit');
    const adv = run(trace, 'advance-xenvmc', '1Gbit');
    const { algorithm: _a, params: _p, ...preRest } = pre;
    const { algorithm: _b, params: _q, ...advRest } = adv;
    expect(advRest).toEqual(preRest);
    expect(run(trace, 'ma2010', '1Gbit').pagesSent).toBeLessThan(pre.pagesSent);
    expect(run(trace, 'threshold', '1Gbit').pagesSent).toBeLessThan(pre.pagesSent);
  }, TIMEOUT_MS);
});
