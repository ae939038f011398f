// vcpu-limit — the IMMP vCPU-limit paper (described in full in `source`): during the
// migration the intensively memory-modifying process (IMMP) is limited to L % of a
// vCPU, so it dirties memory 100/L times more slowly; the rest of the guest runs as
// recorded. Its writes are the trace's immp_pages (or, when the trace has none, every
// write). The IMMP falls behind by (1 − L/100) of the live phase: reported as
// workloadSlowdown and workloadDelayS. Pre-copy otherwise follows precopy's rule
// (Charchekhandra, PMTCS 2023, §6).
import { DIRTY } from '../engine/engine.js';
import { runPrecopy, sendDirtied, stopRule } from '../engine/precopy.js';
import type { Algorithm } from './types.js';

export const vcpuLimit: Algorithm = {
  id: 'vcpu-limit',
  family: 'precopy',
  altersWorkload: true,
  source: 'the IMMP vCPU-limit paper — limits the vCPU share of the process that intensively modifies memory pages (IMMP) during pre-copy; XenServer 6.5, HD video streaming',
  summary: 'the memory-intensive process runs at vcpu-limit % during migration: its writes slow by 100/L',
  params: [
    { name: 'vcpu-limit', kind: 'percent', default: 20, min: 1, max: 100, doc: 'the IMMP\'s share of a vCPU during migration, %' },
    { name: 'max-iters', kind: 'int', default: 29, min: 1, unit: 'rounds', doc: 'live rounds at most, the full copy included' },
    { name: 'stop-bytes', kind: 'size', default: 256 * 1024, doc: 'stop when a round dirtied fewer bytes than this' },
  ],
  needs: { clocks: 2 },
  run(e, p) {
    const k = e.kernel;
    const share = (p.vcpuLimit as number) / 100;
    const [guest, immp] = e.clocks as [typeof e.clock, typeof e.clock];
    if (e.trace.summary.hasImmp) {
      guest.onEpoch = (ep) => k.setBitsExcept(DIRTY, ep.pagesOff, ep.pagesLen, ep.immpOff, ep.immpLen);
      immp.onEpoch = (ep) => k.setBits(DIRTY, ep.immpOff, ep.immpLen);
      immp.rate = share;
    } else {
      guest.rate = share;
      immp.rate = 0; // no IMMP column: the second clock stands still
    }
    const result = runPrecopy(e, 'vcpu-limit', p, {
      afterRound(_, round) {
        sendDirtied(e);
        const stop = stopRule(e, round, p.maxIters as number, p.stopBytes as number);
        return stop ? { stop } : {};
      },
    });
    const liveS = result.totalTimeS - (result.downtimeMs ?? 0) / 1e3;
    return { ...result, workloadSlowdown: 1 / share, workloadDelayS: liveS * (1 - share), immpColumn: e.trace.summary.hasImmp };
  },
};
