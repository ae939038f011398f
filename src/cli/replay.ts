// migreplay replay <trace> — replay a trace against one or more algorithms.
import type { Argv } from 'yargs';
import { algorithms, findAlgorithm } from '../algorithms/index.js';
import { MAX_ORACLE_PAGES } from '../algorithms/oracle.js';
import type { Algorithm } from '../algorithms/types.js';
import { fail, quoteName } from '../errors.js';
import { samplingIntervalUs } from '../run/replay.js';
import { replayAll } from '../run/replay.js';
import type { LinkParams, ReplayResult } from '../engine/types.js';
import { checkNotAnInput, checkWritable, writeFileAtomic } from '../io/files.js';
import { qmpDocument } from '../output/qmp.js';
import { formatOf } from '../io/tables/index.js';
import { encodeResults, resultsDocument, RESULTS_FORMATS, type ResultsDocument } from '../output/results.js';
import { formatDefault, paramKey } from '../params/index.js';
import { LINK_PARAMS, parseLink } from '../params/link.js';
import { formatRate } from '../units.js';
import { checkAlgoSpec, formatTable, loadTraceForReplays, pickKernel, sig } from './common.js';
import { checkPlotFile, noteWritten, writeReplayPlot } from './report.js';

/** Algorithms named by --algo: a comma list of ids, or 'all'. */
export function pickAlgorithms(spec: string): Algorithm[] {
  checkAlgoSpec(spec);
  if (spec.trim() === 'all') return [...algorithms];
  const picked: Algorithm[] = [];
  for (const id of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const a = findAlgorithm(id);
    if (!a) fail('unknown-algorithm', `--algo: unknown algorithm '${id}' (known: ${algorithms.map((x) => x.id).join(', ')}, all)`);
    if (!picked.includes(a)) picked.push(a);
  }
  if (picked.length === 0) fail('usage', '--algo: no algorithm named');
  return picked;
}

/** Every algorithm parameter as a command-line option (no yargs default: each algorithm has its own). */
export function addAlgorithmOptions<T>(y: Argv<T>): Argv<T> {
  const seen = new Map<string, string[]>();
  for (const a of algorithms) {
    for (const p of a.params) {
      const list = seen.get(p.name) ?? [];
      list.push(`${a.id} ${formatDefault(p)}`);
      seen.set(p.name, list);
    }
  }
  for (const a of algorithms) {
    for (const p of a.params) {
      if (!seen.has(p.name)) continue;
      y = y.option(p.name, { type: 'string', group: 'Algorithm parameters:', describe: `${p.doc} [default: ${seen.get(p.name)!.join(', ')}]` });
      seen.delete(p.name);
    }
  }
  return y;
}

/** The link options every replaying command takes (src/params/link.ts), and --kernel. */
export function addLinkOptions<T>(y: Argv<T>): Argv<T> {
  for (const p of LINK_PARAMS) {
    const dflt = formatDefault(p);
    // A choice lists its default first, as --help shows it.
    const choices = p.choices && [dflt, ...p.choices.filter((c) => c !== dflt)];
    y = y.option(p.name, choices ? { choices, default: dflt, describe: p.doc } : { type: 'string', default: dflt, describe: p.doc });
  }
  return y.option('kernel', { choices: ['wasm', 'js'] as const, default: 'wasm' as const, describe: 'kernel: the WebAssembly one or the TypeScript reference' });
}

/** The link from parsed options (keyed by CLI name; resumeMs also as its key). */
export function linkFrom(argv: { bandwidth?: string; start?: string; resumeMs?: string; 'resume-ms'?: string; 'within-epoch'?: string }): LinkParams {
  return parseLink({ bandwidth: argv.bandwidth, start: argv.start, 'resume-ms': argv['resume-ms'] ?? argv.resumeMs, 'within-epoch': argv['within-epoch'] });
}

