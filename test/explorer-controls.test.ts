// The explorer's parameter controls offer sensible stops for every kind of parameter,
// and every stop's text is a value the algorithm takes.
import { describe, expect, it } from 'vitest';
import { defaultStop, paramStops, valueOf } from '../explorer/src/controls.js';
import { algorithms } from '../src/algorithms/index.js';
import { parseParam } from '../src/params/index.js';

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
