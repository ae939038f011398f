// Sweep step 4, the report: where a sweep is while it runs (handed to a callback: the
// CLI draws it, src/sweep/progress.ts) and its summary at the end.
import type { SweepPlan } from './plan.js';

/** Where a sweep is: runs finished of those to do, and the time since the replays started. */
export interface SweepProgress {
  finished: number;
  total: number;
  elapsedS: number;
  /** The last report, once every run is written. */
  end: boolean;
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
export function planStats(plan: SweepPlan): SweepStats {
  const perAlgorithm: Record<string, number> = {};
  for (const r of plan.mine) perAlgorithm[r.algorithm] = (perAlgorithm[r.algorithm] ?? 0) + 1;
  return {
    gridRuns: plan.gridRuns, shardRuns: plan.mine.length, alreadyDone: plan.mine.length - plan.todo.length, ran: 0, seconds: 0, runsPerSecond: 0,
    jobs: plan.jobs, share: plan.share, traces: plan.traceFiles, perAlgorithm, out: plan.options.out, roundsOut: plan.options.roundsOut,
  };
}

/** The summary once the runs are written: how many ran, in how long. */
export function finishStats(stats: SweepStats, ran: number, seconds: number): void {
  stats.ran = ran;
  stats.seconds = seconds;
  stats.runsPerSecond = seconds > 0 ? ran / seconds : 0;
}
