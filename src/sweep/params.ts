// The parameters a sweep can vary: every algorithm parameter (by its command-line
// name) and the link's. `--set name=v1,v2,…` values, with units and ranges:
//   a..b*f   geometric: a, a·f, a·f², … up to b (f > 1, a plain number)
//   a..b+s   arithmetic: a, a+s, a+2s, … up to b (s > 0, with the parameter's units)
// b is included when the sequence reaches it (to 12 significant digits).
import { algorithms } from '../algorithms/index.js';
import type { Algorithm } from '../algorithms/types.js';
import { fail, MigreplayError } from '../errors.js';
import { namesSpec, paramKey, parseParam, specKey, type ParamSpec } from '../params/index.js';
import { LINK_PARAMS } from '../params/link.js';

/** What a --set name refers to. */
export type SetTarget =
  | { type: 'link'; spec: ParamSpec<number | string> }
  | { type: 'algorithm'; name: string; key: string; spec: ParamSpec; owners: Algorithm[] };

/** One varied parameter: its target and its values (canonical: numbers in base units, or choice text), in order. */
export interface Axis {
  name: string;
  key: string;
  target: SetTarget;
  values: (number | string)[];
}

const MAX_RANGE_VALUES = 100_000;

/** Round to 12 significant digits, so 0.1..0.5+0.1 gives 0.3, not 0.30000000000000004. */
export function tidy(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(12));
}

/** The parameter a --set name (kebab-case, or its camelCase key) refers to, among the picked algorithms. */
export function findTarget(raw: string, picked: readonly Algorithm[]): SetTarget {
  const link = LINK_PARAMS.find((p) => namesSpec(p, raw));
  if (link) return { type: 'link', spec: link };
  const matches = (p: ParamSpec) => namesSpec(p, raw);
  const everyOwner = algorithms.filter((a) => a.params.some(matches));
  if (everyOwner.length === 0) {
    const names = [...new Set(algorithms.flatMap((a) => a.params.map((p) => p.name)))];
    fail('usage', `--set ${raw}: unknown parameter (link: ${LINK_PARAMS.map((p) => p.name).join(', ')}; algorithms: ${names.join(', ')})`);
  }
  const owners = picked.filter((a) => a.params.some(matches));
  if (owners.length === 0) fail('usage', `--set ${raw}: applies to ${everyOwner.map((a) => a.id).join(', ')}, none of which --algo selects`);
  const spec = owners[0]!.params.find(matches)!;
  for (const a of owners) {
    const other = a.params.find(matches)!;
    if (other.kind !== spec.kind) throw new Error(`parameter ${spec.name} has kind ${spec.kind} in ${owners[0]!.id} but ${other.kind} in ${a.id}`);
  }
  return { type: 'algorithm', name: spec.name, key: paramKey(spec.name), spec, owners };
}

// Errors from the shared parsers name the option (--max-iters, --bandwidth): say --set instead.
function asSet<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof MigreplayError) {
      const message = e.message.replace(/^--[a-z-]+:\s*/, '');
      throw new MigreplayError(e.code === 'bad-unit' ? 'bad-unit' : 'usage', `--set ${name}: ${message}`, e.exitCode);
    }
    throw e;
  }
}

/** One value of a target, from text, checked: a number in base units (bytes, bytes/s, s, ms) or a choice. */
export function parseValue(target: SetTarget, text: string): number | string {
  const name = target.type === 'link' ? target.spec.name : target.name;
  const v = asSet(name, () => parseParam(target.spec, text.trim()));
  if (target.type === 'link' && target.spec.name === 'bandwidth' && !((v as number) > 0)) fail('usage', `--set bandwidth: the bandwidth must be above 0 (got '${text}')`);
  return typeof v === 'number' ? tidy(v) : (v as string);
}

