// One way to declare, read, key and show a parameter. Every algorithm's parameters
// (src/algorithms/*.ts), every workload's (src/trace/workloads/*.ts) and the link's
// (./link.ts) are ParamSpecs read by parseParam; the CLI, sweep grids, the explorer's
// controls and the docs' parameter tables (test/params-docs.test.ts) all read them.
// No Node imports.
import { fail } from '../errors.js';
import { parseDecimal, parseDuration, parseRate, parseSize } from '../units.js';

/** How a parameter's value is read from text (units allowed where it makes sense). */
export type ParamKind =
  | 'int' // a whole number
  | 'number' // a plain decimal number
  | 'percent' // 20 or 20%
  | 'fraction' // 0…1, or 0…100%
  | 'size' // bytes: 4KiB, 1MB, 64MiB, or a byte count
  | 'size-or-fraction' // a share of --mem (0.1 or 10%) or a size (64MiB)
  | 'rate' // bytes per second: 100Mbit, 1Gbit, 10MB/s, or a bytes/s count
  | 'count-rate' // events per second: 20000, 2e4, 20k, 1.5M, optionally with /s
  | 'duration' // seconds from 50ms, 2s, 1m (a bare number only with bareUnit)
  | 'ms' // milliseconds as a plain number
  | 'boolean' // true/false, yes/no, 1/0, on/off
  | 'choice' // one of `choices`
  | 'resolution'; // WxH, or 480p/720p/1080p/2160p

/** Every kind, for checks of a spec given from code. */
export const PARAM_KINDS: readonly ParamKind[] = [
  'int', 'number', 'percent', 'fraction', 'size', 'size-or-fraction', 'rate', 'count-rate', 'duration', 'ms', 'boolean', 'choice', 'resolution',
];

/** What a default may be: a value in base units (bytes, s, bytes/s), or text as a person types it ('10%', '1GiB'). */
export type ParamDefault = number | string | boolean;

/** One named, defaulted, documented parameter. */
export interface ParamSpec<D extends ParamDefault | undefined = ParamDefault | undefined> {
  /** Command-line name (kebab-case); the JSON key is its camelCase form unless `key` says otherwise. */
  name: string;
  /** JSON key where it is not the camelCase name (the link's bandwidthBytesPerS). */
  key?: string;
  kind: ParamKind;
  /** Default, as parseParam reads it; undefined: unset unless given (the doc says what happens then). */
  default: D;
  /** What a value counts (rounds, pages, × memory) where the kind does not say it (unitOf). */
  unit?: string;
  /** One line: what it is, what real behaviour it stands for. */
  doc: string;
  min?: number;
  max?: number;
  /** Whether the minimum itself is excluded (e.g. rates > 0). */
  minExclusive?: boolean;
  choices?: readonly string[];
  /** duration: the unit of a bare number ('ms' where the source's own knob is in ms); without it a duration needs a unit. */
  bareUnit?: 'ms' | 's';
}

/** A parameter value after parsing: sizes in bytes, durations in s, rates per s, choices as text. */
export type ParamValue = number | string | boolean;

/** Parameter values by JSON key (camelCase). */
export type ParamValues = Record<string, number | string>;

/** camelCase JSON key of a kebab-case parameter name. */
export function paramKey(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** A spec's JSON key: its own `key`, or the camelCase of its name. */
export function specKey(spec: ParamSpec): string {
  return spec.key ?? paramKey(spec.name);
}

/** Whether `name` (a CLI name or a JSON key) names this spec. */
export function namesSpec(spec: ParamSpec, name: string): boolean {
  return spec.name === name || specKey(spec) === name;
}

/** Width and height of a resolution, written 1280x720 or 720p. */
export function parseResolution(what: string, text: string): [number, number] {
  const named: Record<string, [number, number]> = { '480p': [854, 480], '720p': [1280, 720], '1080p': [1920, 1080], '2160p': [3840, 2160] };
  const t = String(text).trim().toLowerCase();
  if (named[t]) return named[t]!;
  const m = /^([0-9]+)x([0-9]+)$/.exec(t);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) return fail('usage', `${what}: cannot read '${text}' (expected WIDTHxHEIGHT, e.g. 1280x720, or 480p/720p/1080p/2160p)`);
  return [Number(m[1]), Number(m[2])];
}

/** Events per second from '20000', '2e4', '20k', '1.5M/s'. */
function parseCount(what: string, raw: string | number): number {
  if (typeof raw === 'number') return raw;
  const m = /^([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmg]?)\s*(?:\/s)?$/i.exec(String(raw).trim());
  if (!m) return fail('bad-unit', `${what}: cannot read '${raw}' (expected a count per second, e.g. 20000, 2e4, 20k)`);
  return Number(m[1]) * ({ '': 1, k: 1e3, m: 1e6, g: 1e9 } as Record<string, number>)[m[2]!.toLowerCase()]!;
}

/** What parseParam needs beyond the text: the guest memory a share of it refers to (size-or-fraction). */
export interface ParseContext {
  memBytes?: number;
}

