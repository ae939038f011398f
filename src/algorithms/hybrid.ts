// hybrid — pre-copy then post-copy (QEMU's "postcopy after precopy": migrate-start-postcopy
// issued after some pre-copy passes): --precopy-rounds k pre-copy rounds (round 0
// the full copy, then each round sends what the previous one dirtied), then the guest
// pauses, its state moves, and the pages dirtied in the last pre-copy round — stale at
// the destination — are pushed or fetched on demand as in postcopy.
import { DIRTY } from '../engine/engine.js';
import { postcopyPhase } from '../engine/postcopy.js';
import { runPrecopy, sendDirtied } from '../engine/precopy.js';
import { ARRIVED, POSTCOPY_PARAMS } from './postcopy.js';
import type { Algorithm } from './types.js';

export const hybrid: Algorithm = {
  id: 'hybrid',
  family: 'postcopy',
  source: 'pre-copy + post-copy (QEMU migrate-start-postcopy after pre-copy passes)',
  summary: 'precopy-rounds pre-copy rounds, then post-copy for the pages still dirty',
  params: [
    { name: 'precopy-rounds', kind: 'int', default: 2, min: 1, doc: 'pre-copy rounds before switching to post-copy, the full copy included' },
    ...POSTCOPY_PARAMS,
  ],
  needs: { extraBitmaps: 1 },
  run(e, p) {
    const k = e.kernel;
    return runPrecopy(e, 'hybrid', p, {
      afterRound(_, round) {
        if (round.index + 1 >= (p.precopyRounds as number)) return { stop: 'precopy-rounds-done' };
        sendDirtied(e);
        return {};
      },
      switchover(eng, reason) {
        k.fill(ARRIVED);
        k.andNot(ARRIVED, ARRIVED, DIRTY); // what the last round dirtied is stale at the destination
        return postcopyPhase(eng, 'hybrid', p, ARRIVED, p.stateSize as number, (p.rtt as number) * 1e6, reason);
      },
    });
  },
};
