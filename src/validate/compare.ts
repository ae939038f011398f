// Real beside predicted: replay a recorded run's guest trace with the model that matches
// what QEMU did (replayParams: `qemu`, `auto-converge`, or `hybrid` for post-copy) under
// the run's max-bandwidth and downtime-limit, and compare the two on total time,
// downtime, bytes, dirty syncs, throttle steps, post-copy page requests and convergence.
// No QEMU needed: test/validate.test.ts runs this on recorded runs.
import { findAlgorithm } from '../algorithms/index.js';
import { replay } from '../run/replay.js';
import type { ReplayResult } from '../engine/types.js';
import type { Kernel } from '../kernel/types.js';
import { bytesSource, openTrace, type Trace } from '../trace/read.js';
import { TraceWriter } from '../trace/write.js';
import type { RunRecord } from './run.js';

/** The compared quantities of one side. */
export interface Side {
  status: string;
  converged: boolean;
  'total-time': number;
  downtime: number | null;
  transferred: number;
  'dirty-sync-count': number;
  'throttle-steps': number;
  'cpu-throttle-max': number;
  /** Post-copy: pages the destination asked for (real: ram.postcopy-requests; predicted: the model's remote faults). */
  'postcopy-requests'?: number;
  normal?: number;
  duplicate?: number;
}

/**
 * The goals (issues 11 and 20): bytes and total time within 10 %, downtime within
 * max(10 ms, 25 %), dirty syncs within ±1, throttle steps within one, post-copy page
 * requests within 10 %, the same verdict.
 */
export const GOALS = { bytes: 0.1, time: 0.1, downtimeRel: 0.25, downtimeMs: 10, syncs: 1, throttleSteps: 1, faults: 0.1 } as const;

export interface Comparison {
  workload: Record<string, unknown>;
  real: Side & { 'query-migrate': Record<string, any> };
  predicted: Side & { result: Omit<ReplayResult, 'rounds'> & { rounds: number } };
  error: {
    /** Relative errors (predicted − real) / real. */
    'total-time': number | null;
    downtime: number | null;
    transferred: number;
    /** Post-copy runs: relative error of the model's remote faults against postcopy-requests. */
    'postcopy-requests'?: number | null;
    /** Differences predicted − real. */
    'dirty-sync-count': number;
    'throttle-steps': number;
    'downtime-ms'?: number | null;
    'same-verdict': boolean;
  };
  /** Each goal met or not (a goal that does not apply to the run counts as met). */
  goals: { transferred: boolean; 'total-time': boolean; downtime: boolean; 'dirty-sync-count': boolean; 'throttle-steps': boolean; 'postcopy-requests': boolean; verdict: boolean; all: boolean };
}

/** Throttle steps QEMU took, seen in the polled cpu-throttle-percentage (each increase is a step). */
export function throttleSteps(series: Record<string, any>[]): { steps: number; max: number } {
  let prev = 0, steps = 0, max = 0;
  for (const s of series) {
    const p = s['cpu-throttle-percentage'];
    if (typeof p !== 'number') continue;
    if (p > prev) steps++;
    prev = p;
    max = Math.max(max, p);
  }
  return { steps, max };
}

/** Whether the run switched to post-copy (migrate-start-postcopy was issued). */
export function isPostcopy(r: RunRecord): boolean {
  return r.postcopy !== undefined && 'startS' in r.postcopy;
}

/** The real side of a record. */
export function realSide(r: RunRecord): Side & { 'query-migrate': Record<string, any> } {
  const completed = r.final.status === 'completed';
  const at = completed ? r.final : (r.atCancel ?? r.final);
  const ram = at.ram ?? {};
  const th = throttleSteps(r.series);
  return {
    status: completed ? 'completed' : `not converged (${r.final.status} after ${r.options.timeoutS} s)`,
    converged: completed,
    'total-time': completed ? r.final['total-time'] : Math.round((at._t ?? r.options.timeoutS) * 1000),
    downtime: completed ? r.final.downtime : null,
    transferred: ram.transferred,
    'dirty-sync-count': ram['dirty-sync-count'],
    'throttle-steps': th.steps,
    'cpu-throttle-max': th.max,
    ...(isPostcopy(r) ? { 'postcopy-requests': ram['postcopy-requests'] ?? 0 } : {}),
    normal: ram.normal,
    duplicate: ram.duplicate,
    'query-migrate': at,
  };
}

const rel = (p: number | null | undefined, r: number | null | undefined) => (p === null || p === undefined || r === null || r === undefined || r === 0 ? null : (p - r) / r);

/** How the replay is set up beyond the run's own parameters. */
export interface CompareOptions {
  /** Bytes/s where QEMU lifts max-bandwidth (the final copy, post-copy); default UNTHROTTLED_BANDWIDTH. */
  unthrottledBandwidth?: number;
}

