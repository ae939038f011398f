// `migreplay sweep` as a library call, in four steps: plan (src/sweep/plan.ts: the grid,
// this shard, what is already done), execute (execute.ts: the worker pool), write
// (write.ts: batches appended as runs finish), and report (report.ts: progress through a
// callback, the summary at the end). Nothing here exits the process or draws on a
// terminal: the CLI decides both (src/cli/sweep.ts).
import { inert, quoteName } from '../errors.js';
import { executeSweep, threadsOf } from './execute.js';
import { planSweep, type SweepOptions } from './plan.js';
import { finishStats, planStats, type SweepProgress, type SweepStats } from './report.js';
import { SweepOutput } from './write.js';

export type { SweepOptions } from './plan.js';
export type { SweepProgress, SweepStats } from './report.js';

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

/** Run a sweep. Resolves when every run of the shard is in the output (or the signal stopped it). */
export async function runSweep(o: SweepOptions, control: SweepControl = {}): Promise<SweepStats> {
  const note = o.note ?? ((line: string) => process.stderr.write(`migreplay: ${inert(line)}\n`));
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
    note(`sweep interrupted: ${output.written} runs written to ${quoteName(plan.runs.appendFile)}; --resume continues it`);
  };
  control.signal?.addEventListener('abort', onAbort, { once: true });

  // A write that fails in the timer (a full disk) stops the sweep as a failed run does:
  // thrown from a timer it would end the process with a stack.
  let failure: unknown;
  const timer = setInterval(() => {
    if (interrupted || failure !== undefined) return;
    if (Date.now() - output.lastFlush >= plan.flushMs) {
      try { output.flush(); } catch (e) { failure = e; }
    }
    progress();
  }, Math.min(250, plan.flushMs));
  timer.unref();

  try {
    if (total > 0) stats.jobs = threadsOf(plan);
    await executeSweep(plan, output, () => { finished++; progress(); }, () => interrupted || failure !== undefined);
    if (failure !== undefined) throw failure;
    if (interrupted) return { ...stats, ran: output.written, interrupted: true };
    output.close();
    finishStats(stats, finished, (performance.now() - started) / 1000);
    progress(true);
    await output.finish();
    return stats;
  } catch (e) {
    // After a failed write nothing more is written: what is whole stays for --resume.
    if (!interrupted && failure === undefined) {
      try { output.close(); } catch { /* the first error is the one to report */ }
    }
    throw e;
  } finally {
    clearInterval(timer);
    control.signal?.removeEventListener('abort', onAbort);
  }
}
