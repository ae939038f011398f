// The explorer's parameter controls offer sensible stops for every kind of parameter,
// and every stop's text is a value the algorithm takes.
import { describe, expect, it } from 'vitest';
import { BANDWIDTH_STOPS, defaultStop, LINK_DEFAULTS, paramStops, RESUME_STOPS, startStops, valueOf } from '../explorer/src/controls.js';
import { algorithms } from '../src/algorithms/index.js';
import { DEFAULT_LINK } from '../src/engine/types.js';
import { parseParam, specKey } from '../src/params/index.js';
import { LINK_PARAMS, linkParam } from '../src/params/link.js';

describe('explorer parameter stops', () => {
  const specs = algorithms.flatMap((a) => a.params.map((p) => [a.id, p] as const));
  it.each(specs.map(([id, p]) => [`${id} --${p.name}`, p] as const))('%s: every stop parses, the default is among them', (_, spec) => {
    const stops = paramStops(spec);
    expect(stops.length).toBeGreaterThan(0);
    for (const s of stops) expect(() => parseParam(spec, s.text)).not.toThrow();
    const d = defaultStop(spec, stops);
    const v = parseParam(spec, stops[d]!.text);
    if (spec.kind === 'choice') expect(v).toBe(spec.default);
    else expect(v as number).toBeCloseTo(spec.default as number, 12);
    expect(valueOf(spec, stops[d]!.text)).toBe(v);
  });

  it('a rate parameter offers "not set" and link rates, not fractions of a byte per second', () => {
    const spec = algorithms.find((a) => a.id === 'qemu')!.params.find((p) => p.name === 'unthrottled-bandwidth')!;
    const stops = paramStops(spec);
    expect(stops[0]).toEqual({ text: '0', label: 'not set (0)' });
    expect(stops.slice(1).every((s) => Number(parseParam(spec, s.text)) >= 1e6)).toBe(true);
  });
});

describe('explorer link controls', () => {
  it('start from the link parameters\' defaults (src/params/link.ts), which are the engine\'s', () => {
    for (const p of LINK_PARAMS) expect(parseParam(p, LINK_DEFAULTS[p.name]!), p.name).toBe((DEFAULT_LINK as unknown as Record<string, unknown>)[specKey(p)]);
    expect(BANDWIDTH_STOPS.map((s) => s.text)).toContain(LINK_DEFAULTS.bandwidth);
    expect(RESUME_STOPS.map((s) => s.text)).toContain(LINK_DEFAULTS['resume-ms']);
    expect(startStops(60)[0]!.text).toBe(LINK_DEFAULTS.start);
  });

  it('offer only values the link parameters take', () => {
    for (const s of BANDWIDTH_STOPS) expect(parseParam(linkParam('bandwidth'), s.text) as number).toBeGreaterThan(0);
    for (const s of RESUME_STOPS) expect(() => parseParam(linkParam('resume-ms'), s.text)).not.toThrow();
    for (const s of startStops(60)) expect(() => parseParam(linkParam('start'), s.text)).not.toThrow();
  });
});