/** The value of one parameter from text or a number (from code, in base units), checked against its spec. */
export function parseParam(spec: ParamSpec, raw: string | number | boolean, context: ParseContext = {}): ParamValue {
  const what = `--${spec.name}`;
  let value: number;
  switch (spec.kind) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const t = String(raw).trim().toLowerCase();
      if (['true', 'yes', '1', 'on'].includes(t)) return true;
      if (['false', 'no', '0', 'off'].includes(t)) return false;
      return fail('usage', `${what}: '${raw}' is not true or false`);
    }
    case 'choice': {
      const text = String(raw);
      if (!spec.choices!.includes(text)) fail('usage', `${what}: '${text}' is not one of ${spec.choices!.join(', ')}`);
      return text;
    }
    case 'resolution': {
      const [w, h] = parseResolution(what, String(raw));
      return `${w}x${h}`;
    }
    case 'size': value = parseSize(what, textOrNumber(raw)); break;
    case 'size-or-fraction': {
      const memBytes = context.memBytes ?? 0;
      const t = String(raw).trim();
      if (t.endsWith('%')) value = (parseDecimal(what, t.slice(0, -1)) / 100) * memBytes;
      else if (/^[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?$/i.test(t) && Number(t) <= 1) value = Number(t) * memBytes;
      else value = parseSize(what, textOrNumber(raw));
      if (!(value > 0)) fail('usage', `${what}: '${raw}' must be above 0`);
      if (value > memBytes) fail('usage', `${what}: '${raw}' is more than --mem`);
      return value;
    }
    // A number (from code) is bytes/s.
    case 'rate': value = typeof raw === 'number' ? raw : parseRate(what, String(raw)); break;
    case 'count-rate': value = parseCount(what, textOrNumber(raw)); break;
    case 'duration': {
      // A number (from code) is in seconds; bare text from a command line needs a unit unless the spec names one.
      const bare = typeof raw === 'string' && /^\s*[0-9.eE+-]+\s*$/.test(raw);
      value = bare && spec.bareUnit && Number(raw) > 0 ? parseDuration(what, `${raw.trim()}${spec.bareUnit}`) : parseDuration(what, textOrNumber(raw));
      break;
    }
    case 'ms': value = parseDecimal(what, textOrNumber(raw), 'a number of milliseconds ≥ 0'); break;
    case 'fraction': {
      const t = String(raw).trim();
      value = t.endsWith('%') ? parseDecimal(what, t.slice(0, -1)) / 100 : parseDecimal(what, textOrNumber(raw));
      if (value > 1) fail('usage', `${what}: '${raw}' is not between 0 and 1 (or 0 % and 100 %)`);
      break;
    }
    default: {
      // int, number, percent: plain decimal digits only (no hex, no Infinity, no empty text); a percentage may end in %.
      const text = typeof raw === 'number' ? raw : spec.kind === 'percent' ? String(raw).replace(/%$/, '') : String(raw);
      value = parseDecimal(what, text, spec.kind === 'int' ? 'a whole number' : 'a number');
    }
  }
  if (!Number.isFinite(value)) fail('usage', `${what}: '${raw}' is out of range`);
  if (spec.kind === 'int' && !Number.isSafeInteger(value)) fail('usage', `${what}: '${raw}' is not a whole number`);
  if (spec.min !== undefined && spec.minExclusive && !(value > spec.min)) fail('usage', `${what}: '${raw}' must be above ${spec.min}`);
  if (spec.min !== undefined && value < spec.min) fail('usage', `${what}: ${raw} is below the least allowed value ${spec.min}`);
  if (spec.max !== undefined && value > spec.max) fail('usage', `${what}: ${raw} is above the largest allowed value ${spec.max}`);
  return value;
}

const textOrNumber = (raw: string | number | boolean): string | number => (typeof raw === 'number' ? raw : String(raw));

/** Values given by CLI name or JSON key; undefined means not given. */
export type ParamGiven = Record<string, string | number | boolean | undefined>;

/** The raw value given for a spec (by CLI name or JSON key), or undefined. */
export function givenValue(spec: ParamSpec, given: ParamGiven): string | number | boolean | undefined {
  return given[spec.name] ?? given[specKey(spec)];
}

/** An algorithm's (or any owner's) parameters by JSON key: defaults, overridden by `given` (keyed by CLI name or JSON key). */
export function resolveParams(owner: { readonly params: readonly ParamSpec<number | string>[] }, given: ParamGiven = {}): ParamValues {
  const values: ParamValues = {};
  for (const spec of owner.params) {
    const raw = givenValue(spec, given);
    values[specKey(spec)] = raw === undefined ? spec.default : (parseParam(spec, raw) as number | string);
  }
  return values;
}

/** A parameter's default as a person would type it (300ms, 256KiB, 1Gbit, 29); '' when it has none. */
export function formatDefault(spec: ParamSpec): string {
  const v = spec.default;
  if (v === undefined) return '';
  if (typeof v !== 'number') return String(v);
  if (spec.kind === 'duration') return v >= 1 || v === 0 ? `${v}s` : `${+(v * 1000).toPrecision(6)}ms`;
  if (spec.kind === 'size') {
    for (const [unit, f] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 1024]] as const) if (v >= f && v % f === 0) return `${v / f}${unit}`;
    return `${v}B`;
  }
  if (spec.kind === 'percent') return `${v}%`;
  if (spec.kind === 'rate') {
    if (v === 0) return '0';
    for (const [unit, f] of [['Gbit', 1e9], ['Mbit', 1e6]] as const) if ((v * 8) % f === 0) return `${(v * 8) / f}${unit}`;
    return `${v}B/s`;
  }
  return String(v);
}

// What a value of each kind is measured in, where the kind itself says it.
const KIND_UNITS: Partial<Record<ParamKind, string>> = {
  percent: '%', fraction: 'share', size: 'bytes', 'size-or-fraction': 'share or bytes', rate: 'bytes/s',
  'count-rate': 'per s', duration: 's', ms: 'ms', boolean: 'true or false', resolution: 'WxH',
};

/** The unit of a parameter's value as the docs' tables give it: its own unit, its kind's, or its choices. */
export function unitOf(spec: ParamSpec): string {
  if (spec.unit !== undefined) return spec.unit;
  if (spec.kind === 'choice') return spec.choices!.join(', ');
  return KIND_UNITS[spec.kind] ?? '';
}
