// migreplay report <results…> --out report.html — one self-contained HTML report; and
// the plot files of `replay --plot` and `inspect --plot`. The chart libraries are
// loaded only when a chart is drawn, so other commands start as fast as before.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { fail, MigreplayError, quoteName } from '../errors.js';
import { checkWritable, distinctFiles, fileSource, writeFileAtomic } from '../io/files.js';
import type { Kernel } from '../kernel/types.js';
import type { ResultsDocument } from '../output/results.js';
import { openTrace, type Trace } from '../trace/read.js';
import { pickKernel } from './common.js';

/** A file size for a one-line note: 812 B, 412 KiB, 3.4 MiB. */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 2 ** 20) return `${Math.round(bytes / 1024)} KiB`;
  if (bytes < 2 ** 30) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** The one stderr line of a command that has written a file: `migreplay: wrote FILE (DETAIL, SIZE)`. Call it once the file is in place. */
export function noteWritten(file: string, detail?: string): void {
  let size = '';
  try {
    size = sizeText(fs.statSync(file).size);
  } catch { /* a device or a file already gone: no size */ }
  const inside = [detail, size].filter(Boolean).join(', ');
  process.stderr.write(`migreplay: wrote ${quoteName(file)}${inside ? ` (${inside})` : ''}\n`);
}

const charts = (n: number): string => `${n} chart${n === 1 ? '' : 's'}`;

/** Fail (usage, exit 2) unless a plot file name ends in .svg or .png; call it before any work is done. */
export function checkPlotFile(file: string, option = '--plot'): void {
  if (!/\.(svg|png)$/i.test(file)) fail('usage', `${option}: '${file}' must end in .svg or .png`);
  checkWritable(file); // before any work, as for every output
}

/** `replay --plot FILE.svg|png`: the per-algorithm bar charts, pages sent and dirtied per round, and the oracle distance. */
export async function writeReplayPlot(file: string, doc: ResultsDocument): Promise<void> {
  checkPlotFile(file);
  const { replayPlotSvg, renderPlotFile } = await import('../plot/index.js');
  renderPlotFile(file, await replayPlotSvg(doc));
  noteWritten(file);
}

/** `inspect --plot FILE.svg|png`: the page × time heat map, dirty pages per epoch and the writable-working-set curve, stacked. */
export async function writeTracePlot(file: string, trace: Trace, kernel: Kernel): Promise<void> {
  checkPlotFile(file);
  const { heatmapSvg, tracePlotSvgs, renderPlotFile } = await import('../plot/index.js');
  const svgs = [await heatmapSvg(trace, kernel), ...(await tracePlotSvgs(trace, kernel))];
  renderPlotFile(file, svgs);
  noteWritten(file, charts(svgs.length));
}

/**
 * How the report opens a trace the results name: a --trace file with that path or file
 * name first, then the path as written (from the current folder), then from the folder
 * of each results file. The first error is the one reported.
 */
export function traceOpener(given: readonly string[], resultsFiles: readonly string[]): (name: string) => Trace {
  return (name) => {
    const candidates = [
      ...given.filter((g) => path.resolve(g) === path.resolve(name)),
      ...given.filter((g) => path.basename(g) === path.basename(name)),
      name,
      ...(path.isAbsolute(name) ? [] : resultsFiles.map((r) => path.join(path.dirname(r), name))),
    ];
    let first: unknown;
    for (const c of [...new Set(candidates)]) {
      try {
        const t = openTrace(fileSource(c));
        return { ...t, name }; // named as the results name it, so charts and sections agree
      } catch (e) {
        if (!(e instanceof MigreplayError)) throw e;
        first ??= e;
      }
    }
    throw first;
  };
}

export const reportCommand = {
  command: 'report <results..>',
  describe: 'write one self-contained HTML report (charts inline) of replay or sweep results',
  builder: (y: Argv) =>
    // default: undefined keeps yargs from showing an array positional as "[required] [default: []]".
    y.positional('results', { type: 'string', array: true, demandOption: true, default: undefined, describe: 'results: .json (replay --json / --out), .arrow, .feather, .parquet, .jsonl, .csv (sweep --out)' })
      .option('out', { type: 'string', demandOption: true, describe: 'the HTML file to write (.html)' })
      .option('title', { type: 'string', describe: 'the report\'s title' })
      .option('trace', { type: 'string', describe: 'a trace file for the trace summary, when the path the results name does not open from here (repeat for more)' })
      .option('kernel', { choices: ['wasm', 'js'] as const, default: 'wasm' as const, describe: 'kernel for the trace statistics' }),
  async handler(argv: any) {
    const out = String(argv.out);
    if (!/\.html?$/i.test(out)) fail('usage', `--out: '${out}' must end in .html`);
    const files = distinctFiles((argv.results as unknown[]).map(String)); // a file named twice gives its rows once
    const kernel = pickKernel(argv.kernel);
    const { readReportInput } = await import('../report/inputs.js');
    const inputs = [];
    for (const f of files) inputs.push(...(await readReportInput(f)));
    const { buildReport } = await import('../report/html.js');
    const given: string[] = (argv.trace === undefined ? [] : Array.isArray(argv.trace) ? argv.trace : [argv.trace]).map(String);
    const html = await buildReport({ results: inputs, kernel, openTrace: traceOpener(given, files), ...(argv.title ? { title: String(argv.title) } : {}) });
    writeFileAtomic(out, html);
    noteWritten(out, charts(html.split('<figure class="chart"').length - 1));
  },
};
