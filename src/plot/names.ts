// What a swept parameter is called on a chart and how its values read: the name the
// command line takes (`bandwidth`, `max-iters`, `downtime-limit`), not the column it is
// stored in (`bandwidthBytesPerS`, `maxIters`, `downtimeLimit`), and its values with
// units (100 Mbit/s, 256 KiB, 300 ms).
import { algorithms } from '../algorithms/index.js';
import { paramKey, type ParamKind } from '../params/index.js';
import { groupDigits, rateText, sigText } from './format.js';

/** How a column's values are stored: bytes/s, s, ms, bytes, %, or plain numbers. */
type Stored = 'rate' | 'seconds' | 'ms' | 'bytes' | 'percent' | 'plain';

interface Described { name: string; stored: Stored }

// The link's columns, then every algorithm parameter by JSON key (first spec wins: a
// name means the same thing in every algorithm that has it).
const KNOWN = new Map<string, Described>([
  ['bandwidthBytesPerS', { name: 'bandwidth', stored: 'rate' }],
  ['startS', { name: 'start', stored: 'seconds' }],
  ['resumeMs', { name: 'resume', stored: 'ms' }],
  ['withinEpoch', { name: 'within-epoch', stored: 'plain' }],
]);
const STORED: Partial<Record<ParamKind, Stored>> = { size: 'bytes', rate: 'rate', duration: 'seconds', ms: 'ms', percent: 'percent' };
for (const a of algorithms) for (const p of a.params) if (!KNOWN.has(paramKey(p.name))) KNOWN.set(paramKey(p.name), { name: p.name, stored: STORED[p.kind] ?? 'plain' });

function describe(key: string): Described {
  const known = KNOWN.get(key);
  if (known) return known;
  // A column of unknown origin: its unit from its suffix, its name as written.
  if (/BytesPerS$/.test(key)) return { name: key, stored: 'rate' };
  if (/Bytes$/.test(key)) return { name: key, stored: 'bytes' };
  if (/Ms$/.test(key)) return { name: key, stored: 'ms' };
  if (/S$/.test(key)) return { name: key, stored: 'seconds' };
  if (/Percent$/.test(key)) return { name: key, stored: 'percent' };
  return { name: key, stored: 'plain' };
}

/** The name people know a parameter column by: `bandwidthBytesPerS` → `bandwidth`, `maxIters` → `max-iters`. */
export function parameterName(key: string): string {
  return describe(key).name;
}

const SIZES = [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const;

/** The unit an axis of these stored values is drawn in, and the factor from the stored unit to it. */
export function parameterUnit(key: string, values: readonly number[]): { unit: string | null; factor: number } {
  const positive = values.filter((v) => v > 0);
  const least = positive.length ? Math.min(...positive) : 0;
  switch (describe(key).stored) {
    case 'rate': return least * 8 >= 1e9 ? { unit: 'Gbit/s', factor: 8 / 1e9 } : least * 8 >= 1e6 || least === 0 ? { unit: 'Mbit/s', factor: 8 / 1e6 } : { unit: 'kbit/s', factor: 8 / 1e3 };
    case 'seconds': return Math.max(0, ...values) < 1 && least > 0 ? { unit: 'ms', factor: 1000 } : { unit: 's', factor: 1 };
    case 'ms': return { unit: 'ms', factor: 1 };
    case 'bytes': {
      const u = SIZES.find(([, f]) => least >= f);
      return u ? { unit: u[0], factor: 1 / u[1] } : { unit: 'bytes', factor: 1 };
    }
    case 'percent': return { unit: '%', factor: 1 };
    default: return { unit: null, factor: 1 };
  }
}

/** A parameter value as people read it, with its unit: 100 Mbit/s, 300 ms, 256 KiB, 50 %, 29. */
export function parameterText(key: string, v: number): string {
  switch (describe(key).stored) {
    case 'rate': return v === 0 ? '0' : rateText(v);
    case 'seconds': return v !== 0 && Math.abs(v) < 1 ? `${sigText(v * 1000)} ms` : `${sigText(v)} s`;
    case 'ms': return `${sigText(v)} ms`;
    case 'bytes': {
      const u = SIZES.find(([, f]) => Math.abs(v) >= f);
      return u ? `${sigText(v / u[1])} ${u[0]}` : `${sigText(v)} B`;
    }
    case 'percent': return `${sigText(v)} %`;
    default: return Number.isInteger(v) && Math.abs(v) >= 10000 ? groupDigits(v) : sigText(v);
  }
}

/** A value of any parameter column (number or choice) as text. */
export function valueText(key: string, v: unknown): string {
  if (v === null || v === undefined) return '–';
  return typeof v === 'number' ? parameterText(key, v) : String(v);
}
