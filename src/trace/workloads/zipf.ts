// zipf: page writes with Zipf-distributed page popularity.
import { eachEpoch, v } from '../epochs.js';
import { Rng, Zipf } from '../random.js';
import { arrivals, ARRIVALS, RATE } from './shared.js';
import type { Workload } from './types.js';

export const zipf: Workload = {
  id: 'zipf',
  summary: 'page writes with Zipf-distributed page popularity (rank k written ∝ k^-s); ranks shuffled over memory',
  follows: 'synthetic: the skewed page popularity measured in real guests (a few pages take most writes, a long tail)',
  params: [
    { name: 'zipf-s', kind: 'number', default: 1, min: 0, minExclusive: true, unit: 'exponent', doc: 'Zipf exponent s > 0: larger is more skewed' },
    RATE('page writes per second'),
    ARRIVALS,
  ],
  describe: (o) => `zipf: ${v(o, 'rate')} page writes/s over ${o.memPages} pages, popularity ∝ rank^-${v(o, 'zipf-s')}`,
  generate(o, emit) {
    const rng = new Rng(o.seed, 'zipf');
    const count = arrivals(o, rng.fork('count'), v<number>(o, 'rate'));
    const z = new Zipf(o.memPages, v<number>(o, 'zipf-s'));
    eachEpoch(o, emit, (out, _t0, _t1, dt) => {
      const n = count(dt);
      for (let i = 0; i < n; i++) out.write(z.sample(rng) - 1);
    });
  },
};
