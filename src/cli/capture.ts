// migreplay capture (--pid N | --xen-domid N | -- <command…>) --out FILE — record a
// real page-write trace (docs/capture.md).
import type { Argv } from 'yargs';
import { processesText, startCapture, type CaptureOptions, type CaptureResult } from '../capture/capture.js';
import { fail } from '../errors.js';
import type { TraceCompression } from '../trace/write.js';
import { parseDuration } from '../units.js';
import { showProgress, sig } from './common.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function micros(what: string, text: unknown): number | undefined {
  if (text === undefined) return undefined;
  if (typeof text !== 'string' && typeof text !== 'number') fail('usage', `${what}: give it once`);
  return Math.round(parseDuration(what, text) * 1e6);
}

function wholeNumber(what: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (Array.isArray(v) || !Number.isSafeInteger(n) || n < 0) fail('usage', `${what}: '${v}' is not a whole number`);
  return n;
}

/** The capture options from parsed arguments. */
export function captureOptions(argv: Record<string, unknown>): CaptureOptions {
  const command = ((argv['--'] as unknown[] | undefined) ?? []).map(String);
  if (typeof argv.out !== 'string' || argv.out === '') fail('usage', 'capture: --out FILE is required');
  for (const key of ['mechanism', 'compression', 'page-map', 'workload', 'description', 'fake-dirtylog', 'fake-calls']) {
    if (argv[key] !== undefined && typeof argv[key] !== 'string') fail('usage', `--${key}: give it once`);
  }
  return {
    out: argv.out,
    command: command.length ? command : undefined,
    pid: wholeNumber('--pid', argv.pid),
    xenDomid: wholeNumber('--xen-domid', argv['xen-domid']),
    fakeDirtylog: argv['fake-dirtylog'] as string | undefined,
    fakeCalls: argv['fake-calls'] as string | undefined,
    intervalUs: micros('--interval', argv.interval ?? '50ms'),
    durationUs: micros('--duration', argv.duration),
    batchUs: micros('--batch', argv.batch ?? '1s'),
    mechanism: (argv.mechanism ?? 'auto') as CaptureOptions['mechanism'],
    compression: (argv.compression ?? 'none') as TraceCompression,
    keepThp: Boolean(argv['keep-thp']),
    pageMap: argv['page-map'] as string | undefined,
    noChildren: argv.children === false,
    workload: argv.workload as string | undefined,
    description: argv.description as string | undefined,
  };
}

function summary(r: CaptureResult): string {
  const how =
    r.stoppedBy === 'target-exit'
      ? r.exitStatus !== undefined ? `the command exited with status ${r.exitStatus}` : 'the target exited'
      : r.stoppedBy === 'duration' ? 'the duration was reached' : `stopped by ${r.stoppedBy}`;
  const left = r.targetRunning === undefined ? '' : r.targetRunning ? `; process ${r.pid} left running` : `; process ${r.pid} is gone`;
  const n = r.processes.length;
  const procs = n ? `${n === 1 ? '1 process' : `${n} processes`} recorded:\n${processesText(r.processes)}` : '';
  return (
    `${r.out}: ${r.epochs} epochs over ${sig(r.durationUs / 1e6)} s, ${r.events} page writes, ` +
    `mem_pages ${r.memPages} × ${r.pageSize} B (${r.source}); ${how}${left}\n${procs}`
  );
}

