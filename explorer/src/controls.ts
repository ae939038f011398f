// Slider positions ↔ parameter values. Every slider moves over a list of values a
// person would type on the command line ('2Gbit', '300ms', '256KiB'), so the page
// replays exactly what `migreplay replay … --flag value` would.
import { formatDefault, LINK_PARAMS, parseDuration, parseRate, parseSize, type ParamSpec } from 'migreplay';

/** One slider stop: the CLI text and a short label. */
export interface Stop {
  text: string;
  label: string;
}

const series125 = (lo: number, hi: number): number[] => {
  const out: number[] = [];
  for (let decade = 10 ** Math.floor(Math.log10(lo)); decade <= hi; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = +(m * decade).toPrecision(12);
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out;
};

/** Each link parameter's default as the command line writes it (src/params/link.ts), by name. */
export const LINK_DEFAULTS: Readonly<Record<string, string>> = Object.fromEntries(LINK_PARAMS.map((p) => [p.name, formatDefault(p)]));

/** Link rates from 10 Mbit/s to 100 Gbit/s (1-2-5 steps, 2.5, 25 and 40 Gbit/s too). */
export const BANDWIDTH_STOPS: Stop[] = [...series125(10, 100000), 2500, 25000, 40000]
  .sort((a, b) => a - b)
  .map((mbit) => (mbit >= 1000 ? { text: `${mbit / 1000}Gbit`, label: `${mbit / 1000} Gbit/s` } : { text: `${mbit}Mbit`, label: `${mbit} Mbit/s` }));

/** Downtime limits, ms (QEMU's downtime-limit): 1 ms … 10 s. */
export const DOWNTIME_STOPS: Stop[] = [...series125(1, 10000), 300].sort((a, b) => a - b).filter((v, i, a) => a.indexOf(v) === i)
  .map((ms) => ({ text: `${ms}ms`, label: ms >= 1000 ? `${ms / 1000} s` : `${ms} ms` }));

/** Resume times, ms. */
export const RESUME_STOPS: Stop[] = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500].map((ms) => ({ text: String(ms), label: `${ms} ms` }));

/** Migration start times over a trace of this length: 0 and 40 steps. */
export function startStops(durationS: number): Stop[] {
  const stops: Stop[] = [];
  const step = durationS / 40;
  for (let i = 0; i < 40; i++) {
    const s = +(i * step).toPrecision(3);
    if (s < durationS && !stops.some((x) => x.text === `${s}s`)) stops.push({ text: `${s}s`, label: `${s} s` });
  }
  return stops;
}

function sizeLabel(b: number): string {
  for (const [u, f] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 1024]] as const) if (b >= f) return `${+(b / f).toPrecision(4)} ${u}`;
  return `${b} B`;
}

function durationLabel(s: number): string {
  return s >= 1 ? `${+s.toPrecision(4)} s` : `${+(s * 1000).toPrecision(4)} ms`;
}

/** The stops of an algorithm parameter's slider (or the choices of its select), the default among them. */
export function paramStops(spec: ParamSpec): Stop[] {
  const d = spec.default;
  const lo = spec.min;
  const hi = spec.max;
  let values: number[];
  switch (spec.kind) {
    case 'choice':
      return spec.choices!.map((c) => ({ text: c, label: c }));
    case 'rate':
      // 0 (the parameter's "not set": the link, or the measured bandwidth), then link rates.
      return [{ text: '0', label: 'not set (0)' }, ...BANDWIDTH_STOPS];
    case 'size': {
      values = [];
      for (let b = 4096; b <= 2 ** 30; b *= 2) values.push(b);
      values.push(d as number);
      return uniq(values).map((b) => ({ text: b % 1024 === 0 ? formatDefault({ ...spec, default: b }) : `${b}B`, label: sizeLabel(b) }));
    }
    case 'duration': {
      const dv = d as number;
      values = series125(Math.max(1e-5, dv / 1000), Math.max(dv * 100, 1)).concat(dv);
      return uniq(values).map((s) => ({ text: s >= 1 ? `${s}s` : `${+(s * 1000).toPrecision(6)}ms`, label: durationLabel(s) }));
    }
    case 'percent':
      values = range(lo ?? 0, hi ?? 100, 1);
      break;
    case 'int': {
      const top = hi ?? Math.max((d as number) * 4, 10);
      const bottom = lo ?? 0;
      values = top - bottom <= 200 ? range(bottom, top, 1) : series125(Math.max(1, bottom), top).concat(bottom, d as number);
      break;
    }
    default: {
      const top = hi ?? Math.max((d as number) * 4, 10);
      values = range(lo ?? 0, top, 0.5).concat(d as number);
    }
  }
  return uniq(values).map((v) => ({ text: String(v), label: spec.kind === 'percent' ? `${v} %` : String(v) }));
}

const range = (a: number, b: number, step: number): number[] => {
  const out: number[] = [];
  for (let v = a; v <= b + 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
};
const uniq = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

/** The index of the stop holding a spec's default value. */
export function defaultStop(spec: ParamSpec, stops: Stop[]): number {
  const want = valueOf(spec, formatDefault(spec));
  const i = stops.findIndex((s) => valueOf(spec, s.text) === want);
  return i < 0 ? 0 : i;
}

/** The numeric (or choice) value a CLI text means for this spec, for comparisons. */
export function valueOf(spec: ParamSpec, text: string): number | string {
  switch (spec.kind) {
    case 'choice': return text;
    case 'size': return parseSize(`--${spec.name}`, text);
    case 'rate': return text === '0' ? 0 : parseRate(`--${spec.name}`, text);
    case 'duration': return parseDuration(`--${spec.name}`, text);
    default: return Number(text.replace(/%$/, ''));
  }
}

/** The index of the stop nearest a rate. */
export function nearestRate(stops: Stop[], bytesPerS: number): number {
  let best = 0;
  stops.forEach((s, i) => {
    if (Math.abs(Math.log(parseRate('--bandwidth', s.text) / bytesPerS)) < Math.abs(Math.log(parseRate('--bandwidth', stops[best]!.text) / bytesPerS))) best = i;
  });
  return best;
}
