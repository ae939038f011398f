// `migreplay capture` as a library: run the native helper (native/capture/), read the
// epochs it streams, and write them as an Arrow trace (IPC stream form) batch by
// batch, so that however the capture ends the file holds every epoch committed so
// far (src/capture/output.ts). docs/capture.md describes the whole thing.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Readable } from 'node:stream';
import { EXIT_BAD_INPUT, EXIT_RUN_FAILED, fail, MigreplayError } from '../errors.js';
import { enableZstdEncoder } from '../trace/codecs.js';
import { META_KEYS } from '../trace/schema.js';
import { TraceWriter, type TraceCompression, type TraceHeader } from '../trace/write.js';
import { VERSION } from '../version.js';
import { CAPTURE_FAILED, CAPTURE_UNAVAILABLE, findHelper } from './helper.js';
import { CaptureFile, spacePadded, zeroPadded, type PatchField } from './output.js';
import { EPOCH_FLAGS, PROTOCOL_VERSION, ProtocolError, RecordParser, type DoneRecord, type FailRecord, type HelperRecord } from './protocol.js';

/** How a Linux process's writes are recorded. */
export type CaptureMechanism = 'auto' | 'softdirty' | 'pagemap-scan';

/** What to capture and how. Exactly one of command, pid, xenDomid, fakeDirtylog. */
export interface CaptureOptions {
  /** Output trace file (Arrow IPC stream). */
  out: string;
  /** Run this command and capture it. */
  command?: string[];
  /** Attach to this running process; it is left running at the end. */
  pid?: number;
  /** Capture a Xen guest from dom0. */
  xenDomid?: number;
  /** Test source: dirty bitmaps from a file (native/capture/fakelog.c). */
  fakeDirtylog?: string;
  /** With fakeDirtylog: the helper logs the source's calls to this file. */
  fakeCalls?: string;
  /** Epoch length, µs (default 50 000). */
  intervalUs?: number;
  /** Stop after this long, µs (default: when the target exits, or on a signal). */
  durationUs?: number;
  mechanism?: CaptureMechanism;
  compression?: TraceCompression;
  /** Trace time per record batch, µs (default 1 s): the most a killed migreplay loses. */
  batchUs?: number;
  /** Page numbers per record batch at most (default 1 Mi). */
  batchPages?: number;
  /** Leave transparent huge pages on in a started command. */
  keepThp?: boolean;
  /** Record the target alone, not the processes it starts (Linux; by default they are followed). */
  noChildren?: boolean;
  /** Also write a CSV `page,vpn,epoch,pid` (`page,vpn,epoch` with noChildren): the virtual page of process pid each page number stands for, from which epoch on. */
  pageMap?: string;
  /** Metadata `workload` (default: the command, or what is attached). */
  workload?: string;
  /** Metadata `description` (default: how the trace was captured). */
  description?: string;
  /** Helper binary (default: the built one, or $MIGREPLAY_CAPTURE_HELPER). */
  helper?: string;
  /** Where a started command's standard output goes: ours (default), or our standard error (the CLI's --json keeps stdout for its document). */
  commandStdout?: 'inherit' | 'stderr';
  /** Called after each epoch. */
  onEpoch?: (progress: { epochs: number; events: number; tUs: number }) => void;
  /** Called with each warning of the helper. */
  onNote?: (message: string) => void;
}

/** What a finished capture wrote. */
export interface CaptureResult {
  out: string;
  epochs: number;
  events: number;
  /** End of the last epoch, µs. */
  durationUs: number;
  memPages: number;
  pageSize: number;
  source: string;
  /** target-exit, duration, SIGINT, SIGTERM, SIGHUP. */
  stoppedBy: string;
  /** The command's exit status (128 + signal if killed), for a started command. */
  exitStatus?: number;
  /** For --pid: whether the process was still running after the capture released it. */
  targetRunning?: boolean;
  /** The captured process. */
  pid?: number;
  /**
   * The processes recorded (Linux): the target first, then each one it started, in the
   * order they started; `pages` = the page writes recorded for it (epochs × pages).
   */
  processes: RecordedProcess[];
  /**
   * Processes seen under the target at its epochs (Linux) whose page writes are not in
   * the trace: all of them with noChildren; otherwise those already running when --pid attached.
   */
  unrecorded: { pid: number; command: string }[];
  notes: string[];
  /** The helper's own report: its HELO and DONE fields. */
  helper: Record<string, string>;
}

