// migreplay fleet <traces..> | --plan FILE — several guests migrating over one shared link.
import * as fs from 'node:fs';
import type { Argv, Options } from 'yargs';
import { algorithms, findAlgorithm } from '../algorithms/index.js';
import { fail } from '../errors.js';
import { checkNotAnInput, checkWritable, writeFileAtomic } from '../io/files.js';
import { fleetDocument, fleetMetadata, fleetRows, FLEET_COLUMNS } from '../output/fleet.js';
import { runFleet, type FleetOrderBy, type FleetPlan, type FleetPolicy, type FleetResult } from '../run/fleet.js';
import { readFleetPlan } from '../run/fleet-plan.js';
import { formatOf, writeTable } from '../io/tables/index.js';
import { jsonText } from '../io/tables/json.js';
import { formatDefault, type ParamSpec } from '../params/index.js';
import { FLEET_PARAMS, GUEST_PARAMS, parseFleetValue } from '../params/fleet.js';
import { formatRate } from '../units.js';
import { formatTable, sig } from './common.js';
import { checkPlotFile, noteWritten } from './report.js';
import { addAlgorithmOptions, givenParams } from './replay.js';

const EXAMPLE = 'migreplay fleet traces/xz6.arrow traces/sort.arrow traces/redis_bench.arrow --algo qemu --bandwidth 10Gbit --policy parallel';

// Options that describe the guests given on the command line; a plan file says them per guest.
const GUEST_OPTIONS = ['algo', ...Object.keys(GUEST_PARAMS).filter((k) => k !== 'not-before')];

function tableText(f: FleetResult): string {
  const n = f.guests.length;
  const head = `fleet: ${n} guest${n === 1 ? '' : 's'}, ${f.policy}${f.policy.endsWith('-first') ? ` by ${f.by}` : ''}, ${f.maxConcurrent >= n ? 'all' : f.maxConcurrent} at once; link ${formatRate(f.link.bandwidthBytesPerS)}\n\n`;
  const rows = f.guests.map((g) => {
    const r = g.result;
    return [g.name, g.algorithm, sig(g.beginS), sig(g.endS), r.pagesSent, sig(r.bytesSent / 2 ** 20), sig(r.totalTimeS), r.downtimeMs === null ? 'never' : sig(r.downtimeMs), r.iterations, r.stopReason + (r.wrapped ? ' (wrapped)' : '')];
  });
  const dt = (v: number | null): string => (v === null ? 'none switched over' : `${sig(v)} ms`);
  let foot = `\nmakespan ${sig(f.makespanS)} s (first begin to last switch-over), mean switch-over ${sig(f.meanSwitchOverS)} s; ${sig(f.bytesSent / 2 ** 20)} MiB sent; downtime worst ${dt(f.worstDowntimeMs)}, mean ${dt(f.meanDowntimeMs)}\n`;
  if (f.unfinished > 0) foot += `${f.unfinished} guest${f.unfinished === 1 ? '' : 's'} never switched over (cut off at max-time): downtime "never"\n`;
  if (f.guests.some((g) => g.result.wrapped)) foot += '(wrapped): the migration outlasted its trace, which was repeated from its start\n';
  return head + formatTable(['guest', 'algorithm', 'begin s', 'end s', 'pages sent', 'MiB sent', 'total s', 'downtime ms', 'iters', 'stop reason'], rows) + foot;
}

/** The plan the command line describes: --plan FILE, or the traces with the guest options. */
function planFrom(argv: any): FleetPlan {
  const traces: string[] = argv.traces ?? [];
  let plan: FleetPlan;
  if (argv.plan !== undefined) {
    if (traces.length > 0) fail('usage', `fleet: give the guests either as traces or in --plan ${argv.plan}, not both`);
    const picked = algorithms.filter((a) => a.params.some((p) => argv[p.name] !== undefined));
    const guestOption = GUEST_OPTIONS.find((o) => argv[o] !== undefined) ?? (picked.length > 0 ? picked[0]!.params.find((p) => argv[p.name] !== undefined)!.name : undefined);
    if (guestOption) fail('usage', `fleet: --${guestOption} describes guests: with --plan, set it per guest (or under defaults:) in the plan file`);
    plan = readFleetPlan(argv.plan);
  } else {
    if (traces.length === 0) fail('usage', `fleet: name the guests' traces, or a plan file with --plan (e.g. ${EXAMPLE})`);
    const algo = argv.algo ?? 'qemu';
    const alg = findAlgorithm(algo);
    if (!alg) fail('unknown-algorithm', `--algo: unknown algorithm '${algo}' (known: ${algorithms.map((a) => a.id).join(', ')})`);
    const params = givenParams(argv, [alg]);
    const value = (k: keyof typeof GUEST_PARAMS): number | string | undefined => (argv[k] === undefined ? undefined : parseFleetValue(GUEST_PARAMS[k], argv[k]));
    const cap = value('max-bandwidth') as number | undefined;
    const startS = value('start') as number | undefined;
    const resumeMs = value('resume-ms') as number | undefined;
    plan = {
      bandwidthBytesPerS: FLEET_PARAMS.bandwidth.default as number,
      policy: FLEET_PARAMS.policy.default as FleetPolicy,
      guests: traces.map((trace) => ({
        trace, algorithm: alg.id, params,
        ...(cap !== undefined ? { maxBandwidthBytesPerS: cap } : {}),
        ...(startS !== undefined ? { startS } : {}),
        ...(resumeMs !== undefined ? { resumeMs } : {}),
        ...(argv['within-epoch'] !== undefined ? { withinEpoch: argv['within-epoch'] } : {}),
      })),
    };
  }
  // The fleet's own options override the plan's.
  const value = (k: keyof typeof FLEET_PARAMS): number | string | undefined => (argv[k] === undefined ? undefined : parseFleetValue(FLEET_PARAMS[k], argv[k]));
  if (argv.bandwidth !== undefined) plan.bandwidthBytesPerS = value('bandwidth') as number;
  if (argv.policy !== undefined) plan.policy = value('policy') as FleetPolicy;
  if (argv.by !== undefined) plan.by = value('by') as FleetOrderBy;
  if (argv.kernel !== undefined) plan.kernel = argv.kernel;
  if (argv['max-concurrent'] !== undefined) plan.maxConcurrent = value('max-concurrent') as number;
  if (plan.by !== undefined && !plan.policy.endsWith('-first')) fail('usage', `--by orders shortest-first and largest-first; policy ${plan.policy} keeps the given order`);
  return plan;
}

