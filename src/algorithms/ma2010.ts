// ma2010 — Ma, Liu & Liu, ICSESS 2010 (cited in full in `source`): a bitmap marks
// "frequently updated" pages; marked pages are sent only in the last round; at most 5
// iterations. The abstract does not fix the marking rule: by default a page is marked
// when it was dirtied in the previous and the current iteration (--mark-after 2
// consecutive iterations); the stop rule besides the cap is precopy's (Charchekhandra,
// PMTCS 2023, §6: what the next round would send is under --stop-bytes).
// docs/algorithms.md discusses both choices.
import { DIRTY, TMP } from '../engine/engine.js';
import { deferHot, runPrecopy, stopRule } from '../engine/precopy.js';
import type { Algorithm } from './types.js';

const MAX_MARK_AFTER = 5;

export const ma2010: Algorithm = {
  id: 'ma2010',
  family: 'precopy',
  source: 'Fei Ma, Feng Liu, Zhen Liu, "Live virtual machine migration based on improved pre-copy approach", IEEE ICSESS 2010, pp. 230–233, doi:10.1109/ICSESS.2010.5552416',
  summary: 'pages dirty in consecutive iterations are marked and sent only in the last round; ≤ 5 iterations',
  params: [
    { name: 'max-iters', kind: 'int', default: 5, min: 1, unit: 'rounds', doc: 'live rounds at most, the full copy included' },
    { name: 'stop-bytes', kind: 'size', default: 256 * 1024, doc: 'stop when the next round would send fewer bytes than this' },
    { name: 'mark-after', kind: 'int', default: 2, min: 2, max: MAX_MARK_AFTER, unit: 'rounds', doc: 'mark a page dirtied in this many consecutive iterations (2: previous and current)' },
  ],
  needs: { extraBitmaps: 1 + MAX_MARK_AFTER - 1 },
  run(e, p) {
    const maxIters = p.maxIters as number;
    const stopBytes = p.stopBytes as number;
    const markAfter = p.markAfter as number;
    const k = e.kernel;
    const ring = markAfter - 1;
    // FREQ: the "frequently updated" bitmap; history: dirty sets of the last mark-after − 1 rounds, a ring.
    const [FREQ, ...history] = e.bitmaps(1 + MAX_MARK_AFTER - 1);
    return runPrecopy(e, 'ma2010', p, {
      afterRound(_, round) {
        // TMP = pages dirty in each of the last markAfter rounds (this one included).
        const i = round.index;
        if (i + 1 >= markAfter) {
          k.copy(TMP, DIRTY);
          for (let j = 1; j < markAfter; j++) k.and(TMP, TMP, history[(i - j) % ring]!);
          k.or(FREQ!, FREQ!, TMP);
        }
        k.copy(history[i % ring]!, DIRTY);
        const deferred = deferHot(e, FREQ!);
        const stop = stopRule(e, round, maxIters, stopBytes);
        return stop ? { stop } : { deferred };
      },
    });
  },
};