/** A process whose page writes are in the trace. */
export interface RecordedProcess {
  pid: number;
  ppid: number;
  /** Its command name (/proc/PID/comm), after its last exec. */
  command: string;
  /** Page writes recorded for it. */
  pages: number;
  /** The epoch its recording started in. */
  firstEpoch: number;
}

/** A capture in progress. */
export interface CaptureHandle {
  /** Process id of the helper. */
  helperPid: number;
  /** End the capture as Ctrl-C does (the helper finishes the epoch in progress). */
  stop(signal?: NodeJS.Signals): void;
  /** The result once the helper has ended and the trace is closed. */
  done: Promise<CaptureResult>;
}

const PROCESSES_WIDTH = 4000;

/** `capture.processes`: the recorded processes as JSON, the most pages first, as many as fit its width (ASCII only: the width is in bytes). */
export function processesJson(list: readonly RecordedProcess[]): string {
  const sorted = [...list].sort((a, b) => b.pages - a.pages || a.firstEpoch - b.firstEpoch);
  const items: string[] = [];
  let length = 2;
  for (const p of sorted) {
    const item = JSON.stringify({ pid: p.pid, ppid: p.ppid, command: p.command, pages: p.pages }).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (length + item.length + 1 > PROCESSES_WIDTH) break;
    items.push(item);
    length += item.length + 1;
  }
  return `[${items.join(',')}]`;
}

// Placeholders for the metadata patched in place (output.ts): unique strings of the
// final width that no other value of the schema can equal.
const FIELDS: Record<string, PatchField> = {
  [META_KEYS.memPages]: { placeholder: '1073741823', format: zeroPadded(10) },
  [META_KEYS.durationUs]: { placeholder: String(Number.MAX_SAFE_INTEGER), format: zeroPadded(16) },
  'capture.stopped_by': { placeholder: 'unfinished'.padEnd(16), format: spacePadded(16) },
  'capture.processes': { placeholder: '[]'.padEnd(PROCESSES_WIDTH), format: spacePadded(PROCESSES_WIDTH) },
  'capture.process_count': { placeholder: '99999999', format: zeroPadded(8) },
};

/** A command line as a shell would take it back. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function usage(message: string): never {
  throw new MigreplayError('usage', message, EXIT_BAD_INPUT);
}

function checkOptions(o: CaptureOptions): void {
  const sources = [o.command?.length ? 'command' : '', o.pid !== undefined ? 'pid' : '', o.xenDomid !== undefined ? 'xen' : '', o.fakeDirtylog ? 'fake' : ''].filter(Boolean);
  if (sources.length === 0) usage('capture: give a command after --, or --pid N, or --xen-domid N');
  if (sources.length > 1) usage('capture: give only one of -- command…, --pid N and --xen-domid N');
  if (!o.out) usage('capture: --out FILE is required');
  if (o.pid !== undefined && (!Number.isSafeInteger(o.pid) || o.pid < 1)) usage(`--pid: '${o.pid}' is not a process id`);
  if (o.xenDomid !== undefined && (!Number.isSafeInteger(o.xenDomid) || o.xenDomid < 0)) usage(`--xen-domid: '${o.xenDomid}' is not a domain id`);
  const interval = o.intervalUs ?? 50_000;
  if (!Number.isFinite(interval) || interval < 1000 || interval > 3.6e9) usage(`--interval: ${interval / 1000} ms is outside 1 ms … 1 h`);
  if (o.durationUs !== undefined && !(o.durationUs >= 1000)) usage(`--duration: ${o.durationUs / 1e6} s is shorter than 1 ms`);
  if (o.batchUs !== undefined && !(o.batchUs > 0)) usage('--batch must be above 0');
  if (o.mechanism && !['auto', 'softdirty', 'pagemap-scan'].includes(o.mechanism)) usage(`--mechanism: '${o.mechanism}' is not one of auto, softdirty, pagemap-scan`);
  if (o.compression && !['none', 'zstd', 'lz4'].includes(o.compression)) usage(`--compression: '${o.compression}' is not one of none, zstd, lz4`);
}

function helperArgs(o: CaptureOptions): string[] {
  const args = ['--interval-us', String(Math.round(o.intervalUs ?? 50_000))];
  if (o.durationUs !== undefined) args.push('--duration-us', String(Math.round(o.durationUs)));
  if (o.mechanism && o.mechanism !== 'auto') args.push('--mechanism', o.mechanism);
  if (o.keepThp) args.push('--keep-thp');
  if (o.noChildren) args.push('--no-children');
  if (o.pid !== undefined) args.push('--pid', String(o.pid));
  else if (o.xenDomid !== undefined) args.push('--xen-domid', String(o.xenDomid));
  else if (o.fakeDirtylog) {
    args.push('--fake-dirtylog', o.fakeDirtylog);
    if (o.fakeCalls) args.push('--fake-calls', o.fakeCalls);
  } else args.push('--', ...o.command!);
  return args;
}

function readProc(pid: number, what: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${what}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Every live descendant of `pid` (children of each of its threads, recursively), from /proc. */
function descendants(pid: number, into: Map<number, string>): void {
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return; // gone
  }
  for (const task of tasks) {
    const children = readProc(pid, `task/${task}/children`)?.trim().split(/\s+/).filter(Boolean).map(Number) ?? [];
    for (const c of children) {
      if (into.has(c)) continue;
      into.set(c, readProc(c, 'comm')?.trim() ?? '?');
      descendants(c, into);
    }
  }
}

