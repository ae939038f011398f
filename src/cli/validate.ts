// migreplay validate qemu — a real QEMU live migration on this machine beside the
// `qemu` / `auto-converge` replay of its own recorded page writes (docs/validation.md).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { fail } from '../errors.js';
import { fileSource } from '../io/files.js';
import { createKernel } from '../kernel/node.js';
import { openTrace } from '../trace/read.js';
import { parseDuration, parseRate, parseSize } from '../units.js';
import { compareRun, SWITCHOVER_BANDWIDTH, type CompareOptions, type Comparison } from '../validate/compare.js';
import { cacheDir, ensureSetup } from '../validate/install.js';
import { recordRun, type RunRecord } from '../validate/run.js';
import { formatTable, sig } from './common.js';

/** Compare a recorded run folder (record.json + guest.arrow). */
export function compareFolder(dir: string, o: CompareOptions = {}): Comparison {
  const file = path.join(dir, 'record.json');
  if (!fs.existsSync(file)) fail('file-missing', `${file}: no such recorded run`);
  const record = JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord;
  const trace = openTrace(fileSource(path.join(dir, record.trace)));
  return compareRun(record, trace, createKernel('wasm'), o);
}

const pct = (x: number | null) => (x === null ? '–' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`);

/** The human table. */
export function formatComparison(c: Comparison): string {
  const r = c.real, p = c.predicted, e = c.error;
  const rows: (string | number)[][] = [
    ['status', r.status, p.status, e['same-verdict'] ? 'same verdict' : 'DIFFERENT verdict'],
    ['total-time ms', r['total-time'], p['total-time'], pct(e['total-time'])],
    ['downtime ms', r.downtime ?? '–', p.downtime ?? '–', pct(e.downtime)],
    ['transferred MB', sig(r.transferred / 1e6), sig(p.transferred / 1e6), pct(e.transferred)],
    ['normal pages', r.normal ?? '–', p.normal ?? '–', ''],
    ['zero pages (duplicate)', r.duplicate ?? '–', p.duplicate ?? '–', ''],
    ['dirty-sync-count', r['dirty-sync-count'], p['dirty-sync-count'], `${e['dirty-sync-count'] >= 0 ? '+' : ''}${e['dirty-sync-count']}`],
    ['throttle steps (max %)', `${r['throttle-steps']} (${r['cpu-throttle-max']} %)`, `${p['throttle-steps']} (${p['cpu-throttle-max']} %)`, `${e['throttle-steps'] >= 0 ? '+' : ''}${e['throttle-steps']}`],
  ];
  const g = c.goals;
  const goals = Object.entries(g).filter(([k]) => k !== 'all').map(([k, v]) => `${k} ${v ? 'ok' : 'MISSED'}`).join(', ');
  return formatTable(['', 'real QEMU', `predicted (${p.result.algorithm})`, 'error'], rows) + `goals: ${goals}\n`;
}

export const validateCommand = {
  command: 'validate <target>',
  describe: 'migrate a real QEMU guest on this machine and compare it with the replay of its recorded page writes',
  builder: (y: Argv) =>
    y
      .positional('target', { type: 'string', choices: ['qemu'], describe: 'what to validate against (qemu)' })
      .option('mem', { type: 'string', default: '64MiB', describe: 'memory the guest workload allocates and fills' })
      .option('guest-mem', { type: 'string', default: '256MiB', describe: 'guest RAM (-m)' })
      .option('hot-pages', { type: 'number', default: 1024, describe: 'pages of the hot set the workload writes in' })
      .option('writes-per-ms', { type: 'number', default: 1, describe: 'page writes per ms (random pages of the hot set)' })
      .option('bandwidth', { type: 'string', default: '50MiB/s', describe: 'QEMU max-bandwidth, and the replay bandwidth' })
      .option('downtime-limit', { type: 'string', default: '300ms', describe: 'QEMU downtime-limit (a bare number is ms)' })
      .option('auto-converge', { type: 'boolean', default: false, describe: 'turn on QEMU auto-converge and replay with auto-converge' })
      .option('timeout', { type: 'string', default: '120s', describe: 'cancel a migration not completed after this long' })
      .option('switchover-bandwidth', { type: 'string', default: `${SWITCHOVER_BANDWIDTH / 1e6}MB/s`, describe: 'speed of the final copy in the replay (QEMU does not rate-limit it)' })
      .option('out', { type: 'string', describe: 'run folder (default: a new one under the cache folder)' })
      .option('compare', { type: 'string', describe: 'do not run QEMU: compare the recorded run in this folder again' })
      .option('json', { type: 'boolean', default: false, describe: 'print {real, predicted, error} as JSON' }),
  handler: async (argv: Record<string, unknown>) => {
    const json = Boolean(argv.json);
    const log = (s: string) => process.stderr.write(`validate: ${s}\n`);
    let dir: string;
    if (typeof argv.compare === 'string') {
      dir = argv.compare;
    } else {
      const dl = String(argv['downtime-limit']);
      const downtimeLimitMs = Math.round(/^[0-9.]+$/.test(dl) ? Number(dl) : parseDuration('--downtime-limit', dl) * 1000);
      const mem = parseSize('--guest-mem', String(argv['guest-mem']));
      const dirty = parseSize('--mem', String(argv.mem));
      const hot = Number(argv['hot-pages']);
      const wpm = Number(argv['writes-per-ms']);
      if (!(mem >= 64 << 20) || mem % (1 << 20)) fail('usage', '--guest-mem: at least 64MiB, whole MiB');
      if (!(dirty >= 1 << 20) || dirty > mem - (48 << 20)) fail('usage', '--mem: 1 MiB … guest memory − 48 MiB (the guest kernel needs room)');
      if (!Number.isSafeInteger(hot) || hot < 1 || !Number.isSafeInteger(wpm) || wpm < 0) fail('usage', '--hot-pages and --writes-per-ms are whole numbers');
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-m${dirty >> 20}-h${hot}-w${wpm}${argv['auto-converge'] ? '-ac' : ''}`;
      dir = typeof argv.out === 'string' ? argv.out : path.join(cacheDir(), 'runs', name);
      const setup = ensureSetup(log);
      log(`${setup.qemuVersion}; run folder ${dir}`);
      await recordRun(setup, {
        memMiB: mem >> 20,
        dirtyMiB: Math.floor(dirty / (1 << 20)),
        hotPages: hot,
        writesPerMs: wpm,
        bandwidth: parseRate('--bandwidth', String(argv.bandwidth)),
        downtimeLimitMs,
        autoConverge: Boolean(argv['auto-converge']),
        timeoutS: parseDuration('--timeout', String(argv.timeout)),
        dir,
        log,
      });
    }
    const c = compareFolder(dir, { switchoverBandwidth: parseRate('--switchover-bandwidth', String(argv['switchover-bandwidth'])) });
    if (json) process.stdout.write(JSON.stringify({ dir, ...c }, null, 1) + '\n');
    else process.stdout.write(formatComparison(c));
  },
};
