// migreplay sweep — replay a grid (traces × algorithms × parameter values) on every core.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Argv } from 'yargs';
import { algorithms } from '../algorithms/index.js';
import { fail } from '../errors.js';
import { progressRenderer } from '../sweep/progress.js';
import { runSweep, type SweepStats } from '../sweep/run.js';
import { LINK_PARAMS } from '../params/link.js';
import { checkDistinctOutputs, checkNotAnInput, checkWritable } from '../io/files.js';
import { rateText } from '../plot/format.js';
import { readFleetPlan } from '../run/fleet-plan.js';
import { fleetCells, runFleetSweep } from '../sweep/fleet.js';
import { formatOf } from '../io/tables/index.js';
import { expandTraces } from '../sweep/grid.js';
import { checkAlgoSpec, formatTable, showProgress } from './common.js';
import { pickAlgorithms } from './replay.js';

function wholeNumber(what: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail('usage', `${what}: '${String(v)}' is not a whole number ≥ 1`);
  return n;
}

/** `sweep --plan`: the fleet under every combination of its knobs. */
async function fleetSweep(argv: any): Promise<void> {
  if (argv.share !== 'auto') fail('usage', '--share does not apply with --plan');
  for (const o of ['trace', 'rounds-out', 'shard', 'jobs'] as const) {
    if (argv[o] !== undefined) fail('usage', `--${o} does not apply with --plan (a fleet sweep varies the plan's policy, max-concurrent, by and bandwidth)`);
  }
  for (const o of ['resume', 'oracle'] as const) if (argv[o]) fail('usage', `--${o} does not apply with --plan`);
  if (argv.algo !== 'all') fail('usage', '--algo does not apply with --plan: each guest\'s algorithm is the plan\'s');
  const plan = readFleetPlan(String(argv.plan));
  plan.kernel ??= argv.kernel; // the plan's kernel, else --kernel
  const out = String(argv.out);
  const sets = ((argv.set as string[] | undefined) ?? []).map(String);
  formatOf(out);
  checkNotAnInput(out, [...plan.guests.map((g) => g.trace), String(argv.plan)], '--out');
  if (fs.existsSync(out) && !argv.overwrite && !fs.statSync(out).isCharacterDevice()) fail('usage', `--out ${out}: already exists; add --overwrite to replace it`);
  checkWritable(out);
  const cells = fleetCells(plan, sets);
  if (argv['dry-run']) {
    const text = `${cells.length} fleet${cells.length === 1 ? '' : 's'} of ${plan.guests.length} guest${plan.guests.length === 1 ? '' : 's'}; nothing run\n`;
    process.stdout.write(argv.json ? JSON.stringify({ fleets: cells.length, guests: plan.guests.length, out }, null, 2) + '\n' : text);
    return;
  }
  const t0 = Date.now();
  const r = await runFleetSweep({
    plan, sets, out,
    onCell: (i, n, c) => process.stderr.write(`migreplay: sweep: fleet ${i} of ${n}: ${c.policy}${c.maxConcurrent !== null ? `, max-concurrent ${c.maxConcurrent}` : ''}${c.by !== null ? `, by ${c.by}` : ''}, ${rateText(c.bandwidthBytesPerS)}\n`),
  });
  const seconds = (Date.now() - t0) / 1000;
  process.stdout.write(argv.json ? JSON.stringify({ fleets: r.fleets, guests: plan.guests.length, out, seconds }, null, 2) + '\n' : `sweep: ${r.fleets} fleet${r.fleets === 1 ? '' : 's'} of ${plan.guests.length} guests in ${seconds.toFixed(2)} s → ${out}\n`);
}

function summary(s: SweepStats, dryRun: boolean): string {
  const shard = s.shardRuns !== s.gridRuns ? ` (this shard's ${s.shardRuns} of a ${s.gridRuns}-run grid)` : '';
  if (dryRun) {
    const rows = Object.entries(s.perAlgorithm).map(([a, n]) => [a, n]);
    const todo = s.shardRuns - s.alreadyDone;
    return `${s.shardRuns} run${s.shardRuns === 1 ? '' : 's'}${shard} over ${s.traces.length} trace${s.traces.length === 1 ? '' : 's'}; ${s.alreadyDone} already in ${s.out}, ${todo} to run\n\n`
      + formatTable(['algorithm', 'runs'], rows);
  }
  const already = s.alreadyDone > 0 ? `, ${s.alreadyDone} already there` : '';
  const rate = s.ran > 0 ? ` in ${s.seconds.toFixed(2)} s (${s.runsPerSecond.toFixed(1)} runs/s, ${s.jobs} job${s.jobs === 1 ? '' : 's'})` : '';
  return `sweep: ${s.ran} run${s.ran === 1 ? '' : 's'}${shard}${rate}${already} → ${s.out}${s.roundsOut ? ` (rounds: ${s.roundsOut})` : ''}\n`;
}