/** The note for processes the capture saw started but did not record. */
function unrecordedNote(pid: number, own: string | undefined, seen: { pid: number; command: string }[], followed: boolean): string {
  const names = seen.slice(0, 5).map((c) => `${c.command} (pid ${c.pid})`).join(', ') + (seen.length > 5 ? `, and ${seen.length - 5} more` : '');
  const n = `${seen.length} process${seen.length === 1 ? '' : 'es'}`;
  if (followed) return `the trace does not hold the page writes of ${n} seen under process ${pid}${own ? ` (${own})` : ''} (forked by a thread and gone before the next epoch, started as the capture ended, or not traceable): ${names}`;
  return `the trace holds the page writes of process ${pid}${own ? ` (${own})` : ''} alone (--no-children), not those of the ${n.replace('process', 'child process')} seen under it: ${names}`;
}

/** The recorded processes, one line each (the first `max`), for the summary. */
export function processesText(list: readonly RecordedProcess[], max = 20): string {
  const lines = list.slice(0, max).map((p) => `  pid ${p.pid} (${p.command})${p.ppid ? `, child of ${p.ppid}` : ''}: ${p.pages} page writes\n`);
  if (list.length > max) lines.push(`  … and ${list.length - max} more (every one in --json)\n`);
  return lines.join('');
}

const MECHANISM_TEXT: Record<string, string> = {
  'pagemap-scan': 'userfaultfd asynchronous write-protect + PAGEMAP_SCAN',
  softdirty: 'soft-dirty bits (clear_refs + pagemap bit 55)',
  'xen-logdirty': 'Xen log-dirty mode (XEN_DOMCTL_SHADOW_OP_CLEAN)',
  'fake-logdirty': 'dirty bitmaps from a test file (the log-dirty path without Xen)',
};

