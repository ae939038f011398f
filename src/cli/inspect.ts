// migreplay inspect <trace> — what a trace holds.
import type { Argv } from 'yargs';
import { quoteName } from '../errors.js';
import { traceStats, type TraceStats } from '../trace/inspect.js';
import { formatTable, loadTrace, pickKernel, sig } from './common.js';
import { checkPlotFile, writeTracePlot } from './report.js';

/** A mean of page counts beside whole counts: whole pages from 1000 on (4 significant digits could round a mean past its max). */
const count = (v: number): string | number => (Math.abs(v) >= 1000 ? Math.round(v) : sig(v));

function human(s: TraceStats): string {
  const lines = [
    `trace        ${quoteName(s.path)}`,
    `memory       ${s.memPages} pages × ${s.pageSize} B = ${sig(s.memBytes / 2 ** 20)} MiB`,
    `epochs       ${s.epochs} over ${sig(s.durationS)} s (interval ${s.intervalUs ?? '?'} µs)`,
    `events       ${s.events} page writes`,
    `source       ${s.source ?? '?'}${s.workload ? ` (${s.workload})` : ''}`,
    `dirty/epoch  mean ${count(s.dirtyPerEpoch.mean)}, p50 ${s.dirtyPerEpoch.p50}, p99 ${s.dirtyPerEpoch.p99}, max ${s.dirtyPerEpoch.max}`,
    `distinct     ${s.distinctPages} pages dirtied at least once (${sig((100 * s.distinctPages) / s.memPages, 3)} % of memory)`,
    `columns      pages${s.hasComm ? ', comm_pages' : ''}${s.hasImmp ? ', immp_pages' : ''}`,
    '',
    'writable working set (distinct pages dirtied per window):',
  ];
  const table = formatTable(['window s', 'windows', 'mean pages', 'max pages'], s.workingSet.map((w) => [w.windowS, w.windows, count(w.meanPages), w.maxPages]));
  return lines.join('\n') + '\n' + table;
}

export const inspectCommand = {
  command: 'inspect <trace>',
  describe: 'summarise a trace: size, epochs, dirty pages per epoch, working set',
  builder: (y: Argv) =>
    y.positional('trace', { type: 'string', demandOption: true, describe: 'trace file (Arrow IPC)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .option('kernel', { choices: ['wasm', 'js'] as const, default: 'wasm' as const, describe: 'kernel used for the bitmaps' })
      .option('plot', { type: 'string', describe: 'draw the trace to FILE (.svg or .png): page × time heat map, dirty pages per epoch, writable working set' }),
  async handler(argv: any) {
    if (argv.plot) checkPlotFile(argv.plot);
    const trace = loadTrace(argv.trace);
    const kernel = pickKernel(argv.kernel);
    const stats = traceStats(trace, kernel);
    if (argv.plot) await writeTracePlot(argv.plot, trace, kernel);
    process.stdout.write(argv.json ? JSON.stringify(stats, null, 2) + '\n' : human(stats));
  },
};
