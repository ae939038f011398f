// Real beside predicted: replay a recorded run's guest trace with `qemu` (or
// `auto-converge`) under the run's max-bandwidth and downtime-limit and compare the
// two on total time, downtime, bytes, dirty syncs, throttle steps and convergence.
// No QEMU needed: test/validate.test.ts runs this on a recorded run.
import { findAlgorithm } from '../algorithms/index.js';
import { replay } from '../engine/replay.js';
import type { ReplayResult } from '../engine/types.js';
import type { Kernel } from '../kernel/types.js';
import type { Trace } from '../trace/read.js';
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
  normal?: number;
  duplicate?: number;
}

/** The goals of issue 11. */
export const GOALS = { bytes: 0.1, time: 0.1, syncs: 1, throttleSteps: 1 } as const;

export interface Comparison {
  workload: Record<string, unknown>;
  real: Side & { 'query-migrate': Record<string, any> };
  predicted: Side & { result: Omit<ReplayResult, 'rounds'> & { rounds: number } };
  error: {
    /** Relative errors (predicted − real) / real. */
    'total-time': number | null;
    downtime: number | null;
    transferred: number;
    /** Differences predicted − real. */
    'dirty-sync-count': number;
    'throttle-steps': number;
    'same-verdict': boolean;
  };
  /** Each goal met or not. */
  goals: { transferred: boolean; 'total-time': boolean; 'dirty-sync-count': boolean; 'throttle-steps': boolean; verdict: boolean; all: boolean };
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
    normal: ram.normal,
    duplicate: ram.duplicate,
    'query-migrate': at,
  };
}

const rel = (p: number | null, r: number | null) => (p === null || r === null || r === 0 ? null : (p - r) / r);

/** How the replay is set up beyond the run's own parameters. */
export interface CompareOptions {
  /** Bytes/s of the final copy (QEMU does not rate-limit it); default SWITCHOVER_BANDWIDTH. */
  switchoverBandwidth?: number;
}

/** The final copy's speed over loopback measured here: downtime-bytes / downtime ran 300–600 MB/s (docs/validation.md). */
export const SWITCHOVER_BANDWIDTH = 400e6;

/** Replay the record's trace and compare. */
export function compareRun(r: RunRecord, trace: Trace, kernel: Kernel, o: CompareOptions = {}): Comparison {
  const real = realSide(r);
  const algo = findAlgorithm(r.options.autoConverge ? 'auto-converge' : 'qemu')!;
  // A run cancelled at the timeout is predicted up to the same moment.
  const maxTime = real.converged ? Math.max(600, r.options.timeoutS * 4) : real['total-time'] / 1000;
  const result = replay(trace, algo, kernel, { bandwidthBytesPerS: r.options.bandwidth }, {
    'downtime-limit': `${r.options.downtimeLimitMs}ms`,
    'max-time': maxTime,
    'switchover-bandwidth': o.switchoverBandwidth ?? SWITCHOVER_BANDWIDTH,
  });
  const { rounds, ...rest } = result;
  const predicted: Comparison['predicted'] = {
    status: result.converged ? 'completed' : `not converged (${result.stopReason} at ${result.totalTimeS.toFixed(1)} s)`,
    converged: result.converged,
    'total-time': Math.round(result.totalTimeS * 1000),
    downtime: result.downtimeMs === null ? null : Math.round(result.downtimeMs),
    transferred: result.bytesSent,
    'dirty-sync-count': result.dirtySyncCount ?? 0,
    'throttle-steps': result.throttleSteps ?? 0,
    'cpu-throttle-max': result.throttlePercent ?? 0,
    normal: result.pagesSent - (result.zeroPagesSent ?? 0),
    duplicate: result.zeroPagesSent ?? 0,
    result: { ...rest, rounds: rounds.length },
  };
  const error: Comparison['error'] = {
    'total-time': rel(predicted['total-time'], real['total-time']),
    downtime: rel(predicted.downtime, real.downtime),
    transferred: rel(predicted.transferred, real.transferred) ?? 0,
    'dirty-sync-count': predicted['dirty-sync-count'] - real['dirty-sync-count'],
    'throttle-steps': predicted['throttle-steps'] - real['throttle-steps'],
    'same-verdict': predicted.converged === real.converged,
  };
  const within = (x: number | null, g: number) => x !== null && Math.abs(x) <= g;
  const goals = {
    transferred: within(error.transferred, GOALS.bytes),
    'total-time': !real.converged || within(error['total-time'], GOALS.time),
    // The goals of issue 11 hold for converging runs; a run that never converges is held to the same verdict and bytes.
    'dirty-sync-count': !real.converged || Math.abs(error['dirty-sync-count']) <= GOALS.syncs,
    'throttle-steps': !r.options.autoConverge || Math.abs(error['throttle-steps']) <= GOALS.throttleSteps,
    verdict: error['same-verdict'],
    all: false,
  };
  goals.all = goals.transferred && goals['total-time'] && goals['dirty-sync-count'] && goals['throttle-steps'] && goals.verdict;
  return { workload: { ...r.options, qemu: r.qemuVersion, dataPagesAtStart: r.dataPagesAtStart, switchoverBandwidth: o.switchoverBandwidth ?? SWITCHOVER_BANDWIDTH }, real, predicted, error, goals };
}