/** The trace header for a capture, from the options and the helper's HELO. */
function headerFor(o: CaptureOptions, hello: Record<string, string>, attachedCmdline: string | undefined): TraceHeader {
  const source = hello.source ?? 'unknown';
  const intervalUs = Math.round(o.intervalUs ?? 50_000);
  const pid = hello.pid;
  let workload = o.workload;
  const extra: Record<string, string> = {
    'capture.tool': `migreplay ${VERSION} capture (helper protocol ${hello.version})`,
    'capture.mode': hello.mode ?? '',
    'capture.numbering': hello.numbering ?? '',
    'capture.t0_monotonic_ns': hello.t0_monotonic_ns ?? '',
    'capture.started_at': new Date().toISOString(),
  };
  if (o.command?.length) {
    extra['capture.command'] = JSON.stringify(o.command);
    workload ??= shellJoin(o.command);
  } else if (o.pid !== undefined) {
    if (attachedCmdline) extra['capture.cmdline'] = attachedCmdline;
    workload ??= `pid ${o.pid}${attachedCmdline ? `: ${attachedCmdline}` : ''}`;
  } else if (o.xenDomid !== undefined) {
    workload ??= `xen domain ${o.xenDomid}`;
  } else {
    workload ??= `fake dirty log ${o.fakeDirtylog}`;
  }
  for (const key of ['pid', 'kernel', 'arch', 'thp_disabled', 'baseline_pages', 'xen_domid', 'guest_pages', 'max_memkb', 'p2m_size', 'hvm']) {
    if (hello[key] !== undefined) extra[`capture.${key}`] = hello[key]!;
  }
  if (pid) extra['capture.pid'] = pid;
  extra['capture.children'] = hello.source === 'pagemap-scan' || hello.source === 'softdirty' ? (o.noChildren ? 'not-followed' : 'followed') : 'none';
  extra['capture.stopped_by'] = FIELDS['capture.stopped_by']!.placeholder;
  extra['capture.processes'] = FIELDS['capture.processes']!.placeholder;
  extra['capture.process_count'] = FIELDS['capture.process_count']!.placeholder;
  const numbering = hello.numbering === 'frame'
    ? 'page = guest frame number; mem_pages = the guest page count, raised above any higher frame written'
    : 'page numbers behave like page frames: given on first touch, freed with the memory, reused (docs/capture.md); mem_pages = max(highest page number + 1, peak RSS)';
  return {
    memPages: Number(FIELDS[META_KEYS.memPages]!.placeholder),
    pageSize: Number(hello.page_size ?? 4096),
    intervalUs,
    durationUs: Number(FIELDS[META_KEYS.durationUs]!.placeholder),
    source,
    workload,
    description: o.description ?? `migreplay capture: ${MECHANISM_TEXT[source] ?? source}, ${intervalUs / 1000} ms epochs; ${numbering}`,
    extra,
  };
}

