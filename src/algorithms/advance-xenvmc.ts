// advance-xenvmc — Charchekhandra, PMTCS 2023 ("Advance-XENVMC", §10; cited in full in
// `source`): co-resident VMs talk through XENVMC shared memory, and the
// "keep-con-with-migration" extension keeps that channel during the migration, so
// pages written by inter-VM communication live in shared memory that is not migrated:
// writes listed in comm_pages do not dirty the guest. Everything else is the paper's §6
// pre-copy (its baseline: `precopy` on the same trace, where those writes do dirty).
// --comm-speedup s models XENVMC's faster exchange (up to ~8× netfront's throughput,
// §9): trace time runs s× faster through epochs with communication, so the
// communicating workload gets through its exchange sooner.
import { DIRTY } from '../engine/engine.js';
import { runPrecopy, sendDirtied, stopRule } from '../engine/precopy.js';
import type { Algorithm } from './types.js';

export const advanceXenvmc: Algorithm = {
  id: 'advance-xenvmc',
  family: 'precopy',
  altersWorkload: true,
  source: 'Barbara Charchekhandra, "The XENVMC communication protocol to improve the efficiency of live migration for co-resident virtual machines", Pure Mathematics for Theoretical Computer Science (PMTCS), 2023, pp. 32–46, doi:10.54216/PMTCS.010103, §9–§10 (Advance-XENVMC)',
  summary: 'pre-copy where inter-VM communication writes (comm_pages) stay in unmigrated shared memory',
  params: [
    { name: 'max-iters', kind: 'int', default: 29, min: 1, unit: 'rounds', doc: 'live rounds at most, the full copy included' },
    { name: 'stop-bytes', kind: 'size', default: 256 * 1024, doc: 'stop when a round dirtied fewer bytes than this' },
    { name: 'comm-speedup', kind: 'number', default: 1, min: 1, unit: 'factor', doc: 'how much faster trace time runs through epochs with communication (1: as recorded)' },
  ],
  run(e, p) {
    const k = e.kernel;
    const speedup = p.commSpeedup as number;
    const clock = e.clock;
    clock.onEpoch = (ep) => k.setBitsExcept(DIRTY, ep.pagesOff, ep.pagesLen, ep.commOff, ep.commLen);
    if (speedup !== 1) clock.onEpochStart = (ep) => (clock.rate = ep.commLen > 0 ? speedup : 1);
    return runPrecopy(e, 'advance-xenvmc', p, {
      afterRound(_, round) {
        sendDirtied(e);
        const stop = stopRule(e, round, p.maxIters as number, p.stopBytes as number);
        return stop ? { stop } : {};
      },
    });
  },
};
