// hotpages (seeds 000 and 003): frequently updated ("hot") pages, a warm set, rare cold writes.
import { fail } from '../../errors.js';
import { eachEpoch, pagesOf, v, type Region } from '../epochs.js';
import { Rng } from '../random.js';
import { arrivals, ARRIVALS } from './shared.js';
import type { Workload } from './types.js';

export const hotpages: Workload = {
  id: 'hotpages',
  summary: 'frequently updated pages rewritten many times a second, a warm set, and rare cold writes (Ma, Liu & Liu, ICSESS 2010; the page-frequency threshold paper)',
  follows: 'Ma, Liu & Liu, "Live virtual machine migration based on improved pre-copy approach", IEEE ICSESS 2010, doi:10.1109/ICSESS.2010.5552416 ("frequently updated" bitmap), and the page-frequency threshold paper (pages at or above a dirty-frequency threshold postponed to the last iteration, Xen on CentOS 7); both cited in full in docs/reproductions.md#the-papers',
  params: [
    { name: 'hot-size', kind: 'size-or-fraction', default: '1.5%', doc: 'frequently updated (hot) pages' },
    { name: 'hot-freq', kind: 'count-rate', default: 40, min: 0, doc: 'writes per second to each hot page (each epoch a hot page is dirty with probability 1 − e^(−f·interval))' },
    { name: 'warm-size', kind: 'size-or-fraction', default: '8%', doc: 'occasionally updated (warm) pages' },
    { name: 'warm-freq', kind: 'count-rate', default: 0.5, min: 0, doc: 'writes per second to each warm page' },
    { name: 'cold-rate', kind: 'count-rate', default: 200, min: 0, doc: 'page writes per second spread uniformly over the remaining (cold) pages' },
    ARRIVALS,
  ],
  check(o) {
    const hot = pagesOf(o, v(o, 'hot-size'));
    const warm = pagesOf(o, v(o, 'warm-size'));
    if (hot + warm > o.memPages) fail('usage', `--hot-size + --warm-size: ${hot + warm} pages is more than --mem (${o.memPages} pages)`);
    if (hot + warm === o.memPages && v<number>(o, 'cold-rate') > 0) fail('usage', '--cold-rate: hot and warm sets fill memory, no cold pages are left (set --cold-rate 0)');
  },
  describe(o) {
    const hot = pagesOf(o, v(o, 'hot-size'));
    const warm = pagesOf(o, v(o, 'warm-size'));
    return `hotpages: ${hot} hot pages written ${v(o, 'hot-freq')}×/s each, ${warm} warm pages ${v(o, 'warm-freq')}×/s each, ${v(o, 'cold-rate')} writes/s over the other ${o.memPages - hot - warm} pages (the page-frequency threshold paper; Ma, Liu & Liu, ICSESS 2010)`;
  },
  generate(o, emit) {
    const rng = new Rng(o.seed, 'hotpages');
    const hotPages = pagesOf(o, v(o, 'hot-size'));
    const warmPages = pagesOf(o, v(o, 'warm-size'));
    const hot: Region = { name: 'hot', base: 0, size: hotPages };
    const warm: Region = { name: 'warm', base: hotPages, size: warmPages };
    const cold: Region = { name: 'cold', base: hotPages + warmPages, size: o.memPages - hotPages - warmPages };
    const fHot = v<number>(o, 'hot-freq');
    const fWarm = v<number>(o, 'warm-freq');
    const count = arrivals(o, rng.fork('count'), v<number>(o, 'cold-rate'));
    const rHot = rng.fork('hot');
    const rWarm = rng.fork('warm');
    eachEpoch(o, emit, (out, _t0, _t1, dt) => {
      out.bernoulli(hot, -Math.expm1(-fHot * dt), rHot);
      out.bernoulli(warm, -Math.expm1(-fWarm * dt), rWarm);
      out.random(cold, count(dt), rng);
    });
  },
};