/** yargs options of fleet parameters (no yargs defaults: a plan's values stand unless an option is given). */
function fleetOptions(specs: Record<string, ParamSpec>, note: string, skip: readonly string[] = []): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const [name, p] of Object.entries(specs)) {
    if (skip.includes(name)) continue;
    const dflt = formatDefault(p);
    const describe = `${p.doc}${dflt ? ` [default: ${dflt}, ${note}]` : ''}`;
    out[name] = p.choices ? { choices: p.choices, describe } : { type: 'string', describe };
  }
  return out;
}

/** Check --out before any work: a table format or .json. */
function checkOut(file: string): void {
  if (!file.endsWith('.json')) formatOf(file);
  checkWritable(file);
}

export const fleetCommand = {
  command: 'fleet [traces..]',
  describe: 'migrate several guests over one shared link (docs/fleet.md)',
  builder: (y: Argv) =>
    addAlgorithmOptions(
      y.positional('traces', { type: 'string', array: true, describe: 'one trace file per guest (Arrow IPC); or give --plan' })
        .option('plan', { type: 'string', describe: 'a plan file (.json, .yaml): the link, the policy and each guest with its own algorithm and parameters (docs/fleet.md#plan-files)' })
        .options(fleetOptions(FLEET_PARAMS, "or the plan's"))
        .option('algo', { type: 'string', describe: `the guests' algorithm: one pre-copy id (${algorithms.filter((a) => a.family === 'precopy').map((a) => a.id).join(', ')}) [default: qemu]` })
        .options(fleetOptions(GUEST_PARAMS, 'for every guest', ['not-before']))
        .option('kernel', { choices: ['wasm', 'js'] as const, describe: 'kernel of every guest [default: wasm]' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON document instead of a table' })
        .option('out', { type: 'string', describe: 'also write the results to FILE: .json (the document) or one row per guest in .csv, .arrow, .parquet, .jsonl' })
        .option('plot', { type: 'string', describe: 'also draw the timeline to FILE (.svg or .png): each guest\'s rounds and stop-and-copy, and the link\'s shares' })
        .example(EXAMPLE, 'three guests at once over a 10 Gbit/s link, each up to the whole link'),
    ),
  async handler(argv: any) {
    const plan = planFrom(argv);
    const inputs = plan.guests.map((g) => g.trace);
    if (argv.plan) inputs.push(argv.plan);
    if (argv.out) { checkOut(argv.out); checkNotAnInput(argv.out, inputs); }
    if (argv.plot) { checkPlotFile(argv.plot); checkNotAnInput(argv.plot, inputs, '--plot'); }
    if (argv.out && argv.plot && fs.existsSync(argv.out) && argv.out === argv.plot) fail('usage', '--out and --plot name the same file');
    const fleet = await runFleet(plan, { onProgress: (done, total) => process.stderr.write(`migreplay: fleet: ${done} of ${total} guests switched over\n`) });
    const doc = fleetDocument(fleet);
    if (argv.out) {
      if (argv.out.endsWith('.json')) writeFileAtomic(argv.out, jsonText(doc));
      else await writeTable(argv.out, formatOf(argv.out), FLEET_COLUMNS, fleetRows(fleet), fleetMetadata(fleet));
      noteWritten(argv.out, `${fleet.guests.length} guest${fleet.guests.length === 1 ? '' : 's'}`);
    }
    if (argv.plot) {
      const { fleetPlotSvg } = await import('../plot/fleet.js');
      const { renderPlotFile } = await import('../plot/index.js');
      renderPlotFile(argv.plot, await fleetPlotSvg(fleet));
      noteWritten(argv.plot);
    }
    process.stdout.write(argv.json ? JSON.stringify(doc, null, 2) + '\n' : tableText(fleet));
  },
};