/** The algorithm-parameter values given on the command line; each must belong to a picked algorithm. */
export function givenParams(argv: Record<string, unknown>, picked: readonly Algorithm[]): Record<string, string> {
  const given: Record<string, string> = {};
  for (const a of algorithms) for (const p of a.params) {
    const v = argv[p.name];
    if (v === undefined || given[paramKey(p.name)] !== undefined) continue;
    if (!picked.some((x) => x.params.some((q) => q.name === p.name))) {
      const owners = algorithms.filter((x) => x.params.some((q) => q.name === p.name)).map((x) => x.id);
      fail('usage', `--${p.name} applies to ${owners.join(', ')}, none of which --algo selects`);
    }
    given[paramKey(p.name)] = String(v);
  }
  return given;
}

function humanTable(doc: ResultsDocument): string {
  const head = `${quoteName(doc.trace.path)}: ${doc.trace.memPages} pages × ${doc.trace.pageSize} B, ${doc.trace.epochs} epochs, ${sig(doc.trace.durationS)} s; link ${formatRate(doc.link.bandwidthBytesPerS)}\n\n`;
  const rows = doc.results.map((r: ReplayResult) => {
    // The oracle's infeasible case is no migration: nothing to show but its reason.
    if (r.stopReason === 'infeasible') return [r.algorithm, '-', '-', '-', 'never', '-', '-', '-', r.stopReason];
    return [
      r.algorithm, r.pagesSent, sig(r.bytesSent / 2 ** 20), sig(r.totalTimeS), r.downtimeMs === null ? 'never' : sig(r.downtimeMs), r.iterations, sig(r.overheadRatio),
      r.oracle ? `${sig(r.oracle.timeRatio, 3)}${r.oracle.comparable ? '' : '*'}` : '-',
      r.stopReason + (r.wrapped ? ' (wrapped)' : ''),
    ];
  });
  let note = doc.results.some((r) => r.oracle && !r.oracle.comparable)
    ? '\n* changes the workload or what is migrated: the oracle bound does not apply to it\n'
    : '';
  if (doc.results.some((r) => r.wrapped && r.stopReason !== 'infeasible')) {
    note += `\n(wrapped): the migration outlasted the ${sig(doc.trace.durationS)} s trace, which was repeated from its start: the result measures the repeated trace\n`;
  }
  if (doc.results.some((r) => r.stopReason === 'infeasible')) {
    note += '\ninfeasible: no pre-copy schedule fits the downtime limit within --max-time on this trace and link\n';
  }
  const ranged = doc.results.filter((r) => r.withinEpochRange);
  if (ranged.length > 0) {
    const span = (x: [number, number] | null, f = (v: number) => String(sig(v))) => (x ? `${f(x[0])} – ${f(x[1])}` : 'never switches over under some rule');
    note += '\nRange over --within-epoch start, spread, whole (the trace is coarse for these rounds):\n';
    note += formatTable(
      ['algorithm', 'pages sent', 'total s', 'downtime ms', 'iters'],
      ranged.map((r) => [r.algorithm, span(r.withinEpochRange!.pagesSent, String), span(r.withinEpochRange!.totalTimeS), span(r.withinEpochRange!.downtimeMs), span(r.withinEpochRange!.iterations, String)]),
    );
  }
  return head + formatTable(['algorithm', 'pages sent', 'MiB sent', 'total s', 'downtime ms', 'iters', 'R_d', 'time/oracle', 'stop reason'], rows) + note;
}

/** Check --out before any work: a known extension, a folder that exists. */
export function checkResultsFile(file: string): void {
  formatOf(file, '--out', RESULTS_FORMATS);
  checkWritable(file);
}

/** Write results to --out by extension: .json, .csv or .arrow. */
export function writeResults(file: string, doc: ResultsDocument): void {
  writeFileAtomic(file, encodeResults(formatOf(file, '--out', RESULTS_FORMATS), doc));
}

/** QEMU's migration parameter names, accepted as aliases (docs/output.md#qemu-parameter-names). */
export const QEMU_ALIASES: Record<string, string> = {
  bandwidth: 'max-bandwidth',
  'throttle-initial': 'cpu-throttle-initial',
  'throttle-increment': 'cpu-throttle-increment',
  'throttle-max': 'max-cpu-throttle',
  'throttle-trigger': 'throttle-trigger-threshold',
};