export const sweepCommand = {
  command: 'sweep',
  describe: 'replay every combination of traces, algorithms and parameter values, on every core',
  builder: (y: Argv) =>
    y
      .option('trace', { type: 'string', array: true, describe: 'trace files or globs (* ? [..]), any number [required, unless --plan]' })
      .option('plan', { type: 'string', describe: 'a fleet plan (docs/fleet.md): replay the fleet once per combination of --set policy=…, max-concurrent=…, by=…, bandwidth=… (the shared link); one row per fleet' })
      .option('algo', { type: 'string', default: 'all', describe: `algorithm ids, comma-separated, or all (${algorithms.map((a) => a.id).join(', ')})` })
      .option('set', {
        type: 'string', array: true,
        describe: `vary a parameter: name=v1,v2,… with units, or ranges a..b*factor (geometric), a..b+step (arithmetic); repeat for more. Names: any algorithm parameter, or ${LINK_PARAMS.map((p) => p.name).join(', ')}`,
      })
      .option('out', { type: 'string', demandOption: true, describe: 'results, one row per run: .arrow (Arrow IPC stream), .parquet, .csv, .jsonl, .json, .feather' })
      .option('rounds-out', { type: 'string', describe: 'the per-round table, keyed by runId (same formats)' })
      .option('jobs', { type: 'string', describe: `worker threads [default: the number of cores, ${os.availableParallelism()}]` })
      .option('shard', { type: 'string', describe: 'i/n: run only shard i (0 … n−1) of the grid, by runId hash' })
      .option('resume', { type: 'boolean', default: false, describe: 'skip the runs already in --out and append the rest' })
      .option('overwrite', { type: 'boolean', default: false, describe: 'replace an existing --out instead of refusing' })
      .option('oracle', { type: 'boolean', default: false, describe: "also compute each pre-copy run's distance from the clairvoyant oracle (oracle* columns; slower)" })
      .option('batch', { type: 'string', default: '1000', describe: 'write a batch every N finished runs (and at least every second)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the summary (runs, already done, time, rate, per algorithm) as one JSON document' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'count the runs (per algorithm, already done), replay nothing' })
      .option('share', { choices: ['auto', 'bytes', 'decoded'] as const, default: 'auto' as const, describe: 'how workers get the traces: decoded once into shared memory (fast), the file bytes (each run decodes), or auto: decoded when it fits in the memory budget (--memory)' })
      .option('kernel', { choices: ['wasm', 'js'] as const, default: 'wasm' as const, describe: 'kernel: the WebAssembly one or the TypeScript reference' })
      .example('$0 sweep --trace "traces/*.arrow" --algo precopy,xen,qemu --set bandwidth=100Mbit..10Gbit*2 --out sweep.arrow', '3 algorithms × 7 bandwidths on every shipped trace')
      .example('$0 sweep --plan drain.yaml --set policy=sequential,parallel --set max-concurrent=1..4+1 --out fleets.csv', 'a fleet under 2 policies × 4 limits')
      .example('$0 sweep --trace t.arrow --set max-iters=5..30+5 --set bandwidth=1Gbit,10Gbit --out s.parquet --shard 0/4', 'the first quarter of a grid'),
  async handler(argv: any) {
    if (argv.plan !== undefined) return fleetSweep(argv);
    if (argv.trace === undefined) fail('usage', 'sweep: give --trace (traces × algorithms × parameters) or --plan (a fleet × its policies)');
    const dryRun = Boolean(argv['dry-run']);
    checkAlgoSpec(String(argv.algo));
    // Before any work (and before --overwrite replaces anything): no output is an input, nor the other output.
    const inputs = expandTraces((argv.trace as unknown[]).map(String));
    checkNotAnInput(String(argv.out), inputs, '--out');
    if (argv['rounds-out'] !== undefined) {
      checkNotAnInput(String(argv['rounds-out']), inputs, '--rounds-out');
      checkDistinctOutputs(String(argv.out), '--out', String(argv['rounds-out']), '--rounds-out');
    }
    // A signal (Ctrl-C, a scheduler's SIGTERM): the sweep writes what has finished, then
    // the process exits (or the handler that removes unfinished outputs does).
    const stop = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      stop.abort();
      if (process.listenerCount(signal) === 0) process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    const signals = ['SIGINT', 'SIGTERM'] as const;
    for (const s of signals) process.prependOnceListener(s, onSignal);
    const stats = await runSweep({
      traces: argv.trace as string[],
      algorithms: pickAlgorithms(String(argv.algo)),
      sets: ((argv.set as string[] | undefined) ?? []).map(String),
      out: String(argv.out),
      roundsOut: argv['rounds-out'] === undefined ? undefined : String(argv['rounds-out']),
      jobs: wholeNumber('--jobs', argv.jobs),
      shard: argv.shard === undefined ? undefined : String(argv.shard),
      resume: Boolean(argv.resume),
      overwrite: Boolean(argv.overwrite),
      oracle: Boolean(argv.oracle),
      batchRows: wholeNumber('--batch', argv.batch),
      kernel: argv.kernel,
      share: argv.share,
      dryRun,
    }, { onProgress: progressRenderer(showProgress()), signal: stop.signal }).finally(() => {
      for (const s of signals) process.removeListener(s, onSignal);
    });
    process.stdout.write(argv.json ? JSON.stringify(stats, null, 2) + '\n' : summary(stats, dryRun));
  },
};
