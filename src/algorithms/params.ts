// Reads algorithm parameters from command-line values (units allowed) and checks them.
import { fail } from '../errors.js';
import { parseDuration, parseSize } from '../units.js';
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
    case 'duration': value = parseDuration(what, raw); break;
    default: {
      const text = String(raw).trim().replace(/%$/, '');
      value = Number(text);
      if (text === '' || !Number.isFinite(value)) fail('usage', `${what}: '${raw}' is not a number`);
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
