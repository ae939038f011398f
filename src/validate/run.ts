// One real QEMU live migration on this machine, recorded: destination and source
// QEMU (TCG, 1 vCPU) on 127.0.0.1, the dirtier guest, migreplay's own capture of the
// source's page writes while it migrates, query-migrate every 100 ms. Writes a run
// folder (record.json, the raw capture, the guest trace) that compare.ts replays.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { startCapture } from '../capture/capture.js';
import { EXIT_RUN_FAILED, MigreplayError } from '../errors.js';
import { guestTrace, nonZeroPages, type GuestRange } from './guest-trace.js';
import { Qmp } from './qmp.js';
import { makeDirs, type QemuSetup } from './install.js';

/** What runs in the guest: the synthetic dirtier, or a real program in a loop (src/validate/guest-src.ts). */
export type GuestWorkload = 'dirtier' | 'xz' | 'sqlite' | 'perl';

/** A workload and the migration parameters. */
export interface ValidateOptions {
  /** What runs in the guest (default dirtier). */
  workload?: GuestWorkload;
  /** Guest RAM, MiB. */
  memMiB: number;
  /** Memory the dirtier allocates and fills, MiB. */
  dirtyMiB: number;
  hotPages: number;
  /** Page writes per ms (one tick per ms). */
  writesPerMs: number;
  /** max-bandwidth, bytes/s. */
  bandwidth: number;
  /** downtime-limit, ms. */
  downtimeLimitMs: number;
  autoConverge: boolean;
  /** Post-copy: the postcopy-ram capability on both sides, migrate-start-postcopy once dirty-sync-count reaches 1 + this (1: after the first pass). */
  postcopyAfterSyncs?: number;
  /** Post-copy: QEMU max-postcopy-bandwidth, bytes/s (0 or absent: unlimited, QEMU's default). */
  postcopyBandwidth?: number;
  /** QEMU accelerator (default tcg; docs/validation.md says what kvm does here). */
  accel?: 'tcg' | 'kvm';
  /** Cancel a migration that has not completed after this many s (not once post-copy has begun). */
  timeoutS: number;
  /** Run folder (created). */
  dir: string;
  log?: (s: string) => void;
}

/** What record.json holds. */
export interface RunRecord {
  options: Omit<ValidateOptions, 'log' | 'dir'>;
  /** First line of qemu-system-x86_64 --version. */
  qemuVersion: string;
  /** The Debian package: "qemu-system-x86 1:10.0.2+ds-…" ('' for $MIGREPLAY_QEMU). */
  qemuPackage?: string;
  /** query-migrate-parameters as set. */
  parameters: Record<string, unknown>;
  /** Every poll, with `_t` (s since migrate). */
  series: Record<string, any>[];
  /** query-migrate after the end (0.5 s after the first completed poll). */
  final: Record<string, any>;
  /** query-migrate just before migrate_cancel, for a migration that timed out. */
  atCancel?: Record<string, any>;
  /** Post-copy runs: when migrate-start-postcopy was issued (s since migrate), the query-migrate just before it. */
  postcopy?: { afterSyncs: number; startS: number; before: Record<string, any> } | { afterSyncs: number; notStarted: string };
  /** Guest RAM mapping in the source QEMU. */
  guestRam: GuestRange;
  /** Pages holding non-zero data when migrate was issued. */
  dataPagesAtStart: number;
  /** Trace time (µs since the capture's t=0) at which migrate was issued. */
  migrateAtTraceUs: number;
  capture: { epochs: number; events: number; durationUs: number; source: string };
  /** The guest trace replayed (relative to the run folder): guest.arrow (writes from migrate on), or for auto-converge guest-before.arrow. */
  trace: string;
  dstGuestOk?: boolean;
}

function failed(message: string): never {
  throw new MigreplayError('capture-failed', `validate: ${message}`, EXIT_RUN_FAILED);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Seconds of unthrottled writes recorded before migrate, replayed (wrapping) by auto-converge. */
export const PRE_ROLL_S = 8;

/** The last line of a file, for a one-line error. */
function lastLine(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-1)[0] || `(nothing in ${file})`;
  } catch {
    return `(no ${file})`;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitConsole(file: string, needle: string, timeoutMs: number, ...procs: ChildProcess[]): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const proc of procs) if (proc.exitCode !== null) failed(`QEMU exited (status ${proc.exitCode}) before the guest started: ${lastLine(path.join(path.dirname(file), proc === procs[0] ? 'src.stderr' : 'dst.stderr'))}`);
    try {
      if (fs.readFileSync(file, 'utf8').includes(needle)) return;
    } catch {
      /* not yet */
    }
    await sleep(250);
  }
  failed(`the guest dirtier did not report '${needle}' within ${timeoutMs / 1000} s (${file})`);
}

