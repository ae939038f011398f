// xen-v2 — Xen migration v2, tools/libs/guest/xg_sr_save.c, simple_precopy_policy:
//   #define SPP_MAX_ITERATIONS      5
//   #define SPP_TARGET_DIRTY_COUNT 50
//   return ((stats.dirty_count >= 0 && stats.dirty_count < SPP_TARGET_DIRTY_COUNT) ||
//           stats.iteration >= SPP_MAX_ITERATIONS) ? STOP_AND_COPY : CONTINUE_PRECOPY;
// send_memory_live() sends the full copy as iteration 0, then at the top of each loop
// asks the policy and *still sends the dirty pages live* before breaking on STOP;
// after the 5th pass it breaks without a CLEAN. suspend_and_send_dirty() then sends
// the dirty log (what the last live pass let the guest dirty). No skipping.
import { runPrecopy, sendDirtied } from '../engine/precopy.js';
import type { Algorithm } from './types.js';

export const xenV2: Algorithm = {
  id: 'xen-v2',
  family: 'precopy',
  source: 'Xen tools/libs/guest/xg_sr_save.c (migration v2, simple_precopy_policy)',
  summary: 'Xen migration v2: ≤ 5 live rounds (full copy included); once < 50 pages are dirty, send them live and stop',
  params: [
    { name: 'max-iters', kind: 'int', default: 5, min: 1, unit: 'rounds', doc: 'live rounds at most, the full copy included (SPP_MAX_ITERATIONS)' },
    { name: 'target-dirty', kind: 'int', default: 50, min: 0, unit: 'pages', doc: 'stop once fewer pages than this are dirty (SPP_TARGET_DIRTY_COUNT)' },
  ],
  run(e, p) {
    const maxIters = p.maxIters as number;
    const targetDirty = p.targetDirty as number;
    let stopAfterThisRound = false;
    return runPrecopy(e, 'xen-v2', p, {
      afterRound(eng, round) {
        if (stopAfterThisRound) return { stop: 'dirty-below-target' };
        if (round.index + 1 >= maxIters) return { stop: 'max-iterations' };
        if (round.pagesDirtied < targetDirty) {
          // An empty dirty log has nothing to send live: suspend at once.
          if (round.pagesDirtied === 0) return { stop: 'dirty-below-target' };
          // The policy says stop, but the loop sends this small dirty set live first.
          stopAfterThisRound = true;
        }
        sendDirtied(eng);
        return {};
      },
    });
  },
};
