// The link's (and the clock's) parameters every replaying command takes: --bandwidth,
// --start, --resume-ms, --within-epoch. Their defaults are the engine's DEFAULT_LINK.
import { WITHIN_EPOCH_RULES } from '../engine/clock.js';
import { DEFAULT_LINK, type LinkParams } from '../engine/types.js';
import { parseParam, specKey, type ParamSpec } from './index.js';

/** Every link parameter replay, sweep and the explorer take. bandwidth > 0 is checked with the link (run/replay.ts checkLink). */
export const LINK_PARAMS: readonly ParamSpec<number | string>[] = [
  {
    name: 'bandwidth', key: 'bandwidthBytesPerS', kind: 'rate', default: DEFAULT_LINK.bandwidthBytesPerS,
    doc: 'link bandwidth (100Mbit, 1Gbit, 10GB/s, or bytes/s)',
  },
  { name: 'start', key: 'startS', kind: 'duration', default: DEFAULT_LINK.startS, doc: 'trace time at which the migration starts' },
  { name: 'resume-ms', key: 'resumeMs', kind: 'ms', default: DEFAULT_LINK.resumeMs, doc: 'time to resume the guest at the destination, added to downtime (ms)' },
  {
    name: 'within-epoch', key: 'withinEpoch', kind: 'choice', default: DEFAULT_LINK.withinEpoch, choices: WITHIN_EPOCH_RULES,
    doc: 'where in its epoch a write lands: spread over it by a fixed hash, all at its start, or seen by every round it overlaps (docs/model.md)',
  },
];

/** The link parameter with this CLI name. */
export function linkParam(name: string): ParamSpec<number | string> {
  return LINK_PARAMS.find((p) => p.name === name)!;
}

/** The default value of every link parameter, by key. */
export function defaultLink(): Record<string, number | string> {
  return Object.fromEntries(LINK_PARAMS.map((p) => [specKey(p), p.default]));
}

/** The link from option values keyed by CLI name (undefined: the default), each read by parseParam. */
export function parseLink(given: Record<string, string | number | undefined>): LinkParams {
  const value = (name: string) => {
    const spec = linkParam(name);
    const raw = given[name];
    return raw === undefined ? spec.default : parseParam(spec, raw);
  };
  return {
    bandwidthBytesPerS: value('bandwidth') as number,
    startS: value('start') as number,
    resumeMs: value('resume-ms') as number,
    withinEpoch: value('within-epoch') as LinkParams['withinEpoch'],
  };
}