/** --format, with --json as its shorthand; an option given twice (or with its QEMU alias) is a usage error. */
function outputFormat(argv: any): 'table' | 'json' | 'qmp' {
  for (const [name, alias] of Object.entries(QEMU_ALIASES)) {
    if (Array.isArray(argv[name])) fail('usage', `--${name} given more than once (--${alias} is its QEMU name)`);
  }
  if (argv.json && argv.format !== undefined && argv.format !== 'json') fail('usage', `--json and --format ${argv.format} contradict each other`);
  return argv.json ? 'json' : (argv.format ?? 'table');
}

export const replayCommand = {
  command: 'replay <trace>',
  describe: 'replay a trace against migration algorithms',
  builder: (y: Argv) =>
    addAlgorithmOptions(
      addLinkOptions(y.positional('trace', { type: 'string', demandOption: true, describe: 'trace file (Arrow IPC)' }))
        .option('algo', { type: 'string', default: 'all', describe: `algorithm ids, comma-separated, or all (${algorithms.map((a) => a.id).join(', ')})` })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON document instead of a table' })
        .option('format', { choices: ['table', 'json', 'qmp'] as const, describe: 'table (default), json (= --json), or qmp: per algorithm an object shaped like QEMU\'s query-migrate' })
        .option('out', { type: 'string', describe: 'also write the results to FILE (.json, .csv, .arrow)' })
        .option('plot', { type: 'string', describe: 'also draw the results to FILE (.svg or .png): pages sent, total time and downtime per algorithm, pages per round, distance to the oracle' }),
    ).alias(QEMU_ALIASES),
  async handler(argv: any) {
    const format = outputFormat(argv);
    if (argv.out) checkResultsFile(argv.out);
    if (argv.out) checkNotAnInput(argv.out, [argv.trace]);
    if (argv.plot) checkNotAnInput(argv.plot, [argv.trace], '--plot');
    if (argv.plot) checkPlotFile(argv.plot);
    const picked = pickAlgorithms(argv.algo);
    const link = linkFrom(argv);
    const params = givenParams(argv, picked);
    const kernel = pickKernel(argv.kernel);
    const trace = loadTraceForReplays(argv.trace);
    // The oracle distance is shown in the table and --json, not in --format qmp.
    const { results, coarse } = replayAll(trace, picked, kernel, { link, params, oracle: format !== 'qmp' });
    if (trace.meta.memPages > MAX_ORACLE_PAGES && picked.some((a) => a.family === 'precopy')) {
      process.stderr.write(`migreplay: warning: no oracle distances: ${trace.meta.memPages} pages is beyond what the oracle can track (at most ${MAX_ORACLE_PAGES})\n`);
    }
    if (coarse.length > 0) {
      process.stderr.write(
        `migreplay: warning: ${quoteName(trace.name)} is coarse for the rounds of ${coarse.join(', ')} ` +
          `(median round < 4 × the ${samplingIntervalUs(trace) / 1e3} ms sampling interval): their results depend on --within-epoch; ` +
          `the range over start, spread and whole is ${format === 'json' ? 'in withinEpochRange' : format === 'qmp' ? 'in --format json\'s withinEpochRange' : 'shown below the table'}\n`,
      );
    }
    const doc = resultsDocument(trace, { bandwidthBytesPerS: link.bandwidthBytesPerS, startS: link.startS, resumeMs: link.resumeMs }, results);
    const wrapped = results.filter((r) => r.wrapped && r.stopReason !== 'infeasible');
    if (wrapped.length > 0) {
      const longest = Math.max(...wrapped.map((r) => r.totalTimeS));
      process.stderr.write(
        `migreplay: warning: the migrations of ${wrapped.map((r) => r.algorithm).join(', ')} outlasted the ${sig(doc.trace.durationS)} s trace ` +
          `(up to ${sig(longest)} s): it was repeated from its start, so they measure the repeated trace\n`,
      );
    }
    if (argv.out) {
      writeResults(argv.out, doc);
      noteWritten(argv.out, `${doc.results.length} result${doc.results.length === 1 ? '' : 's'}`);
    }
    if (argv.plot) await writeReplayPlot(argv.plot, doc);
    process.stdout.write(format === 'table' ? humanTable(doc) : JSON.stringify(format === 'qmp' ? qmpDocument(doc) : doc, null, 2) + '\n');
  },
};