/**
 * This machine's loopback, measured once on a calibration battery (not per run:
 * docs/validation.md "Calibration"): the final copy ran at a median 1.36 GB/s after
 * about 1 ms of stopping the guest (downtime ≈ 1.1 ms + downtime-bytes / 1.36 GB/s over
 * 18 completed pre-copy runs); the device state was 114–119 kB. Fixed here, not fitted
 * per run: every later battery is predicted with these.
 */
export const UNTHROTTLED_BANDWIDTH = 1.36e9;
/** The stop of the guest at the switch (part of QEMU's downtime), s. */
export const STOP_TIME_S = 0.0011;
/** The device state of validate's 1-vCPU PC guest, bytes. */
export const STATE_BYTES = 115_000;

/** Which model replays a record, with which parameters (the one place that maps a run to the models). */
export interface ReplaySetup {
  algorithm: string;
  /** Link bandwidth, bytes/s (QEMU's max-bandwidth). */
  bandwidthBytesPerS: number;
  /** Algorithm parameters, as `replay --NAME VALUE` would take them. */
  params: Record<string, string | number>;
}

/**
 * The model and parameters that replay a recorded run. QEMU's own parameters of the run
 * (max-bandwidth, downtime-limit, when migrate-start-postcopy was issued) and what was
 * measured about this machine (the unthrottled loopback speed) go in; the model's other
 * parameters keep their defaults. A run cancelled at its timeout is predicted up to the
 * same moment (max-time).
 */
export function replayParams(r: RunRecord, o: CompareOptions = {}): ReplaySetup {
  const completed = r.final.status === 'completed';
  const cancelledAtS = completed ? undefined : ((r.atCancel ?? r.final)._t ?? r.options.timeoutS);
  const unthrottled = o.unthrottledBandwidth ?? UNTHROTTLED_BANDWIDTH;
  const params: Record<string, string | number> = {
    'downtime-limit': `${r.options.downtimeLimitMs}ms`,
    'max-time': cancelledAtS !== undefined ? cancelledAtS : Math.max(600, r.options.timeoutS * 4),
    'unthrottled-bandwidth': unthrottled,
    'stop-time': STOP_TIME_S,
    'state-size': STATE_BYTES,
    'setup-time': 0.001,
  };
  if (isPostcopy(r)) {
    // migrate-start-postcopy once dirty-sync-count reached 1 + afterSyncs: hybrid after that many passes.
    params['precopy-rounds'] = r.postcopy!.afterSyncs;
    // QEMU's max-postcopy-bandwidth (0: unlimited, then unthrottled-bandwidth applies).
    params['max-postcopy-bandwidth'] = Number(r.options.postcopyBandwidth ?? r.parameters['max-postcopy-bandwidth'] ?? 0);
    return { algorithm: 'hybrid', bandwidthBytesPerS: r.options.bandwidth, params };
  }
  return { algorithm: r.options.autoConverge ? 'auto-converge' : 'qemu', bandwidthBytesPerS: r.options.bandwidth, params };
}

/** The throttle QEMU applied over the run, from the polls: [from s, percent] steps, each taken halfway between the poll before and the poll that first showed it. */
export function throttleSchedule(series: Record<string, any>[]): [number, number][] {
  const steps: [number, number][] = [[0, 0]];
  let prevT = 0;
  for (const s of series) {
    const pct = s.status === 'active' && typeof s['cpu-throttle-percentage'] === 'number' ? s['cpu-throttle-percentage'] : 0;
    if (pct !== steps[steps.length - 1]![1]) steps.push([(prevT + s._t) / 2, pct]);
    prevT = s._t;
  }
  return steps;
}

/**
 * The trace of the guest as it would have run unthrottled. A trace recorded during an
 * auto-converge migration is of the throttled guest: under p % its writes took
 * 1/(1 − p/100) times as long. Map each epoch's time t to the guest's own time
 * w(t) = ∫₀ᵗ (1 − p(s)/100) ds with QEMU's recorded throttle p, so that the model's own
 * throttling (which decides its own steps) replays it once, not twice.
 */
