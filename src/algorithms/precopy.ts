// precopy — textbook pre-copy, as Charchekhandra, PMTCS 2023 (§6, "Repeated copy
// stage"; cited in full in `source`) states Xen's defaults: stop after 29 iterations
// or when the pages changed in the previous round come to less than 256 KB; then
// stop-and-copy sends them.
import { runPrecopy, sendDirtied, stopRule } from '../engine/precopy.js';
import type { Algorithm } from './types.js';

export const precopy: Algorithm = {
  id: 'precopy',
  family: 'precopy',
  source: 'Barbara Charchekhandra, "The XENVMC communication protocol to improve the efficiency of live migration for co-resident virtual machines", Pure Mathematics for Theoretical Computer Science (PMTCS), 2023, pp. 32–46, doi:10.54216/PMTCS.010103, §6 (pre-copy with Xen\'s default stop rule)',
  summary: 'textbook pre-copy: ≤ max-iters live rounds, stop once a round dirtied < stop-bytes',
  params: [
    { name: 'max-iters', kind: 'int', default: 29, min: 1, unit: 'rounds', doc: 'live rounds at most, the full copy included' },
    { name: 'stop-bytes', kind: 'size', default: 256 * 1024, doc: 'stop when a round dirtied fewer bytes than this' },
  ],
  // The shared loop reads DIRTY only after endRound (settled): the engine may defer landings.
  needs: { settles: true },
  run(e, p) {
    const maxIters = p.maxIters as number;
    const stopBytes = p.stopBytes as number;
    return runPrecopy(e, 'precopy', p, {
      afterRound(_, round) {
        sendDirtied(e);
        const stop = stopRule(e, round, maxIters, stopBytes);
        return stop ? { stop } : {};
      },
    });
  },
};