/** The guest RAM mapping of a QEMU process: the anonymous rw-p mapping of exactly memBytes (else the smallest larger one). */
export function findGuestRam(mapsText: string, memBytes: number): GuestRange {
  let best: GuestRange | undefined;
  for (const line of mapsText.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || f[1] !== 'rw-p' || (f.length > 5 && f[5] !== '')) continue;
    const [a, b] = f[0]!.split('-').map((x) => parseInt(x, 16)) as [number, number];
    const size = b - a;
    if (size < memBytes) continue;
    if (!best || size - memBytes < best.end - best.start - memBytes) best = { start: a, end: b };
    if (size === memBytes) return { start: a, end: b };
  }
  if (!best) failed(`no anonymous mapping of ${memBytes} bytes in the source QEMU (guest RAM)`);
  return best;
}

function qemuArgs(s: QemuSetup, o: ValidateOptions, tag: string, sock: string): string[] {
  const append = `console=ttyS0 quiet wl=${o.workload ?? 'dirtier'} dm=${o.dirtyMiB} ds=${o.hotPages} dh=${o.writesPerMs} dt=1000`;
  return [
    '-accel', o.accel ?? 'tcg', '-m', `${o.memMiB}M`, '-smp', '1', '-display', 'none', '-monitor', 'none', '-nodefaults',
    ...s.dataDirs.flatMap((d) => ['-L', d]),
    '-serial', `file:${path.join(o.dir, `${tag}.console`)}`,
    '-kernel', s.kernel, '-initrd', s.initrd, '-append', append,
    '-qmp', `unix:${sock},server=on,wait=off`,
  ];
}

/** Seconds a real program runs after it reports WORK_READY before the capture starts (its memory in use). */
export const PROGRAM_WARMUP_S = 4;
/** Seconds of the capture before migrate that stand for the guest at the destination during post-copy. */
export const POSTCOPY_TAIL_S = 4;