/** Start a capture; the handle's `done` resolves when the trace is closed. */
export async function startCapture(o: CaptureOptions): Promise<CaptureHandle> {
  checkOptions(o);
  if (os.endianness() !== 'LE') throw new MigreplayError(CAPTURE_UNAVAILABLE, 'capture: the helper protocol needs a little-endian machine', EXIT_RUN_FAILED);
  const helper = o.helper ?? findHelper();
  const compression = o.compression ?? 'none';
  if (compression === 'zstd') await enableZstdEncoder();
  let pageMapFd: number | undefined;
  if (o.pageMap) {
    try {
      pageMapFd = fs.openSync(o.pageMap, 'w');
    } catch (e) {
      fail('write-failed', `${o.pageMap}: cannot write (${(e as Error).message.split('\n')[0]})`, EXIT_BAD_INPUT);
    }
  }
  const attachedCmdline = o.pid !== undefined ? readProc(o.pid, 'cmdline')?.split('\0').filter(Boolean).join(' ') : undefined;

  // The output is opened first: a folder that cannot take it fails before anything runs.
  let file: CaptureFile;
  try {
    file = new CaptureFile(o.out, FIELDS);
  } catch (e) {
    if (pageMapFd !== undefined) fs.closeSync(pageMapFd);
    throw e;
  }
  // The command inherits the helper's descriptors: fd 2 as its stdout sends its output to our stderr.
  const stdout = o.commandStdout === 'stderr' ? 2 : 'inherit';
  const child = spawn(helper, helperArgs(o), { stdio: ['inherit', stdout, 'inherit', 'pipe'] });
  const pipe = child.stdio[3] as Readable;
  const batchUs = o.batchUs ?? 1_000_000;
  const batchPages = o.batchPages ?? 1 << 20;

  const parser = new RecordParser();
  let hello: Record<string, string> | undefined;
  let writer: TraceWriter | undefined;
  let failed: FailRecord | undefined;
  let done: DoneRecord | undefined;
  let problem: unknown;
  const notes: string[] = [];
  const started = new Map<number, string>(); // processes seen under the target
  const processes: RecordedProcess[] = [];
  const live = new Map<number, RecordedProcess>(); // by pid, the latest of that pid
  let targetCommand: string | undefined;
  let epochs = 0, events = 0, memPages = 1, lastEndUs = 0, batchStartUs = 0, bufferedPages = 0;
  let pageMapText = '';

  const flushPageMap = () => {
    if (pageMapFd !== undefined && pageMapText) {
      fs.writeSync(pageMapFd, pageMapText);
      pageMapText = '';
    }
  };
  const commit = () => {
    writer!.flush();
    file.set(META_KEYS.memPages, memPages);
    file.set(META_KEYS.durationUs, lastEndUs);
    file.set('capture.processes', processesJson(processes));
    file.set('capture.process_count', processes.length);
    file.commit();
    flushPageMap();
    batchStartUs = lastEndUs;
    bufferedPages = 0;
  };

  const onRecord = (r: HelperRecord) => {
    switch (r.type) {
      case 'HELO': {
        if (Number(r.fields.version) !== PROTOCOL_VERSION) throw new ProtocolError(`helper speaks protocol ${r.fields.version}, this migreplay ${PROTOCOL_VERSION}: rebuild it (npm run build:capture)`);
        hello = r.fields;
        file.set('capture.stopped_by', 'unfinished');
        writer = new TraceWriter((c) => file.write(c), headerFor(o, r.fields, attachedCmdline), { form: 'stream', compression, batchPages: 2 ** 31 });
        file.set('capture.processes', '[]');
        file.set('capture.process_count', 0);
        if (pageMapFd !== undefined) pageMapText += o.noChildren ? 'page,vpn,epoch\n' : 'page,vpn,epoch,pid\n';
        break;
      }
      case 'NUMB':
        if (pageMapFd !== undefined) {
          const pid = (x: { pid: number }) => (o.noChildren ? '' : `,${x.pid}`);
          for (const x of r.extents) for (let i = 0; i < x.count; i++) pageMapText += `${x.page + i},${x.vpn + i},${epochs}${pid(x)}\n`;
        }
        break;
      case 'PROC': {
        if (r.event === 'unrecorded') { // it could not be set up (the helper's note says why)
          const i = processes.indexOf(live.get(r.pid)!);
          if (i > 0) processes.splice(i, 1);
          live.delete(r.pid);
          started.set(r.pid, r.comm);
          break;
        }
        let p = live.get(r.pid);
        if (r.event === 'start' || !p) {
          p = { pid: r.pid, ppid: r.ppid, command: r.comm, pages: 0, firstEpoch: r.firstEpoch };
          processes.push(p);
          live.set(r.pid, p);
        }
        p.command = r.comm;
        p.pages = r.writes;
        break;
      }
      case 'EPOC': {
        if (!writer) throw new ProtocolError('epoch before HELO');
        writer.epoch(r.tStartUs, r.pages);
        epochs++;
        events += r.pages.length;
        memPages = Math.max(memPages, r.memPages);
        lastEndUs = r.tEndUs;
        bufferedPages += r.pages.length;
        if (r.tEndUs - batchStartUs >= batchUs || bufferedPages >= batchPages || r.flags & EPOCH_FLAGS.final) commit();
        // (Following children, one forked as the final epoch is read is not recorded: not counted either.)
        if (hello?.pid !== undefined && process.platform === 'linux' && (o.noChildren || !(r.flags & EPOCH_FLAGS.final))) {
          targetCommand ??= readProc(Number(hello.pid), 'comm')?.trim();
          descendants(Number(hello.pid), started);
        }
        o.onEpoch?.({ epochs, events, tUs: r.tEndUs });
        break;
      }
      case 'NOTE':
        notes.push(r.message);
        o.onNote?.(r.message);
        break;
      case 'FAIL':
        failed = r;
        break;
      case 'DONE':
        done = r;
        break;
    }
  };

  pipe.on('data', (chunk: Buffer) => {
    if (problem) return;
    try {
      for (const r of parser.push(chunk)) onRecord(r);
    } catch (e) {
      problem = e;
      child.kill('SIGTERM'); // the helper ends the capture and releases the target
    }
  });
  pipe.on('error', () => {}); // the exit status tells

  const finished = new Promise<CaptureResult>((resolve, reject) => {
    let spawnError: Error | undefined;
    let settled = false;
    const settle = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      try {
        resolve(finish(code, signal, spawnError));
      } catch (e) {
        reject(e);
      } finally {
        if (pageMapFd !== undefined) {
          try { flushPageMap(); fs.closeSync(pageMapFd); } catch { /* reported through the trace's error, if any */ }
        }
      }
    };
    child.on('error', (e) => {
      spawnError = e;
      if (child.pid === undefined) settle(null, null); // never started: no 'close' to wait for
    });
    child.on('close', settle);
  });

  const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError: Error | undefined): CaptureResult => {
    const how = signal ? `killed by ${signal}` : `exit status ${code}`;
    const kept = () => (epochs > 0 && file.committed ? `; ${o.out} holds the ${epochs} epochs finished` : '');
    // Close what we have: every finished epoch stays readable.
    const closeTrace = (stoppedBy: string) => {
      if (!writer || epochs === 0) {
        file.abort();
        return;
      }
      try {
        file.set('capture.stopped_by', stoppedBy);
        file.set('capture.processes', processesJson(processes));
        file.set('capture.process_count', processes.length);
        writer.close();
        file.set(META_KEYS.memPages, memPages);
        file.set(META_KEYS.durationUs, lastEndUs);
        file.close();
      } catch (e) {
        file.abort();
        throw e;
      }
    };
    if (spawnError) {
      file.abort();
      throw new MigreplayError(CAPTURE_UNAVAILABLE, `capture: cannot run the helper ${helper} (${spawnError.message})`, EXIT_RUN_FAILED);
    }
    if (problem) {
      closeTrace('failed');
      if (problem instanceof MigreplayError) throw problem;
      throw new MigreplayError(CAPTURE_FAILED, `capture failed: ${problem instanceof Error ? problem.message : String(problem)}${kept()}`, EXIT_RUN_FAILED);
    }
    if (failed) {
      closeTrace('failed');
      if (epochs === 0) {
        const exit = failed.code === 'usage' ? EXIT_BAD_INPUT : EXIT_RUN_FAILED;
        throw new MigreplayError(failed.code === 'usage' ? 'usage' : failed.code === 'unavailable' ? CAPTURE_UNAVAILABLE : CAPTURE_FAILED, `capture: ${failed.message}`, exit);
      }
      throw new MigreplayError(CAPTURE_FAILED, `capture failed after ${epochs} epochs: ${failed.message}${kept()}`, EXIT_RUN_FAILED);
    }
    if (!done || parser.pendingBytes > 0) {
      closeTrace('helper-died');
      throw new MigreplayError(CAPTURE_FAILED, `capture: the helper ended unexpectedly (${how})${kept()}`, EXIT_RUN_FAILED);
    }
    const d = done.fields;
    const stoppedBy = d.stopped_by === 'signal' && d.signal ? d.signal : d.stopped_by ?? 'target-exit';
    if (epochs === 0) {
      file.abort();
      throw new MigreplayError(CAPTURE_FAILED, `capture: no epoch was recorded (stopped by ${stoppedBy} before the first scan)`, EXIT_RUN_FAILED);
    }
    closeTrace(stoppedBy);
    const recorded = new Set(processes.map((p) => p.pid));
    const unrecorded = [...started].filter(([pid]) => !recorded.has(pid)).map(([pid, command]) => ({ pid, command }));
    if (unrecorded.length > 0 && hello?.pid !== undefined) {
      const note = unrecordedNote(Number(hello.pid), targetCommand, unrecorded, !o.noChildren);
      notes.push(note);
      o.onNote?.(note);
    }
    return {
      out: o.out,
      epochs,
      events,
      durationUs: lastEndUs,
      memPages,
      pageSize: Number(hello!.page_size ?? 4096),
      source: hello!.source ?? 'unknown',
      stoppedBy,
      exitStatus: d.exit_status !== undefined ? Number(d.exit_status) : undefined,
      targetRunning: d.target_running !== undefined ? d.target_running === '1' : undefined,
      pid: hello!.pid !== undefined ? Number(hello!.pid) : undefined,
      processes,
      unrecorded,
      notes,
      helper: { ...hello, ...d },
    };
  };

  return {
    helperPid: child.pid ?? -1,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    done: finished,
  };
}

/** Run a capture to its end. */
export async function runCapture(o: CaptureOptions): Promise<CaptureResult> {
  return (await startCapture(o)).done;
}
