// uniform: page writes spread uniformly over all of memory (the memoryless baseline).
import { eachEpoch, v, type Region } from '../epochs.js';
import { Rng } from '../random.js';
import { arrivals, ARRIVALS, RATE } from './shared.js';
import type { Workload } from './types.js';

export const uniform: Workload = {
  id: 'uniform',
  summary: 'page writes spread uniformly over all of memory at a fixed rate',
  follows: 'synthetic: the memoryless baseline (every page equally likely)',
  params: [RATE('page writes per second over all of memory'), ARRIVALS],
  describe: (o) => `uniform: ${v(o, 'rate')} page writes/s over all ${o.memPages} pages`,
  generate(o, emit) {
    const rng = new Rng(o.seed, 'uniform');
    const count = arrivals(o, rng.fork('count'), v<number>(o, 'rate'));
    const all: Region = { name: 'memory', base: 0, size: o.memPages };
    eachEpoch(o, emit, (out, _t0, _t1, dt) => out.random(all, count(dt), rng));
  },
};
