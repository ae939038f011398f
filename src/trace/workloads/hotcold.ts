// hotcold: a hot set taking a given share of the writes, the rest over the cold pages.
import { fail } from '../../errors.js';
import { eachEpoch, pagesOf, v, type Region } from '../epochs.js';
import { Rng } from '../random.js';
import { arrivals, ARRIVALS, RATE } from './shared.js';
import type { Workload } from './types.js';

export const hotcold: Workload = {
  id: 'hotcold',
  summary: 'a hot set that takes a given share of the writes, the rest spread over the cold pages',
  follows: 'synthetic: the two-class writable working set (Clark et al., NSDI 2005) most pre-copy studies assume',
  params: [
    { name: 'hot-size', kind: 'size-or-fraction', default: '10%', doc: 'hot set, e.g. 0.1, 10% or 64MiB' },
    { name: 'hot-share', kind: 'fraction', default: 0.9, doc: 'share of the writes that land in the hot set (0…1 or %)' },
    RATE('page writes per second (hot and cold together)'),
    ARRIVALS,
  ],
  check(o) {
    const hot = pagesOf(o, v(o, 'hot-size'));
    if (hot < 1) fail('usage', '--hot-size: the hot set must hold at least one page');
    if (hot > o.memPages) fail('usage', `--hot-size: ${hot} pages is more than --mem (${o.memPages} pages)`);
    if (hot === o.memPages && v<number>(o, 'hot-share') < 1) fail('usage', '--hot-size: the hot set is all of memory, so --hot-share must be 1 (no cold pages left)');
  },
  describe: (o) => `hotcold: ${v(o, 'rate')} page writes/s, ${v<number>(o, 'hot-share') * 100} % of them to a hot set of ${pagesOf(o, v(o, 'hot-size'))} of ${o.memPages} pages`,
  generate(o, emit) {
    const rng = new Rng(o.seed, 'hotcold');
    const count = arrivals(o, rng.fork('count'), v<number>(o, 'rate'));
    const hotPages = pagesOf(o, v(o, 'hot-size'));
    const share = v<number>(o, 'hot-share');
    const hot: Region = { name: 'hot', base: 0, size: hotPages };
    const cold: Region = { name: 'cold', base: hotPages, size: o.memPages - hotPages };
    eachEpoch(o, emit, (out, _t0, _t1, dt) => {
      const n = count(dt);
      for (let i = 0; i < n; i++) {
        const r = rng.next() < share ? hot : cold;
        out.write(r.base + rng.int(r.size));
      }
    });
  },
};
