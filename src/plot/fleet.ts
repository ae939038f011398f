// The fleet timeline (`fleet --plot`, the report's fleet section): one lane per guest
// with its rounds and its stop-and-copy over fleet time, and the link's shares stacked.
import type { FleetResult } from '../run/fleet.js';
import { rateText, sigText } from './format.js';
import { CHART_WIDTH, renderSvg, type ChartSpec } from './vega.js';

/** "7 guests, parallel (7 at once), 1 Gbit/s link; makespan 37 s" — the fleet in one line. */
export function fleetLabel(f: FleetResult): string {
  const n = f.guests.length;
  return `${n} guest${n === 1 ? '' : 's'}, ${f.policy}${f.policy.endsWith('-first') ? ` by ${f.by}` : ''} (${f.maxConcurrent >= n ? 'all' : f.maxConcurrent} at once), ${rateText(f.link.bandwidthBytesPerS)} link; makespan ${sigText(f.makespanS)} s`;
}

/** Lanes: each guest's rounds (live: bars, one per round; stop-and-copy: a diamond) in fleet time. */
export function fleetLanesSpec(f: FleetResult, width = CHART_WIDTH): ChartSpec {
  const rounds = f.guests.flatMap((g) => g.result.rounds.map((r) => ({
    guest: g.name, round: r.index, phase: r.phase, from: g.beginS + r.startS, to: g.beginS + r.startS + r.durationS,
    pages: r.pagesSent, ms: r.durationS * 1e3,
  })));
  const names = f.guests.map((g) => g.name);
  const y = { field: 'guest', type: 'nominal', sort: names, title: null };
  return {
    title: {
      text: 'Migrations over time',
      subtitle: [fleetLabel(f), 'one lane per guest: each live round a bar (its shade alternates), the stop-and-copy red, marked by a diamond at its start (guest paused)'],
    },
    width,
    height: Math.max(60, 26 * names.length),
    layer: [
      {
        data: { values: rounds.filter((r) => r.phase !== 'stop-copy').map((r) => ({ ...r, shade: r.round % 2 === 0 ? 'even round' : 'odd round' })) },
        mark: { type: 'bar', height: 14 },
        encoding: {
          x: { field: 'from', type: 'quantitative', title: 'fleet time (s)' },
          x2: { field: 'to' },
          y,
          color: { field: 'shade', type: 'nominal', scale: { domain: ['even round', 'odd round'], range: ['#4e79a7', '#a0cbe8'] }, title: 'live round' },
          tooltip: [{ field: 'guest' }, { field: 'round' }, { field: 'pages', title: 'pages sent' }, { field: 'ms', title: 'ms', format: '.4~g' }],
        },
      },
      {
        data: { values: rounds.filter((r) => r.phase === 'stop-copy') },
        mark: { type: 'bar', height: 14, color: '#e15759' },
        encoding: { x: { field: 'from', type: 'quantitative' }, x2: { field: 'to' }, y },
      },
      {
        data: { values: rounds.filter((r) => r.phase === 'stop-copy') },
        mark: { type: 'point', shape: 'diamond', filled: true, size: 110, color: '#e15759' },
        encoding: {
          x: { field: 'from', type: 'quantitative' },
          y,
          tooltip: [{ field: 'guest' }, { field: 'pages', title: 'pages sent paused' }, { field: 'ms', title: 'downtime ms', format: '.4~g' }],
        },
      },
    ],
  } as ChartSpec;
}

/** The link's shares over fleet time, stacked by guest (a step chart: shares change only when a transfer starts or ends). */
export function fleetSharesSpec(f: FleetResult, width = CHART_WIDTH): ChartSpec {
  const cuts = [...new Set(f.guests.flatMap((g) => g.shares.flatMap((s) => [s[0], s[1]])))].sort((a, b) => a - b);
  const values: { guest: string; rank: number; t: number; mbit: number }[] = [];
  for (const [rank, g] of f.guests.entries()) {
    let j = 0;
    for (const t of cuts) {
      while (j < g.shares.length && g.shares[j]![1] <= t) j++;
      const s = g.shares[j];
      values.push({ guest: g.name, rank, t, mbit: s && s[0] <= t ? (s[2] * 8) / 1e6 : 0 });
    }
  }
  return {
    title: { text: 'Shares of the link', subtitle: [fleetLabel(f), 'max-min fair among the migrations transferring, each up to its own cap; stacked'] },
    width,
    height: 220,
    data: { values },
    mark: { type: 'area', interpolate: 'step-after' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'fleet time (s)' },
      y: { field: 'mbit', type: 'quantitative', stack: 'zero', title: 'Mbit/s', scale: { domainMax: (f.link.bandwidthBytesPerS * 8) / 1e6 } },
      color: { field: 'guest', type: 'nominal', sort: f.guests.map((g) => g.name), title: 'guest' },
      order: { field: 'rank', type: 'quantitative' },
    },
  } as ChartSpec;
}

/** The fleet's charts by name, in display order. */
export function fleetChartSpecs(f: FleetResult): { name: string; spec: ChartSpec }[] {
  return [{ name: 'fleet-lanes', spec: fleetLanesSpec(f) }, { name: 'fleet-shares', spec: fleetSharesSpec(f) }];
}

/** One SVG for `fleet --plot`: the lanes above the shares. */
export async function fleetPlotSvg(f: FleetResult): Promise<string> {
  const strip = (s: ChartSpec): object => {
    const { $schema: _s, config: _c, ...rest } = s as unknown as Record<string, unknown>;
    return rest;
  };
  const charts = fleetChartSpecs(f).map((c) => {
    const spec = strip(c.spec) as { title: { text: string; subtitle: string[] } };
    spec.title = { ...spec.title, subtitle: spec.title.subtitle.slice(1) }; // the fleet is named once, above
    return spec;
  });
  return renderSvg({
    title: { text: 'migreplay fleet', subtitle: fleetLabel(f), fontSize: 18 },
    vconcat: charts,
    spacing: 28,
    resolve: { scale: { color: 'independent', x: 'shared' } },
  } as ChartSpec);
}
