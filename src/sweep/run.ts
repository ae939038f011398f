// `migreplay sweep` as a library call, in four steps: plan (src/sweep/plan.ts: the grid,
// this shard, what is already done), execute (execute.ts: the worker pool), write
// (write.ts: batches appended as runs finish), and report (here: progress through a
// callback, the summary at the end). Nothing here exits the process or draws on a
// terminal: the CLI decides both (src/cli/sweep.ts).
import { executeSweep, threadsOf } from './execute.js';
import { planSweep, type SweepOptions, type SweepPlan } from './plan.js';
import { SweepOutput } from './write.js';

export type { SweepOptions } from './plan.js';

/** Where a sweep is: runs finished of those to do, and the time since the replays started. */
export interface SweepProgress {
  finished: number;
  total: number;
  elapsedS: number;
  /** The last report, once every run is written. */
  end: boolean;
}

/** How a sweep reports and stops, besides its options. */
export interface SweepControl {
  /** Called after each finished run, every quarter second meanwhile, and once at the end (end: true). */
  onProgress?: (p: SweepProgress) => void;
  /**
   * When it aborts, the finished runs are written and the files closed at once (an
   * --resume continues them); the sweep then resolves with `interrupted` set.
   */
  signal?: AbortSignal;
}

export interface SweepStats {
  /** Runs in the grid (all shards). */
  gridRuns: number;
  /** Runs in this shard. */
  shardRuns: number;
  /** Runs of this shard already in the output (skipped). */
  alreadyDone: number;
  /** Runs replayed now. */
  ran: number;
  /** Wall time of the replays (pool start to last result written), s. */
  seconds: number;
  runsPerSecond: number;
  /** Worker threads used. */
  jobs: number;
  /** How the traces were shared with the workers. */
  share: 'bytes' | 'decoded';
  traces: string[];
  /** Runs per algorithm in this shard. */
  perAlgorithm: Record<string, number>;
  out: string;
  roundsOut?: string;
  /** Set when the signal stopped the sweep: `ran` runs were written, --resume continues. */
  interrupted?: true;
}

/** The summary of a plan before anything ran. */
function planStats(plan: SweepPlan): SweepStats {
  const perAlgorithm: Record<string, number> = {};
  for (const r of plan.mine) perAlgorithm[r.algorithm] = (perAlgorithm[r.algorithm] ?? 0) + 1;
  return {
    gridRuns: plan.gridRuns, shardRuns: plan.mine.length, alreadyDone: plan.mine.length - plan.todo.length, ran: 0, seconds: 0, runsPerSecond: 0,
    jobs: plan.jobs, share: plan.share, traces: plan.traceFiles, perAlgorithm, out: plan.options.out, roundsOut: plan.options.roundsOut,
  };
}

/** Run a sweep. Resolves when every run of the shard is in the output (or the signal stopped it). */
export async function runSweep(o: SweepOptions, control: SweepControl = {}): Promise<SweepStats> {
  const note = o.note ?? ((line: string) => process.stderr.write(`migreplay: ${line}\n`));
  const plan = await planSweep(o);
  const stats = planStats(plan);
  if (o.dryRun) return stats;
  if (control.signal?.aborted) return { ...stats, interrupted: true };

  const output = await SweepOutput.open(plan);
  const started = performance.now();
  const total = plan.todo.length;
  let finished = 0;
  const progress = (end = false) => control.onProgress?.({ finished, total, elapsedS: (performance.now() - started) / 1000, end });

  // An abort writes what has finished, at once: the caller may exit right after it.
  let interrupted = false;
  const onAbort = () => {
    if (interrupted) return;
    interrupted = true;
    try { output.close(); } catch { /* stopping anyway: --resume sees what is whole */ }
    note(`sweep interrupted: ${output.written} runs written to ${plan.runs.appendFile}; --resume continues it`);
  };
  control.signal?.addEventListener('abort', onAbort, { once: true });

  const timer = setInterval(() => {
    if (interrupted) return;
    if (Date.now() - output.lastFlush >= plan.flushMs) output.flush();
    progress();
  }, Math.min(250, plan.flushMs));
  timer.unref();

  try {
    if (total > 0) stats.jobs = threadsOf(plan);
    await executeSweep(plan, output, () => { finished++; progress(); }, () => interrupted);
    if (interrupted) return { ...stats, ran: output.written, interrupted: true };
    output.close();
    stats.ran = finished;
    stats.seconds = (performance.now() - started) / 1000;
    stats.runsPerSecond = stats.seconds > 0 ? finished / stats.seconds : 0;
    progress(true);
    await output.finish();
    return stats;
  } catch (e) {
    if (!interrupted) {
      try { output.close(); } catch { /* the first error is the one to report */ }
    }
    throw e;
  } finally {
    clearInterval(timer);
    control.signal?.removeEventListener('abort', onAbort);
  }
}
