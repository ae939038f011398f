// Reads algorithm parameters from command-line values (units allowed) and checks them.
import { fail } from '../errors.js';
import { parseDecimal, parseDuration, parseRate, parseSize } from '../units.js';
import { paramKey, type Algorithm, type ParamSpec, type ParamValues } from './types.js';

/** The value of one parameter from text or a number, checked against its spec. */
export function parseParam(spec: ParamSpec, raw: string | number): number | string {
  const what = `--${spec.name}`;
  let value: number;
  switch (spec.kind) {
    case 'choice': {
      const text = String(raw);
      if (!spec.choices!.includes(text)) fail('usage', `${what}: '${text}' is not one of ${spec.choices!.join(', ')}`);
      return text;
    }
    case 'size': value = parseSize(what, raw); break;
    // A number (from code) is bytes/s; text takes the units of --bandwidth.
    case 'rate': value = typeof raw === 'number' ? raw : parseRate(what, raw); break;
    case 'duration': {
      // A number (from code) is in seconds; only bare text from a command line needs a unit.
      const bare = typeof raw === 'string' && /^\s*[0-9.eE+-]+\s*$/.test(raw);
      if (bare && Number(raw) > 0) {
        if (!spec.bareUnit) fail('bad-unit', `${what}: '${raw}' needs a unit (ms, s or m), e.g. ${raw}ms`);
        value = parseDuration(what, `${raw}${spec.bareUnit}`);
      } else value = parseDuration(what, raw);
      break;
    }
    default: {
      // Plain decimal digits only (no hex, no Infinity, no empty text); a percentage may end in %.
      const text = typeof raw === 'number' ? raw : spec.kind === 'percent' ? String(raw).replace(/%$/, '') : String(raw);
      value = parseDecimal(what, text, spec.kind === 'int' ? 'a whole number' : 'a number');
    }
  }
  if (spec.kind === 'int' && !Number.isInteger(value)) fail('usage', `${what}: '${raw}' is not a whole number`);
  if (spec.min !== undefined && value < spec.min) fail('usage', `${what}: ${raw} is below the least allowed value ${spec.min}`);
  if (spec.max !== undefined && value > spec.max) fail('usage', `${what}: ${raw} is above the largest allowed value ${spec.max}`);
  return value;
}

/** An algorithm's parameters: defaults, overridden by `given` (keyed by CLI name or JSON key). */
export function resolveParams(algorithm: Algorithm, given: Record<string, string | number | undefined> = {}): ParamValues {
  const values: ParamValues = {};
  for (const spec of algorithm.params) {
    const key = paramKey(spec.name);
    const raw = given[spec.name] ?? given[key];
    values[key] = raw === undefined ? spec.default : parseParam(spec, raw);
  }
  return values;
}

/** A parameter's default as a person would type it (300ms, 256KiB, 29). */
export function formatDefault(spec: ParamSpec): string {
  const v = spec.default;
  if (typeof v !== 'number') return String(v);
  if (spec.kind === 'duration') return v >= 1 || v === 0 ? `${v}s` : `${+(v * 1000).toPrecision(6)}ms`;
  if (spec.kind === 'size') {
    for (const [unit, f] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 1024]] as const) if (v >= f && v % f === 0) return `${v / f}${unit}`;
    return `${v}B`;
  }
  if (spec.kind === 'percent') return `${v}%`;
  if (spec.kind === 'rate') return v === 0 ? '0' : `${v}B/s`;
  return String(v);
}
