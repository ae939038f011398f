// Parameters and helpers several workloads share: write arrivals, a rate, background
// dirtying, packet headers.
import type { ParamSpec } from '../../params/index.js';
import type { Rng } from '../random.js';
import type { GenOptions } from './types.js';

/** Write counts per epoch: Poisson arrivals, or the exact mean with the fraction carried over. */
export function arrivals(o: GenOptions, rng: Rng, rate: number): (dtS: number) => number {
  if (o.values.arrivals === 'fixed') {
    let carry = 0;
    return (dtS) => {
      const c = carry + rate * dtS;
      const k = Math.floor(c + 1e-9);
      carry = c - k;
      return k;
    };
  }
  return (dtS) => rng.poisson(rate * dtS);
}

export const ARRIVALS: ParamSpec = {
  name: 'arrivals', kind: 'choice', default: 'poisson', choices: ['poisson', 'fixed'],
  doc: 'writes per epoch: Poisson-distributed around rate × interval, or exactly that mean (fraction carried over)',
};

/** A workload's write rate. */
export const RATE = (doc: string, dflt: string | number = 10000): ParamSpec => ({ name: 'rate', kind: 'count-rate', default: dflt, min: 0, doc });

/** A background working set and its write rate. */
export const BG_PARAMS = (size: string, rate: number, what: string): ParamSpec[] => [
  { name: 'bg-size', kind: 'size-or-fraction', default: size, doc: `background working set: ${what}` },
  { name: 'bg-rate', kind: 'count-rate', default: rate, min: 0, doc: 'background page writes per second, uniform over the background working set (Poisson per epoch)' },
];

/** TCP/IP headers per packet (IPv4 20 + TCP 20 + timestamps 12). */
export const TCPIP_HEADER_BYTES = 52;
