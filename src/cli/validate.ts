// migreplay validate qemu — a real QEMU live migration on this machine beside the
// replay of its own recorded page writes by the matching model (docs/validation.md);
// --battery runs every workload of src/validate/battery.ts several times.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { fail, MigreplayError } from '../errors.js';
import { fileSource } from '../io/files.js';
import { createKernel } from '../kernel/node.js';
import { openTrace } from '../trace/read.js';
import { parseDuration, parseRate, parseSize } from '../units.js';
import { BATTERY, batteryFolders, formatBattery, missedGoals, runFolderName, summarize, type BatteryRun } from '../validate/battery.js';
import { compareRun, UNTHROTTLED_BANDWIDTH, type CompareOptions, type Comparison } from '../validate/compare.js';
import { cacheDir, DOWNLOAD_ESTIMATE, ensureSetup, makeDirs, type QemuSetup } from '../validate/install.js';
import { recordRun, type GuestWorkload, type RunRecord, type ValidateOptions } from '../validate/run.js';
import { formatTable, sig } from './common.js';

/** Compare a recorded run folder (record.json + guest.arrow). */
export function compareFolder(dir: string, o: CompareOptions = {}): Comparison {
  const file = path.join(dir, 'record.json');
  if (!fs.existsSync(file)) fail('file-missing', `${file}: no such recorded run`);
  let record: RunRecord;
  try {
    record = JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord;
  } catch (e) {
    fail('file-unreadable', `${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const tracePath = path.join(dir, record.trace);
  if (!fs.existsSync(tracePath)) fail('file-missing', `${tracePath}: the run's guest trace is missing`);
  const trace = openTrace(fileSource(tracePath));
  return compareRun(record, trace, createKernel('wasm'), o);
}

/** Compare every run of a battery folder again (no QEMU). */
export function compareBattery(dir: string, o: CompareOptions = {}): BatteryRun[] {
  const folders = batteryFolders(dir);
  if (folders.length === 0) fail('file-missing', `${dir}: no run folders (<workload>-<n>/record.json) in it`);
  return folders.map(([workload, index, name]) => {
    try {
      return { workload, index, dir: name, comparison: compareFolder(path.join(dir, name), o) };
    } catch (e) {
      return { workload, index, dir: name, error: (e as Error).message.split('\n')[0]! };
    }
  });
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`);

/** The human table of one run. */
export function formatComparison(c: Comparison): string {
  const r = c.real, p = c.predicted, e = c.error;
  const rows: (string | number)[][] = [
    ['status', r.status, p.status, e['same-verdict'] ? 'same verdict' : 'DIFFERENT verdict'],
    ['total-time ms', r['total-time'], p['total-time'], pct(e['total-time'])],
    ['downtime ms', r.downtime ?? '–', p.downtime ?? '–', e['downtime-ms'] === null || e['downtime-ms'] === undefined ? '–' : `${e['downtime-ms'] >= 0 ? '+' : ''}${sig(e['downtime-ms'], 3)} ms (${pct(e.downtime)})`],
    ['transferred MB', sig(r.transferred / 1e6), sig(p.transferred / 1e6), pct(e.transferred)],
    ['normal pages', r.normal ?? '–', p.normal ?? '–', ''],
    ['zero pages (duplicate)', r.duplicate ?? '–', p.duplicate ?? '–', ''],
    ['dirty-sync-count', r['dirty-sync-count'], p['dirty-sync-count'], `${e['dirty-sync-count'] >= 0 ? '+' : ''}${e['dirty-sync-count']}`],
    ['throttle steps (max %)', `${r['throttle-steps']} (${r['cpu-throttle-max']} %)`, `${p['throttle-steps']} (${p['cpu-throttle-max']} %)`, `${e['throttle-steps'] >= 0 ? '+' : ''}${e['throttle-steps']}`],
  ];
  if (r['postcopy-requests'] !== undefined) rows.push(['postcopy-requests / remote faults', r['postcopy-requests'], p['postcopy-requests'] ?? '–', pct(e['postcopy-requests'])]);
  const g = c.goals;
  const goals = Object.entries(g).filter(([k]) => k !== 'all').map(([k, v]) => `${k} ${v ? 'ok' : 'MISSED'}`).join(', ');
  return formatTable(['', 'real QEMU', `predicted (${p.result.algorithm})`, 'error'], rows) + `goals: ${goals}\n`;
}

/** The battery's table with a line per workload saying which goals its runs missed. */
export function formatBatteryReport(runs: BatteryRun[]): string {
  const sums = summarize(runs);
  let out = formatBattery(sums);
  const notes = sums.map((s) => [s.workload, missedGoals(s)] as const).filter(([, m]) => m);
  if (notes.length) out += '\nmissed (runs meeting the goal / runs): ' + notes.map(([w, m]) => `${w}: ${m}`).join('; ') + '\n';
  for (const r of runs) if (r.error) out += `${r.dir}: failed: ${r.error}\n`;
  return out;
}

const int = (name: string, v: unknown, min: number): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) fail('usage', `--${name}: a whole number ≥ ${min}`);
  return n;
};

/** Options of one run from the command line. */
function singleRunOptions(argv: Record<string, unknown>): Omit<ValidateOptions, 'dir' | 'log'> {
  const dl = String(argv['downtime-limit']);
  const downtimeLimitMs = Math.round(/^[0-9.]+$/.test(dl) ? Number(dl) : parseDuration('--downtime-limit', dl) * 1000);
  const mem = parseSize('--guest-mem', String(argv['guest-mem']));
  const dirty = parseSize('--mem', String(argv.mem));
  const hot = Number(argv['hot-pages']);
  const wpm = Number(argv['writes-per-ms']);
  if (!(mem >= 64 << 20) || mem % (1 << 20)) fail('usage', '--guest-mem: at least 64MiB, whole MiB');
  if (!(dirty >= 1 << 20) || dirty > mem - (48 << 20)) fail('usage', '--mem: 1 MiB … guest memory − 48 MiB (the guest kernel needs room)');
  if (!Number.isSafeInteger(hot) || hot < 1 || !Number.isSafeInteger(wpm) || wpm < 0) fail('usage', '--hot-pages and --writes-per-ms are whole numbers');
  const postcopy = argv.postcopy === undefined ? undefined : int('postcopy', argv.postcopy, 0);
  if (postcopy !== undefined && argv['auto-converge']) fail('usage', '--postcopy and --auto-converge: choose one');
  return {
    workload: String(argv.workload) as GuestWorkload,
    memMiB: mem >> 20,
    dirtyMiB: Math.floor(dirty / (1 << 20)),
    hotPages: hot,
    writesPerMs: wpm,
    bandwidth: parseRate('--bandwidth', String(argv.bandwidth)),
    downtimeLimitMs,
    autoConverge: Boolean(argv['auto-converge']),
    ...(postcopy !== undefined ? { postcopyAfterSyncs: postcopy, postcopyBandwidth: String(argv['postcopy-bandwidth']) === '0' ? 0 : parseRate('--postcopy-bandwidth', String(argv['postcopy-bandwidth'])) } : {}),
    ...(argv.accel === 'kvm' ? { accel: 'kvm' as const } : {}),
    timeoutS: parseDuration('--timeout', String(argv.timeout)),
  };
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');
const mmss = (ms: number) => `${Math.floor(ms / 60000)}m${String(Math.round((ms % 60000) / 1000)).padStart(2, '0')}s`;

async function runBattery(dir: string, repeat: number, only: string[] | undefined, o: CompareOptions, log: (s: string) => void, setup: QemuSetup): Promise<BatteryRun[]> {
  const workloads = only ? BATTERY.filter((b) => only.includes(b.name)) : BATTERY;
  makeDirs(dir, 'the battery folder');
  const total = workloads.length * repeat;
  const runs: BatteryRun[] = [];
  const began = Date.now();
  const write = () => {
    const doc = {
      command: `migreplay validate qemu --battery --repeat ${repeat}${only ? ` --only ${only.join(',')}` : ''}`,
      qemu: setup.qemuVersion,
      qemuPackage: setup.qemuPackage,
      started: new Date(began).toISOString(),
      elapsedS: Math.round((Date.now() - began) / 1000),
      workloads: workloads.map((w) => ({ name: w.name, about: w.about, options: w.options })),
      summary: summarize(runs),
      runs,
    };
    fs.writeFileSync(path.join(dir, 'battery.json'), JSON.stringify(doc, null, 1) + '\n');
  };
  let k = 0;
  // Rounds: every workload once, then again, so a battery cut short still has every workload.
  for (let i = 0; i < repeat; i++) {
    for (const w of workloads) {
      k++;
      const name = runFolderName(w.name, i);
      const elapsed = Date.now() - began;
      const eta = k > 1 ? ` ~${mmss((elapsed / (k - 1)) * (total - k + 1))} left` : '';
      log(`battery: run ${k}/${total}: ${w.name} #${i + 1} (${w.about}); ${mmss(elapsed)} elapsed${eta}`);
      const runDir = path.join(dir, name);
      try {
        await recordRun(setup, { ...w.options, dir: runDir, log: (s) => log(`  ${name}: ${s}`) });
        const c = compareFolder(runDir, o);
        runs.push({ workload: w.name, index: i, dir: name, comparison: c });
        log(`  ${name}: bytes ${pct(c.error.transferred)}, total-time ${pct(c.error['total-time'])}, downtime ${c.real.downtime ?? '–'} / ${c.predicted.downtime ?? '–'} ms, syncs ${c.real['dirty-sync-count']} / ${c.predicted['dirty-sync-count']}${c.real['postcopy-requests'] !== undefined ? `, requests ${c.real['postcopy-requests']} / ${c.predicted['postcopy-requests']}` : ''}; goals ${c.goals.all ? 'met' : 'missed'}`);
      } catch (e) {
        const msg = (e as Error).message.split('\n')[0]!;
        runs.push({ workload: w.name, index: i, dir: name, error: msg });
        log(`  ${name}: failed: ${msg}`);
        // The machine cannot run QEMU at all: stop rather than fail every run the same way.
        if (e instanceof MigreplayError && e.code === 'capture-unavailable') {
          write();
          throw e;
        }
      }
      write();
    }
  }
  log(`battery: ${total} runs in ${mmss(Date.now() - began)}; ${path.join(dir, 'battery.json')}`);
  return runs;
}

