// A fleet's own parameters (docs/fleet.md): when guests start, how many at once, what the
// ordered policies order by, and each migration's cap and earliest start. The shared
// link's bandwidth and each guest's start, resume time and within-epoch rule are the
// link's parameters (./link.ts). The fleet command, plan files and `sweep --plan` read these.
import { linkParam } from './link.js';
import { parseParam, type ParamSpec } from './index.js';
import { fail, MigreplayError } from '../errors.js';

/** When guests start: in the given order one at a time, all at once, or ordered by size. */
export type FleetPolicy = 'sequential' | 'parallel' | 'shortest-first' | 'largest-first';
export const FLEET_POLICIES: readonly FleetPolicy[] = ['sequential', 'parallel', 'shortest-first', 'largest-first'];
/** What shortest-first and largest-first order by. */
export type FleetOrderBy = 'memory' | 'dirty-rate';
export const FLEET_ORDER_BY: readonly FleetOrderBy[] = ['memory', 'dirty-rate'];

/** The fleet's knobs: a plan's top level, the command's options, `sweep --plan`'s axes. */
export const FLEET_PARAMS = {
  bandwidth: { ...linkParam('bandwidth'), doc: "the shared link's bandwidth (100Mbit, 1Gbit, 10GB/s)" },
  policy: {
    name: 'policy', kind: 'choice', default: 'sequential', choices: FLEET_POLICIES,
    doc: 'when guests start: sequential (in the given order), parallel (all at once), shortest-first or largest-first (by --by)',
  },
  'max-concurrent': { name: 'max-concurrent', kind: 'int', default: undefined, min: 1, unit: 'migrations', doc: 'at most this many migrations at once (default: 1; parallel: all)' },
  by: { name: 'by', kind: 'choice', default: 'memory', choices: FLEET_ORDER_BY, doc: "what shortest-first and largest-first order by: guest memory, or the trace's page writes per second" },
} satisfies Record<string, ParamSpec>;

/** Each guest's own knobs beside its algorithm's parameters (a plan's guest, or the command's options for every guest). */
export const GUEST_PARAMS = {
  'max-bandwidth': { name: 'max-bandwidth', key: 'maxBandwidthBytesPerS', kind: 'rate', default: undefined, min: 0, minExclusive: true, doc: "this migration's own cap on the link (QEMU's max-bandwidth; default: none, up to the link)" },
  start: { ...linkParam('start'), doc: "trace time at which the guest's migration starts" },
  'resume-ms': { ...linkParam('resume-ms'), doc: 'time to resume the guest at the destination, added to its downtime (ms)' },
  'within-epoch': linkParam('within-epoch'),
  'not-before': { name: 'not-before', key: 'notBeforeS', kind: 'duration', default: 0, min: 0, doc: 'the earliest fleet time the guest may begin' },
} satisfies Record<string, ParamSpec>;

/** parseParam, its message naming `where` (a plan file's key) instead of the option. */
export function parseFleetValue(spec: ParamSpec, raw: string | number | boolean, where?: string): number | string {
  try {
    return parseParam(spec, raw) as number | string;
  } catch (e) {
    if (where === undefined || !(e instanceof MigreplayError)) throw e;
    return fail(e.code, e.message.replace(`--${spec.name}: `, `${where}: `));
  }
}