/** Boot, capture, migrate, record. */
export async function recordRun(s: QemuSetup, o: ValidateOptions): Promise<RunRecord> {
  const log = o.log ?? (() => {});
  const workload = o.workload ?? 'dirtier';
  const postcopy = o.postcopyAfterSyncs !== undefined;
  makeDirs(o.dir, 'the run folder');
  const port = await freePort();
  const dstSock = path.join(o.dir, 'dst.qmp');
  const srcSock = path.join(o.dir, 'src.qmp');
  for (const f of [dstSock, srcSock, 'src.console', 'dst.console']) fs.rmSync(path.resolve(o.dir, f), { force: true });
  const procs: ChildProcess[] = [];
  const start = (tag: string, argv: string[]) => {
    const out = fs.openSync(path.join(o.dir, `${tag}.stderr`), 'w');
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', out, out], env: s.env });
    fs.closeSync(out);
    procs.push(p);
    return p;
  };
  let q: Qmp | undefined, qd: Qmp | undefined;
  try {
    const dst = start('dst', [s.qemu, ...qemuArgs(s, o, 'dst', dstSock), '-incoming', 'defer']);
    const src = start('src', [s.nothp, s.qemu, ...qemuArgs(s, o, 'src', srcSock)]);
    const bootStart = Date.now();
    log(`source QEMU pid ${src.pid}, destination pid ${dst.pid}, port ${port}; booting (${workload})`);
    if (workload === 'dirtier') await waitConsole(path.join(o.dir, 'src.console'), 'dirtier: t=3.', 180_000, src, dst);
    else {
      await waitConsole(path.join(o.dir, 'src.console'), 'WORK_READY', 180_000, src, dst);
      await sleep(PROGRAM_WARMUP_S * 1000);
    }
    log(`guest up after ${((Date.now() - bootStart) / 1000).toFixed(1)} s; capturing`);
    q = await Qmp.connect(srcSock);
    qd = await Qmp.connect(dstSock);
    const caps = (on: boolean) => [
      { capability: 'events', state: true },
      ...(on ? [{ capability: 'auto-converge', state: o.autoConverge }] : []),
      { capability: 'postcopy-ram', state: postcopy },
    ];
    await qd.cmd('migrate-set-capabilities', { capabilities: caps(false) });
    await qd.cmd('migrate-incoming', { uri: `tcp:127.0.0.1:${port}` });
    const memBytes = o.memMiB << 20;
    const ram = findGuestRam(fs.readFileSync(`/proc/${src.pid}/maps`, 'utf8'), memBytes);
    const rawTrace = path.join(o.dir, 'capture.arrow');
    const pageMap = path.join(o.dir, 'capture.pagemap.csv');
    // The source QEMU alone: its guest RAM is a range of its own virtual pages (guest-trace.ts
    // maps them by vpn), and a child's pages there would be read as the guest's.
    const handle = await startCapture({ pid: src.pid!, out: rawTrace, pageMap, intervalUs: 50_000, workload: 'source QEMU of migreplay validate qemu', noChildren: true });
    // Registered and a few epochs in; for auto-converge and post-copy, long enough to record the workload unmigrated.
    const preRoll = o.autoConverge || postcopy ? PRE_ROLL_S : 1;
    await sleep(preRoll * 1000 + 500);
    await q.cmd('migrate-set-capabilities', { capabilities: caps(true) });
    await q.cmd('migrate-set-parameters', { 'max-bandwidth': Math.round(o.bandwidth), 'downtime-limit': o.downtimeLimitMs, ...(postcopy ? { 'max-postcopy-bandwidth': Math.round(o.postcopyBandwidth ?? 0) } : {}) });
    const parameters = await q.cmd('query-migrate-parameters');
    // Which guest pages hold data as the migration begins (QEMU sends the others as zero-page headers).
    const data = nonZeroPages(src.pid!, ram, memBytes);
    const migrateNs = process.hrtime.bigint();
    const t0 = Date.now();
    await q.cmd('migrate', { uri: `tcp:127.0.0.1:${port}` });
    log(`migrating (${data.count} of ${memBytes / 4096} pages hold data)`);
    const series: Record<string, any>[] = [];
    let atCancel: Record<string, any> | undefined;
    let final: Record<string, any>;
    let pc: RunRecord['postcopy'];
    let lastLog = 0;
    for (;;) {
      const st = await q.cmd('query-migrate');
      st._t = (Date.now() - t0) / 1000;
      series.push(st);
      if (['completed', 'failed', 'cancelled'].includes(st.status)) {
        await sleep(500);
        final = await q.cmd('query-migrate');
        final._t = (Date.now() - t0) / 1000;
        break;
      }
      if (st._t - lastLog >= 5) {
        lastLog = st._t;
        log(`${st._t.toFixed(0)} s: ${st.status}, ${((st.ram?.transferred ?? 0) / 1e6).toFixed(0)} MB sent, ${((st.ram?.remaining ?? 0) / 1e6).toFixed(1)} MB remaining, ${st.ram?.['dirty-sync-count'] ?? 0} syncs`);
      }
      if (postcopy && !pc && st.status === 'active' && (st.ram?.['dirty-sync-count'] ?? 0) >= 1 + o.postcopyAfterSyncs!) {
        await q.cmd('migrate-start-postcopy');
        pc = { afterSyncs: o.postcopyAfterSyncs!, startS: (Date.now() - t0) / 1000, before: st };
        log(`migrate-start-postcopy at ${pc.startS.toFixed(2)} s (dirty-sync-count ${st.ram['dirty-sync-count']})`);
      }
      // A post-copy phase cannot be cancelled (the guest lives on both sides): give up on the run.
      if (st._t > o.timeoutS * 2 + 60) failed(`the migration is still ${st.status} after ${st._t.toFixed(0)} s; see ${o.dir}`);
      if (!atCancel && st._t > o.timeoutS && st.status === 'active') {
        atCancel = st;
        log(`not completed after ${o.timeoutS} s: migrate_cancel`);
        await q.cmd('migrate_cancel');
      }
      // Post-copy waits for a sync: look often until migrate-start-postcopy is issued.
      await sleep(postcopy && !pc ? 10 : 100);
    }
    if (postcopy && !pc) pc = { afterSyncs: o.postcopyAfterSyncs!, notStarted: `migration ${final.status} before dirty-sync-count reached ${1 + o.postcopyAfterSyncs!}` };
    handle.stop('SIGINT');
    const cap = await handle.done;
    log(`migration ${final.status} after ${final._t} s; capture: ${cap.epochs} epochs, ${cap.events} page writes`);
    let dstGuestOk: boolean | undefined;
    if (final.status === 'completed') {
      await sleep(3000);
      const con = fs.readFileSync(path.join(o.dir, 'dst.console'), 'utf8');
      dstGuestOk = (await qd.cmd('query-status')).status === 'running' && !/Oops|panic|BUG/.test(con);
    }
    const trace = path.join(o.dir, 'guest.arrow');
    fs.writeFileSync(path.join(o.dir, 'pre-trace.json'), JSON.stringify({ ram, memPages: memBytes / 4096, data: data.ranges, migrateNs: String(migrateNs), final, series, atCancel, parameters, postcopy: pc }) + '\n');
    const common = { rawTrace, pageMap, ram, memPages: memBytes / 4096, data: data.ranges, migrateNs };
    const pcStart = pc && 'startS' in pc ? pc.startS : undefined;
    const { migrateAtTraceUs } = guestTrace({
      ...common,
      out: trace,
      ...(pcStart !== undefined
        ? {
            // The guest runs at the destination after migrate-start-postcopy; its writes there cannot be captured.
            postcopy: { atUs: pcStart * 1e6, tailUs: POSTCOPY_TAIL_S * 1e6, untilUs: (pcStart + 2 * Math.max(0, final._t - pcStart) + 3) * 1e6 },
            what: `t = 0 at migrate; from migrate-start-postcopy (${pcStart.toFixed(2)} s) on, the source's writes of the ${POSTCOPY_TAIL_S} s before migrate, repeated (the guest then runs at the destination)`,
          }
        : {}),
    });
    if (o.autoConverge) guestTrace({ ...common, out: path.join(o.dir, 'guest-before.arrow'), beforeUs: PRE_ROLL_S * 1e6 });
    const record: RunRecord = {
      options: {
        workload, memMiB: o.memMiB, dirtyMiB: o.dirtyMiB, hotPages: o.hotPages, writesPerMs: o.writesPerMs, bandwidth: o.bandwidth, downtimeLimitMs: o.downtimeLimitMs,
        autoConverge: o.autoConverge, ...(postcopy ? { postcopyAfterSyncs: o.postcopyAfterSyncs, postcopyBandwidth: o.postcopyBandwidth ?? 0 } : {}),
        ...(o.accel && o.accel !== 'tcg' ? { accel: o.accel } : {}), timeoutS: o.timeoutS,
      },
      qemuVersion: s.qemuVersion,
      qemuPackage: s.qemuPackage,
      parameters,
      series,
      final,
      ...(atCancel ? { atCancel } : {}),
      ...(pc ? { postcopy: pc } : {}),
      guestRam: ram,
      dataPagesAtStart: data.count,
      migrateAtTraceUs,
      capture: { epochs: cap.epochs, events: cap.events, durationUs: cap.durationUs, source: cap.source },
      // The writes during the migration (for auto-converge already throttled, so the model's own slowdown
      // comes on top); guest-before.arrow (auto-converge runs) holds the PRE_ROLL_S s before migrate.
      // docs/validation.md says why neither is a clean unthrottled workload under TCG.
      trace: 'guest.arrow',
      ...(dstGuestOk !== undefined ? { dstGuestOk } : {}),
    };
    fs.writeFileSync(path.join(o.dir, 'record.json'), JSON.stringify(record, null, 1) + '\n');
    return record;
  } catch (e) {
    // QMP, the capture or the trace failed: one line, exit status 1, not an internal error.
    if (e instanceof MigreplayError) throw e;
    return failed(`${(e as Error).message.split('\n')[0]} (run folder ${o.dir})`);
  } finally {
    q?.close();
    qd?.close();
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : null)));
    for (const f of [dstSock, srcSock]) fs.rmSync(f, { force: true });
  }
}