export const validateCommand = {
  command: 'validate <target>',
  describe: `migrate a real QEMU guest on this machine and compare it with the replay of its recorded page writes (first run: downloads QEMU 10 from Debian, ${DOWNLOAD_ESTIMATE}, into the cache)`,
  builder: (y: Argv) =>
    y
      .positional('target', { type: 'string', choices: ['qemu'], describe: 'what to validate against (qemu)' })
      .option('workload', { choices: ['dirtier', 'xz', 'sqlite', 'perl'], default: 'dirtier', describe: 'what runs in the guest: the synthetic dirtier, or a real program in a loop' })
      .option('mem', { type: 'string', default: '64MiB', describe: 'memory the dirtier allocates and fills' })
      .option('guest-mem', { type: 'string', default: '256MiB', describe: 'guest RAM (-m)' })
      .option('hot-pages', { type: 'number', default: 1024, describe: 'pages of the hot set the dirtier writes in' })
      .option('writes-per-ms', { type: 'number', default: 1, describe: 'page writes per ms (random pages of the hot set)' })
      .option('bandwidth', { type: 'string', default: '50MiB/s', describe: 'QEMU max-bandwidth, and the replay bandwidth' })
      .option('downtime-limit', { type: 'string', default: '300ms', describe: 'QEMU downtime-limit (a bare number is ms)' })
      .option('auto-converge', { type: 'boolean', default: false, describe: 'turn on QEMU auto-converge and replay with auto-converge' })
      .option('postcopy', { type: 'number', describe: 'postcopy-ram on both sides, migrate-start-postcopy after this many passes (dirty syncs after the setup one; 1: after the first); replayed with hybrid' })
      .option('postcopy-bandwidth', { type: 'string', default: '0', describe: 'with --postcopy: QEMU max-postcopy-bandwidth (0: unlimited, QEMU\'s default)' })
      .option('accel', { choices: ['tcg', 'kvm'], default: 'tcg', describe: 'QEMU accelerator (docs/validation.md: what kvm does on this kind of machine)' })
      .option('timeout', { type: 'string', default: '120s', describe: 'cancel a migration not completed after this long' })
      .option('unthrottled-bandwidth', { type: 'string', default: `${UNTHROTTLED_BANDWIDTH / 1e6}MB/s`, describe: 'the loopback speed where QEMU lifts max-bandwidth (final copy, post-copy): the replay\'s --unthrottled-bandwidth (measured here: docs/validation.md)' })
      .option('battery', { type: 'boolean', default: false, describe: 'run every workload of the battery --repeat times (about 20 min), or with --compare recompute a battery folder\'s table' })
      .option('repeat', { type: 'number', default: 3, describe: 'with --battery: runs of each workload' })
      .option('only', { type: 'string', describe: `with --battery: these workloads only (${BATTERY.map((b) => b.name).join(', ')})` })
      .option('out', { type: 'string', describe: 'run folder, or with --battery the battery folder (default: a new one under the cache folder)' })
      .option('compare', { type: 'string', describe: 'do not run QEMU: compare the recorded run (or with --battery every run) in this folder again' })
      .option('json', { type: 'boolean', default: false, describe: 'print the comparison (with --battery: runs and summary) as JSON' })
      .epilog(`Install: on first use QEMU 10 (Debian bookworm-backports) and every package of its dependency closure this machine lacks, busybox-static and a Debian 12 kernel are fetched with apt-get download (${DOWNLOAD_ESTIMATE} on a Debian 12 machine with node and gcc; the count and size are printed first) and unpacked into ${cacheDir()} ($MIGREPLAY_QEMU_CACHE); nothing is installed system-wide except an apt source for bookworm-backports when it is missing. Needs Debian 12, root, gcc. $MIGREPLAY_QEMU: another QEMU ≥ 8. docs/validation.md.`),
  handler: async (argv: Record<string, unknown>) => {
    const json = Boolean(argv.json);
    const log = (s: string) => process.stderr.write(`validate: ${s}\n`);
    const o: CompareOptions = { unthrottledBandwidth: parseRate('--unthrottled-bandwidth', String(argv['unthrottled-bandwidth'])) };
    if (argv.battery) {
      const repeat = int('repeat', argv.repeat, 1);
      const only = typeof argv.only === 'string' ? argv.only.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
      for (const n of only ?? []) if (!BATTERY.some((b) => b.name === n)) fail('usage', `--only: no workload '${n}' (${BATTERY.map((b) => b.name).join(', ')})`);
      let runs: BatteryRun[];
      let dir: string;
      if (typeof argv.compare === 'string') {
        dir = argv.compare;
        runs = compareBattery(dir, o).filter((r) => !only || only.includes(r.workload));
      } else {
        dir = typeof argv.out === 'string' ? argv.out : path.join(cacheDir(), 'battery', stamp());
        if (fs.existsSync(path.join(dir, 'battery.json'))) fail('usage', `--out: ${dir} already holds a battery (battery.json); compare it with --compare, or choose another folder`);
        const setup = ensureSetup(log);
        log(`${setup.qemuVersion}; battery folder ${dir}`);
        runs = await runBattery(dir, repeat, only, o, log, setup);
      }
      if (json) process.stdout.write(JSON.stringify({ dir, summary: summarize(runs), runs }, null, 1) + '\n');
      else process.stdout.write(formatBatteryReport(runs));
      return;
    }
    let dir: string;
    if (typeof argv.compare === 'string') {
      dir = argv.compare;
    } else {
      const opts = singleRunOptions(argv);
      const tag = `${opts.workload === 'dirtier' ? `m${opts.dirtyMiB}-h${opts.hotPages}-w${opts.writesPerMs}` : opts.workload}${opts.autoConverge ? '-ac' : ''}${opts.postcopyAfterSyncs !== undefined ? '-pc' : ''}`;
      dir = typeof argv.out === 'string' ? argv.out : path.join(cacheDir(), 'runs', `${stamp()}-${tag}`);
      const setup = ensureSetup(log);
      log(`${setup.qemuVersion}; run folder ${dir}`);
      await recordRun(setup, { ...opts, dir, log });
    }
    const c = compareFolder(dir, o);
    if (json) process.stdout.write(JSON.stringify({ dir, ...c }, null, 1) + '\n');
    else process.stdout.write(formatComparison(c));
  },
};
