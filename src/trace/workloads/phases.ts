// phases: a working set that moves to other pages at every phase.
import { fail } from '../../errors.js';
import { eachEpoch, pagesOf, v } from '../epochs.js';
import { Rng } from '../random.js';
import { arrivals, ARRIVALS, RATE } from './shared.js';
import type { GenOptions, Workload } from './types.js';

export const phases: Workload = {
  id: 'phases',
  summary: 'a working set that moves to other pages at every phase (program phases)',
  follows: 'synthetic: program phases — the working set shifts, so pages hot in one round go cold in the next',
  params: [
    { name: 'phases', kind: 'int', default: 4, min: 1, unit: 'phases', doc: 'number of phases over the trace (or give --phase-length)' },
    { name: 'phase-length', kind: 'duration', default: undefined, min: 0, minExclusive: true, doc: 'length of a phase [default: duration / phases]' },
    { name: 'ws-size', kind: 'size-or-fraction', default: '10%', doc: 'working set of a phase' },
    { name: 'overlap', kind: 'fraction', default: 0, max: 0.999, doc: 'share of a working set that the next phase keeps (0: disjoint, wrapping round memory)' },
    RATE('page writes per second, uniform within the current working set'),
    ARRIVALS,
  ],
  check(o) {
    if (o.explicit.has('phases') && o.explicit.has('phase-length')) fail('usage', '--phases and --phase-length: give one or the other');
    const ws = pagesOf(o, v(o, 'ws-size'));
    if (ws < 1) fail('usage', '--ws-size: the working set must hold at least one page');
    if (ws > o.memPages) fail('usage', `--ws-size: ${ws} pages is more than --mem (${o.memPages} pages)`);
  },
  describe(o) {
    const len = phaseLengthUs(o);
    return `phases: ${v(o, 'rate')} page writes/s within a working set of ${pagesOf(o, v(o, 'ws-size'))} pages that moves every ${len / 1e6} s (overlap ${v(o, 'overlap')})`;
  },
  generate(o, emit) {
    const rng = new Rng(o.seed, 'phases');
    const count = arrivals(o, rng.fork('count'), v<number>(o, 'rate'));
    const ws = pagesOf(o, v(o, 'ws-size'));
    const step = Math.max(1, Math.round(ws * (1 - v<number>(o, 'overlap'))));
    const lenUs = phaseLengthUs(o);
    eachEpoch(o, emit, (out, t0, _t1, dt) => {
      const phase = Math.floor(t0 / lenUs);
      const base = (phase * step) % o.memPages;
      const n = count(dt);
      for (let i = 0; i < n; i++) out.write((base + rng.int(ws)) % o.memPages);
    });
  },
};

function phaseLengthUs(o: GenOptions): number {
  const given = v<number | undefined>(o, 'phase-length');
  return given !== undefined ? Math.max(1, Math.round(given * 1e6)) : Math.max(1, o.durationUs / v<number>(o, 'phases'));
}
