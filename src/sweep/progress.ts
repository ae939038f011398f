// A sweep's progress drawn on stderr, for the CLI (and library callers who ask for it):
// on a terminal a bar redrawn at most every quarter second; elsewhere (a log, CI) a
// plain line every MIGREPLAY_PROGRESS_S seconds (default 5) and one at the end.
import type { SweepProgress } from './report.js';

/** How often the plain progress line is printed off a terminal: MIGREPLAY_PROGRESS_S seconds (default 5). */
function progressIntervalMs(): number {
  const v = Number(process.env.MIGREPLAY_PROGRESS_S);
  return Number.isFinite(v) && v > 0 ? v * 1000 : 5000;
}

/** A duration for people: 12 s, 3 min 4 s, 1 h 2 min; ? when unknown. */
export function formatEta(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** A progress callback writing to `write` (stderr by default): a bar when `terminal`, else plain lines. */
export function progressRenderer(terminal: boolean, write: (text: string) => void = (t) => process.stderr.write(t)): (p: SweepProgress) => void {
  let last = -Infinity;
  if (terminal) {
    return (p) => {
      const now = performance.now();
      if (!p.end && now - last < 250) return;
      last = now;
      const rate = p.finished / Math.max(p.elapsedS, 1e-9);
      const eta = rate > 0 ? (p.total - p.finished) / rate : NaN;
      const pct = p.total > 0 ? (100 * p.finished) / p.total : 100;
      write(`\r\x1b[Ksweep: ${p.finished}/${p.total} runs (${pct.toFixed(1)} %), ${rate.toFixed(1)} runs/s, ETA ${formatEta(eta)}${p.end ? '\n' : ''}`);
    };
  }
  const every = progressIntervalMs();
  last = performance.now();
  return (p) => {
    if (p.total === 0) return;
    const now = performance.now();
    if (!p.end && now - last < every) return;
    last = now;
    const rate = p.finished / Math.max(p.elapsedS, 1e-9);
    const left = p.end || p.finished >= p.total ? '' : `, ~${rate > 0 ? formatEta((p.total - p.finished) / rate) : '?'} left`;
    write(`sweep: ${p.finished}/${p.total} runs, ${formatEta(p.elapsedS)}${left}\n`);
  };
}