/** A canonical value as text the parsers read back exactly: base units spelled out (0.3s, 262144B). */
export function valueText(target: SetTarget, v: number | string): string {
  if (typeof v === 'string') return v;
  const kind = target.spec.kind;
  if (kind === 'duration') return `${v}s`;
  if (kind === 'size') return `${v}B`;
  if (kind === 'rate') return `${v}B/s`;
  return String(v);
}

function isChoice(target: SetTarget): boolean {
  return target.spec.kind === 'choice';
}

/** The values of one comma-separated item: a single value or a range. */
export function expandItem(target: SetTarget, name: string, item: string): (number | string)[] {
  const range = /^(.+?)\.\.(.+?)([*+])([^*+]+)$/.exec(item);
  if (!item.includes('..')) return [parseValue(target, item)];
  if (!range) fail('usage', `--set ${name}: cannot read the range '${item}' (write a..b*factor or a..b+step, e.g. 100Mbit..10Gbit*2, 1..10+3)`);
  if (isChoice(target)) fail('usage', `--set ${name}: takes one of a list of words, not a range ('${item}')`);
  const [, fromText, toText, op, stepText] = range;
  const from = parseValue(target, fromText!) as number;
  const to = parseValue(target, toText!) as number;
  if (to < from) fail('usage', `--set ${name}: the range '${item}' ends below its start`);
  const values: number[] = [];
  const push = (v: number) => {
    if (values.length >= MAX_RANGE_VALUES) fail('usage', `--set ${name}: the range '${item}' has more than ${MAX_RANGE_VALUES} values`);
    values.push(parseValue(target, valueText(target, v)) as number); // checks bounds and whole numbers
  };
  const limit = to * (1 + 1e-12);
  if (op === '*') {
    const factor = Number(stepText!.trim());
    if (!Number.isFinite(factor) || !(factor > 1)) fail('usage', `--set ${name}: the factor in '${item}' must be a number above 1`);
    if (from <= 0) fail('usage', `--set ${name}: a geometric range must start above 0 ('${item}')`);
    for (let k = 0; ; k++) {
      const v = tidy(from * factor ** k);
      if (v > limit) break;
      push(v);
    }
  } else {
    // The step has the parameter's units (a duration for start, a rate for bandwidth, …).
    const step = parseValue(target, stepText!) as number;
    if (!(step > 0)) fail('usage', `--set ${name}: the step in '${item}' must be above 0`);
    for (let k = 0; ; k++) {
      const v = tidy(from + k * step);
      if (v > limit) break;
      push(v);
    }
  }
  return values;
}

/** Parse every `--set name=v1,v2,…` into an axis; names must be distinct and apply to a picked algorithm or the link. */
export function parseSets(sets: readonly string[], picked: readonly Algorithm[]): Axis[] {
  const axes: Axis[] = [];
  for (const raw of sets) {
    const m = /^\s*([A-Za-z][A-Za-z0-9-]*)\s*=(.*)$/.exec(raw);
    if (!m) fail('usage', `--set '${raw}': expected name=v1,v2,… (e.g. --set bandwidth=100Mbit,1Gbit or --set max-iters=5..30+5)`);
    const name = m[1]!;
    const target = findTarget(name, picked);
    const key = target.type === 'link' ? specKey(target.spec) : target.key;
    const canonical = target.type === 'link' ? target.spec.name : target.name;
    if (axes.some((a) => a.key === key)) fail('usage', `--set ${canonical}: given twice (list every value in one --set)`);
    const items = m[2]!.split(',').map((s) => s.trim());
    if (items.some((s) => s === '')) fail('usage', `--set ${canonical}: empty value in '${raw}'`);
    const seen = new Set<number | string>();
    const values: (number | string)[] = [];
    for (const item of items) {
      for (const v of expandItem(target, canonical, item)) {
        if (seen.has(v)) continue;
        seen.add(v);
        values.push(v);
      }
    }
    axes.push({ name: canonical, key, target, values });
  }
  return axes;
}
