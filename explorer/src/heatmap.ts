// The trace heat map: page buckets up, trace time across, colour = writes (log
// scale). Over it, the migration of the focused algorithm: its span of trace time
// from --start (wrapping), and its round boundaries.
import type { ReplayResult } from 'migreplay';
import type { TraceInfo } from './protocol';

/** Viridis-like ramp, 0 … 1. */
function ramp(v: number): [number, number, number] {
  const stops: [number, number, number][] = [[239, 245, 252], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]];
  const f = Math.min(0.9999, Math.max(0, v)) * (stops.length - 1);
  const i = Math.floor(f);
  const t = f - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** Draw the heat map (cached as an image) and the overlay. */
export class HeatMap {
  private image: ImageData | undefined;
  constructor(private readonly canvas: HTMLCanvasElement) {}

  setTrace(info: TraceInfo): void {
    const { rows, cols, counts, max } = info.heat;
    const img = new ImageData(cols, rows);
    const lmax = Math.log1p(max);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const n = counts[r * cols + c]!;
        const [R, G, B] = n === 0 ? [255, 255, 255] : ramp(Math.log1p(n) / lmax);
        const o = ((rows - 1 - r) * cols + c) * 4; // page 0 at the bottom
        img.data[o] = R;
        img.data[o + 1] = G;
        img.data[o + 2] = B;
        img.data[o + 3] = 255;
      }
    }
    this.image = img;
  }

  draw(info: TraceInfo | undefined, focus: ReplayResult | undefined, startS: number): void {
    const ctx = this.canvas.getContext('2d')!;
    const W = this.canvas.width;
    const H = this.canvas.height;
    ctx.clearRect(0, 0, W, H);
    if (!info || !this.image) return;
    const off = new OffscreenCanvas(this.image.width, this.image.height);
    off.getContext('2d')!.putImageData(this.image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, W, H);
    if (!focus) return;
    const D = info.durationS;
    const xOf = (traceS: number) => ((traceS % D) / D) * W;
    // The migration's span of trace time (approximate for algorithms that slow the guest).
    ctx.fillStyle = 'rgba(216, 86, 59, 0.13)';
    const spanEnd = startS + focus.totalTimeS;
    for (let a = startS; a < spanEnd; ) {
      const b = Math.min(spanEnd, (Math.floor(a / D) + 1) * D);
      ctx.fillRect(xOf(a), 0, Math.max(1, ((b - a) / D) * W), H);
      a = b;
      if (spanEnd - startS > 50 * D) break; // a migration longer than 50 wraps covers everything
    }
    ctx.strokeStyle = 'rgba(216, 86, 59, 0.9)';
    ctx.lineWidth = 1;
    const rounds = focus.rounds.length > 400 ? [] : focus.rounds;
    for (const r of rounds) {
      const x = Math.round(xOf(startS + r.startS)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, 0);
      ctx.lineTo(x, H);
      ctx.stroke();
    }
    ctx.lineWidth = 2;
    ctx.strokeStyle = '#d8563b';
    for (const s of [startS, Math.min(spanEnd, startS + D * 50)]) {
      const x = s === spanEnd && spanEnd % D === 0 ? W - 1 : xOf(s);
      ctx.beginPath();
      ctx.moveTo(x, 0);
      ctx.lineTo(x, H);
      ctx.stroke();
    }
  }
}
