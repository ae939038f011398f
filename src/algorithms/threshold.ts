// threshold — the page-frequency threshold paper (described in full in `source`): dirty
// pages are sorted into two groups by how often they change; pages that change
// slightly are sent in the current iteration, highly variable ones (count at or above
// the threshold) are postponed to the last iteration. The counts are the kernel's
// saturating per-page counters, fed once per round with the round's dirty set (what a
// hypervisor sees at each bitmap sync) or, with --count-by epoch, once per trace
// epoch. The stop rule is precopy's (Charchekhandra, PMTCS 2023, §6), over what the
// next round would send.
import { DIRTY } from '../engine/engine.js';
import { deferHot, runPrecopy, stopRule } from '../engine/precopy.js';
import { COUNTER_MAX } from '../kernel/types.js';
import type { Algorithm } from './types.js';


export const threshold: Algorithm = {
  id: 'threshold',
  family: 'precopy',
  source: 'the page-frequency threshold paper — an improved pre-copy that sorts dirty pages by how often they change, sends the rarely changing ones in the current iteration and postpones those at or above a threshold to the last one (Xen on CentOS 7)',
  summary: 'pages dirtied at least hot-threshold times are postponed to the final round, the rest sent now',
  params: [
    { name: 'hot-threshold', kind: 'int', default: 3, min: 1, max: COUNTER_MAX, unit: 'count', doc: 'postpone a page once its dirty count reaches this' },
    { name: 'count-by', kind: 'choice', default: 'round', choices: ['round', 'epoch'], doc: 'count a page once per round it was dirtied in, or once per trace epoch' },
    { name: 'max-iters', kind: 'int', default: 29, min: 1, unit: 'rounds', doc: 'live rounds at most, the full copy included' },
    { name: 'stop-bytes', kind: 'size', default: 256 * 1024, doc: 'stop when the next round would send fewer bytes than this' },
  ],
  needs: { extraBitmaps: 1 },
  run(e, p) {
    const hotThreshold = p.hotThreshold as number;
    const perEpoch = p.countBy === 'epoch';
    const k = e.kernel;
    const [HOT] = e.bitmaps(1);
    if (perEpoch) {
      e.clock.onEpoch = (ep) => {
        k.setBits(DIRTY, ep.pagesOff, ep.pagesLen);
        if (!ep.repeat) k.countPages(ep.pagesOff, ep.pagesLen); // an epoch counts once, even when seen again
      };
    }
    return runPrecopy(e, 'threshold', p, {
      afterRound(_, round) {
        if (!perEpoch) k.countBitmap(DIRTY);
        k.selectAtLeast(hotThreshold, HOT!);
        const deferred = deferHot(e, HOT!);
        const stop = stopRule(e, round, p.maxIters as number, p.stopBytes as number);
        return stop ? { stop } : { deferred };
      },
    });
  },
};