/** Run `capture` from parsed arguments, with Ctrl-C / SIGTERM / SIGHUP ending it cleanly. */
export async function runCaptureCommand(argv: Record<string, unknown>): Promise<CaptureResult> {
  const opts = captureOptions(argv);
  if (argv.json) opts.commandStdout = 'stderr'; // stdout holds the JSON document alone
  const progress = showProgress() && !argv.quiet;
  opts.onNote = (m) => process.stderr.write(`migreplay: capture: ${m}\n`);
  let lastShown = 0;
  if (progress) {
    opts.onEpoch = (p) => {
      if (p.tUs - lastShown < 1e6) return;
      lastShown = p.tUs;
      process.stderr.write(`\r${sig(p.tUs / 1e6, 3)} s, ${p.epochs} epochs, ${p.events} page writes `);
    };
  }
  // A signal ends the capture, it does not abort it: it is passed on to the helper,
  // which finishes the epoch in progress, stops or releases the target, and reports;
  // the trace is then closed. The CLI's own handlers (which exit at once) are set
  // aside meanwhile. A signal again, a second later, makes the helper kill a command
  // that will not stop.
  const saved = new Map(SIGNALS.map((s) => [s, process.rawListeners(s)]));
  let handle: Awaited<ReturnType<typeof startCapture>> | undefined;
  const onSignal = () => handle?.stop('SIGTERM');
  for (const s of SIGNALS) {
    process.removeAllListeners(s);
    process.on(s, onSignal);
  }
  try {
    handle = await startCapture(opts);
    const result = await handle.done;
    if (progress && lastShown) process.stderr.write('\n');
    if (argv.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    if (!argv.quiet) process.stderr.write(summary(result));
    return result;
  } finally {
    for (const s of SIGNALS) {
      process.removeListener(s, onSignal);
      for (const l of saved.get(s) ?? []) process.on(s, l as (...args: unknown[]) => void);
    }
  }
}

export const captureCommand = {
  command: 'capture',
  describe: 'record which pages a Linux process (or, from dom0, a Xen guest) writes, epoch by epoch, into an Arrow trace',
  builder: (y: Argv) =>
    y
      // Everything after -- is the command, verbatim (no number parsing).
      .parserConfiguration({ 'populate--': true, 'parse-positional-numbers': false })
      .usage('migreplay capture (--pid N | --xen-domid N | -- <command…>) --out FILE [--interval 50ms] [--duration 30s]')
      .option('out', { type: 'string', describe: 'output trace (Arrow IPC stream, valid after every batch)', group: 'Output:' })
      .option('pid', { type: 'number', describe: 'attach to this running process; it is left running at the end', group: 'What:' })
      .option('xen-domid', { type: 'number', describe: 'a Xen guest, from dom0 (log-dirty mode; compile-tested only)', group: 'What:' })
      .option('interval', { type: 'string', default: '50ms', describe: 'epoch length (the dirty log is read this often)', group: 'Capture:' })
      .option('duration', { type: 'string', describe: 'stop after this long [default: when the command exits, or Ctrl-C]', group: 'Capture:' })
      .option('mechanism', { choices: ['auto', 'softdirty', 'pagemap-scan'] as const, default: 'auto' as const, describe: 'Linux: soft-dirty bits, or userfaultfd write-protect + PAGEMAP_SCAN (auto: the first this kernel has)', group: 'Capture:' })
      .option('children', { type: 'boolean', default: true, describe: 'follow the processes the target starts, and their threads (--no-children: the target alone)', group: 'Capture:' })
      .option('keep-thp', { type: 'boolean', default: false, describe: 'leave transparent huge pages on in the command (default off: exact 4 KiB pages)', group: 'Capture:' })
      .option('compression', { choices: ['none', 'zstd', 'lz4'] as const, default: 'none' as const, describe: 'Arrow body compression', group: 'Output:' })
      .option('batch', { type: 'string', default: '1s', describe: 'trace time per record batch: the most a killed migreplay can lose', group: 'Output:' })
      .option('page-map', { type: 'string', describe: 'also write CSV page,vpn,epoch,pid: the virtual page (of process pid) behind each page number', group: 'Output:' })
      .option('workload', { type: 'string', describe: 'metadata: what ran [default: the command]', group: 'Output:' })
      .option('description', { type: 'string', describe: 'metadata: free text [default: how it was captured]', group: 'Output:' })
      .option('json', { type: 'boolean', default: false, describe: "print the summary as JSON on stdout (a started command's own stdout then goes to stderr)", group: 'Output:' })
      .option('quiet', { type: 'boolean', default: false, describe: 'print nothing on success', group: 'Output:' })
      .option('fake-dirtylog', { type: 'string', hidden: true })
      .option('fake-calls', { type: 'string', hidden: true })
      .example('migreplay capture --out py.arrow -- python3 -c "b = bytearray(1 << 28)"', 'capture a command until it exits')
      .example('migreplay capture --pid 1234 --duration 30s --out db.arrow --compression zstd', 'capture a running process for 30 s, then leave it running')
      .epilogue('Needs root (or CAP_SYS_PTRACE) and Linux with soft-dirty bits or ≥ 6.7. Ctrl-C or SIGTERM ends the capture with a complete trace. See docs/capture.md.'),
  async handler(argv: any) {
    await runCaptureCommand(argv);
  },
};
