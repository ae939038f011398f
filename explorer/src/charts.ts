// Per-round charts: one small SVG per algorithm, migration time across, pages up.
// Bars are rounds (width = duration, height = pages sent, colour = phase); the line
// is pages dirtied during each round. All charts share the page axis so they compare.
import type { ReplayResult } from 'migreplay';
import { fmtSeconds, sig } from './format';

const W = 560;
const H = 120;
const PAD = { l: 52, r: 8, t: 18, b: 22 };
export const PHASE_COLOURS: Record<string, string> = { precopy: '#3b7dd8', 'stop-copy': '#d8563b', postcopy: '#3bb273' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** The SVG of one result's rounds; `maxPages` is the shared y scale. */
export function roundChart(r: ReplayResult, maxPages: number): string {
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const T = Math.max(r.totalTimeS, 1e-9);
  const x = (s: number) => PAD.l + (s / T) * iw;
  const y = (p: number) => PAD.t + ih - (p / maxPages) * ih;
  const parts: string[] = [];
  parts.push(`<text x="${PAD.l}" y="12" class="ct">${esc(r.algorithm)} — ${r.rounds.length} rounds, ${fmtSeconds(r.totalTimeS)}${r.downtimeMs === null ? ', never switched over' : `, downtime ${sig(r.downtimeMs, 3)} ms`}</text>`);
  parts.push(`<line x1="${PAD.l}" y1="${PAD.t + ih}" x2="${W - PAD.r}" y2="${PAD.t + ih}" class="axis"/>`);
  parts.push(`<line x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${PAD.t + ih}" class="axis"/>`);
  parts.push(`<text x="${PAD.l - 4}" y="${PAD.t + 8}" class="tick" text-anchor="end">${sig(maxPages, 3)}</text>`);
  parts.push(`<text x="${PAD.l - 4}" y="${PAD.t + ih}" class="tick" text-anchor="end">0</text>`);
  parts.push(`<text x="${PAD.l}" y="${H - 6}" class="tick">0</text>`);
  parts.push(`<text x="${W - PAD.r}" y="${H - 6}" class="tick" text-anchor="end">${fmtSeconds(r.totalTimeS)}</text>`);
  parts.push(`<text x="${PAD.l - 44}" y="${PAD.t + ih / 2}" class="tick">pages</text>`);
  for (const round of r.rounds) {
    const x0 = x(round.startS);
    const w = Math.max(1, x(round.startS + round.durationS) - x0 - (r.rounds.length < 60 ? 1 : 0));
    const y0 = y(round.pagesSent);
    parts.push(
      `<rect x="${x0.toFixed(2)}" y="${y0.toFixed(2)}" width="${w.toFixed(2)}" height="${(PAD.t + ih - y0).toFixed(2)}" fill="${PHASE_COLOURS[round.phase]}">` +
        `<title>round ${round.index} (${round.phase}): sent ${round.pagesSent}, dirtied ${round.pagesDirtied}` +
        `${round.pagesSkipped ? `, skipped ${round.pagesSkipped}` : ''}${round.pagesDeferred ? `, deferred ${round.pagesDeferred}` : ''}; ` +
        `${fmtSeconds(round.startS)} + ${fmtSeconds(round.durationS)}</title></rect>`,
    );
  }
  const pts = r.rounds.filter((q) => q.phase === 'precopy').map((q) => `${x(q.startS + q.durationS / 2).toFixed(2)},${y(Math.min(q.pagesDirtied, maxPages)).toFixed(2)}`);
  if (pts.length > 1) parts.push(`<polyline points="${pts.join(' ')}" class="dirtied"/>`);
  for (const p of pts.length === 1 ? pts : []) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" class="dirtiedpt"/>`);
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="rounds of ${esc(r.algorithm)}">${parts.join('')}</svg>`;
}