export function unthrottledTrace(trace: Trace, schedule: [number, number][]): Trace {
  const w = (tUs: number): number => {
    let out = 0;
    for (let i = 0; i < schedule.length; i++) {
      const from = schedule[i]![0] * 1e6;
      const to = i + 1 < schedule.length ? schedule[i + 1]![0] * 1e6 : Infinity;
      if (tUs <= from) break;
      out += (Math.min(tUs, to) - from) * (1 - schedule[i]![1] / 100);
    }
    return out;
  };
  const chunks: Uint8Array[] = [];
  const m = trace.meta;
  const extra: Record<string, string> = { 'validate.unthrottled': JSON.stringify(schedule) };
  if (m.raw['data_pages'] !== undefined) extra.data_pages = m.raw['data_pages'];
  const writer = new TraceWriter((c) => chunks.push(c.slice()), { memPages: m.memPages, pageSize: m.pageSize, durationUs: Math.max(1, Math.round(w(trace.summary.durationUs))), source: m.source, workload: m.workload, extra });
  let last = -1;
  for (const b of trace.batches()) {
    for (let i = 0; i < b.length; i++) {
      // Whole µs, strictly increasing (a throttle of 99 % can squeeze two epochs together).
      const t = Math.max(last + 1, Math.round(w(b.tUs[i]!)));
      writer.epoch(t, b.pages.subarray(b.offsets[i]!, b.offsets[i + 1]!));
      last = t;
    }
  }
  writer.close();
  return openTrace(bytesSource(`${trace.name} (unthrottled)`, Buffer.concat(chunks)));
}

/** Replay the record's trace and compare. */
export function compareRun(r: RunRecord, trace: Trace, kernel: Kernel, o: CompareOptions = {}): Comparison {
  const real = realSide(r);
  const setup = replayParams(r, o);
  const algo = findAlgorithm(setup.algorithm);
  if (!algo) throw new Error(`no algorithm ${setup.algorithm}`);
  const replayed = r.options.autoConverge ? unthrottledTrace(trace, throttleSchedule(r.series)) : trace;
  const result = replay(replayed, algo, kernel, { bandwidthBytesPerS: setup.bandwidthBytesPerS }, setup.params);
  const { rounds, ...rest } = result;
  const postcopy = isPostcopy(r);
  const predicted: Comparison['predicted'] = {
    status: result.converged ? 'completed' : `not converged (${result.stopReason} at ${result.totalTimeS.toFixed(1)} s)`,
    converged: result.converged,
    'total-time': Math.round(result.totalTimeS * 1000),
    downtime: result.downtimeMs === null ? null : Math.round(result.downtimeMs * 10) / 10,
    transferred: result.bytesSent,
    'dirty-sync-count': result.dirtySyncCount ?? 0,
    'throttle-steps': result.throttleSteps ?? 0,
    'cpu-throttle-max': result.throttlePercent ?? 0,
    ...(postcopy ? { 'postcopy-requests': result.remoteFaults ?? 0 } : {}),
    normal: result.pagesSent - (result.zeroPagesSent ?? 0),
    duplicate: result.zeroPagesSent ?? 0,
    result: { ...rest, rounds: rounds.length },
  };
  const bothDown = predicted.downtime !== null && real.downtime !== null;
  const error: Comparison['error'] = {
    'total-time': rel(predicted['total-time'], real['total-time']),
    downtime: rel(predicted.downtime, real.downtime),
    'downtime-ms': bothDown ? predicted.downtime! - real.downtime! : null,
    transferred: rel(predicted.transferred, real.transferred) ?? 0,
    ...(postcopy ? { 'postcopy-requests': rel(predicted['postcopy-requests'], real['postcopy-requests']) } : {}),
    'dirty-sync-count': predicted['dirty-sync-count'] - real['dirty-sync-count'],
    'throttle-steps': predicted['throttle-steps'] - real['throttle-steps'],
    'same-verdict': predicted.converged === real.converged,
  };
  const within = (x: number | null | undefined, g: number) => x !== null && x !== undefined && Math.abs(x) <= g;
  const goals = {
    transferred: within(error.transferred, GOALS.bytes),
    'total-time': !real.converged || within(error['total-time'], GOALS.time),
    downtime: !real.converged || (bothDown && Math.abs(error['downtime-ms']!) <= Math.max(GOALS.downtimeMs, GOALS.downtimeRel * real.downtime!)),
    // The goals hold for converging runs; a run that never converges is held to the same verdict and bytes.
    'dirty-sync-count': !real.converged || Math.abs(error['dirty-sync-count']) <= GOALS.syncs,
    'throttle-steps': !r.options.autoConverge || Math.abs(error['throttle-steps']) <= GOALS.throttleSteps,
    // Zero requests on both sides meets it; otherwise within 10 %.
    'postcopy-requests': !postcopy || (real['postcopy-requests'] === 0 ? predicted['postcopy-requests'] === 0 : within(error['postcopy-requests'], GOALS.faults)),
    verdict: error['same-verdict'],
    all: false,
  };
  goals.all = goals.transferred && goals['total-time'] && goals.downtime && goals['dirty-sync-count'] && goals['throttle-steps'] && goals['postcopy-requests'] && goals.verdict;
  return {
    workload: { ...r.options, qemu: r.qemuVersion, ...(r.qemuPackage ? { qemuPackage: r.qemuPackage } : {}), dataPagesAtStart: r.dataPagesAtStart, replay: setup },
    real, predicted, error, goals,
  };
}
