// Per-round charts: one small SVG per algorithm, migration time across, pages up on a
// log scale (round 0, the full copy, is often 100× the later rounds: on a linear scale
// they would vanish). Bars are rounds (width = duration, height = pages sent from a
// foot of 1 page, colour = phase); the line is pages dirtied during each round. All
// charts share the page axis so they compare.
import type { ReplayResult } from 'migreplay';
import { fmtSeconds, sig } from './format';

const W = 560;
const H = 120;
const PAD = { l: 52, r: 8, t: 18, b: 22 };
export const PHASE_COLOURS: Record<string, string> = { precopy: '#3b7dd8', 'stop-copy': '#d8563b', postcopy: '#3bb273' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A page count as a tick label: 1, 10, 100, 1k, 10k, 100k, 1M. */
function pagesLabel(p: number): string {
  return p >= 1e6 ? `${p / 1e6}M` : p >= 1e3 ? `${p / 1e3}k` : String(p);
}

/** The log scale's top: the power of ten at or above the largest count (at least 10). */
export function logTop(maxPages: number): number {
  return 10 ** Math.max(1, Math.ceil(Math.log10(Math.max(1, maxPages)) - 1e-9));
}

/** The SVG of one result's rounds; `maxPages` is the shared y scale (log, 1 page at the foot). */
export function roundChart(r: ReplayResult, maxPages: number): string {
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const T = Math.max(r.totalTimeS, 1e-9);
  const top = logTop(maxPages);
  const x = (s: number) => PAD.l + (s / T) * iw;
  // Log scale from 1 page (the foot) to `top`; 0 pages sits at the foot.
  const y = (p: number) => PAD.t + ih - (Math.log10(Math.max(1, Math.min(p, top))) / Math.log10(top)) * ih;
  const parts: string[] = [];
  parts.push(`<text x="${PAD.l}" y="12" class="ct">${esc(r.algorithm)} — ${r.rounds.length} rounds, ${fmtSeconds(r.totalTimeS)}${r.downtimeMs === null ? ', never switched over' : `, downtime ${sig(r.downtimeMs, 3)} ms`}</text>`);
  // Decade grid lines and labels: 1, 10, 100, …
  const decades = Math.round(Math.log10(top));
  const every = decades > 4 ? 2 : 1;
  for (let d = 0; d <= decades; d++) {
    const p = 10 ** d;
    const yy = y(p).toFixed(2);
    if (d > 0) parts.push(`<line x1="${PAD.l}" y1="${yy}" x2="${W - PAD.r}" y2="${yy}" class="grid"/>`);
    if (d % every === 0 || d === decades) parts.push(`<text x="${PAD.l - 4}" y="${(y(p) + 3).toFixed(2)}" class="tick" text-anchor="end">${pagesLabel(p)}</text>`);
  }
  parts.push(`<line x1="${PAD.l}" y1="${PAD.t + ih}" x2="${W - PAD.r}" y2="${PAD.t + ih}" class="axis"/>`);
  parts.push(`<line x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${PAD.t + ih}" class="axis"/>`);
  parts.push(`<text x="${PAD.l}" y="${H - 6}" class="tick">0</text>`);
  parts.push(`<text x="${W - PAD.r}" y="${H - 6}" class="tick" text-anchor="end">${fmtSeconds(r.totalTimeS)}</text>`);
  parts.push(`<text x="${PAD.l + iw / 2}" y="${H - 6}" class="tick" text-anchor="middle">migration time</text>`);
  parts.push(`<text x="12" y="${PAD.t + ih / 2}" class="tick" text-anchor="middle" transform="rotate(-90 12 ${PAD.t + ih / 2})">pages (log)</text>`);
  for (const round of r.rounds) {
    const x0 = x(round.startS);
    const w = Math.max(1, x(round.startS + round.durationS) - x0 - (r.rounds.length < 60 ? 1 : 0));
    const y0 = y(round.pagesSent);
    parts.push(
      `<rect x="${x0.toFixed(2)}" y="${y0.toFixed(2)}" width="${w.toFixed(2)}" height="${(PAD.t + ih - y0).toFixed(2)}" fill="${PHASE_COLOURS[round.phase]}" data-pages="${round.pagesSent}">` +
        `<title>round ${round.index} (${round.phase}): sent ${round.pagesSent}, dirtied ${round.pagesDirtied}` +
        `${round.pagesSkipped ? `, skipped ${round.pagesSkipped}` : ''}${round.pagesDeferred ? `, deferred ${round.pagesDeferred}` : ''}; ` +
        `${fmtSeconds(round.startS)} + ${fmtSeconds(round.durationS)}</title></rect>`,
    );
  }
  const pts = r.rounds.filter((q) => q.phase === 'precopy').map((q) => `${x(q.startS + q.durationS / 2).toFixed(2)},${y(q.pagesDirtied).toFixed(2)}`);
  if (pts.length > 1) parts.push(`<polyline points="${pts.join(' ')}" class="dirtied"/>`);
  for (const p of pts.length === 1 ? pts : []) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" class="dirtiedpt"/>`);
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="rounds of ${esc(r.algorithm)}, pages on a log scale" data-scale="log">${parts.join('')}</svg>`;
}
