// Sweep step 2, the execution: replay the planned runs on a worker pool and hand each
// finished run's rows to the output. A replay's bad input fails the sweep as bad input
// (exit 2); a worker that died twice, or a replay that used other parameter values than
// planned, is an internal error.
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { MigreplayError, type ErrorCode } from '../errors.js';
import { loadWasmModule } from '../kernel/node.js';
import { roundRows, runRow } from './columns.js';
import type { RunSpec } from './grid.js';
import type { SweepPlan } from './plan.js';
import { shareTrace } from './shared.js';
import type { SweepOutcome, SweepTask, SweepWorkerData } from './worker.js';
import type { SweepOutput } from './write.js';

function workerFile(): string {
  const here = new URL('./worker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(here))) return here.href;
  // Running from the TypeScript sources (tests): use the built worker.
  return new URL('../../dist/sweep/worker.js', import.meta.url).href;
}

/** An internal failure of a run: not the user's input; the CLI says "internal error" (exit 1). */
function internal(message: string, stack?: string): Error {
  const e = new Error(message);
  if (stack) e.stack = `${message}\n${stack.split('\n').slice(1).join('\n')}`;
  return e;
}

/** The error a failed run stops the sweep with: the replay's bad input as it said it (exit 2), anything else an internal error (exit 1). */
export function runFailure(run: RunSpec, outcome: Extract<SweepOutcome, { ok: false }>): Error {
  const what = `run ${run.runId} (${run.trace}, ${run.algorithm}, ${JSON.stringify({ ...run.params, ...run.link })})`;
  return outcome.code === 'internal'
    ? internal(`${what} failed: ${outcome.message}`, outcome.stack)
    : new MigreplayError(outcome.code as ErrorCode, `${what} failed: ${outcome.message}`, outcome.exitCode);
}

/** The order to run in: with several workers the longest runs first, so none is left running alone at the end (longest-first list scheduling). */
function schedule(plan: SweepPlan, threads: number): RunSpec[] {
  const todo = [...plan.todo];
  if (threads <= 1) return todo; // one worker keeps the grid's order; rows are keyed by runId anyway
  const cost = (r: RunSpec): number => {
    const t = plan.traces[r.traceIndex]!.trace;
    const seconds = (t.meta.memPages * t.meta.pageSize) / Number(r.link.bandwidthBytesPerS); // one full copy
    return (t.summary.events / Math.max(t.summary.durationUs, 1)) * seconds;
  };
  const costs = new Map(todo.map((r) => [r, cost(r)]));
  return todo.sort((a, b) => costs.get(b)! - costs.get(a)!);
}

/** Worker threads a plan runs on. */
export function threadsOf(plan: SweepPlan): number {
  return Math.min(plan.jobs, plan.todo.length);
}

/**
 * Replay every run left in the plan, each finished one added to `output`, `onRun` called
 * after it. Stops handing out runs after a failure (then throws it) or once `stopped()`.
 */
export async function executeSweep(plan: SweepPlan, output: SweepOutput, onRun: () => void, stopped: () => boolean): Promise<void> {
  const threads = threadsOf(plan);
  if (threads === 0) return;
  const todo = schedule(plan, threads);
  const kernel = plan.options.kernel ?? 'wasm';
  const workerData: SweepWorkerData = {
    traces: plan.traces.map((t) => shareTrace(t.trace, t.bytes, plan.share)),
    kernel,
    wasmModule: kernel === 'wasm' ? loadWasmModule() : undefined,
    oracle: Boolean(plan.options.oracle),
  };
  const pool = new Piscina<SweepTask, SweepOutcome>({ filename: workerFile(), minThreads: threads, maxThreads: threads, idleTimeout: 60_000, workerData });
  let failure: unknown;
  let next = 0;
  const one = async (run: RunSpec): Promise<void> => {
    let outcome: SweepOutcome | undefined;
    const task: SweepTask = { traceIndex: run.traceIndex, algorithm: run.algorithm, params: run.given, link: run.link };
    // A replay's own errors come back as outcomes (deterministic: not retried); the pool
    // rejects only when a worker died or could not start: that run is tried once more.
    for (let attempt = 0; !outcome; attempt++) {
      try {
        outcome = await pool.run(task);
      } catch (e) {
        if (stopped()) return;
        if (attempt === 0) continue;
        outcome = { ok: false, code: 'internal', message: e instanceof Error ? e.message.split('\n')[0]! : String(e), exitCode: 1, stack: e instanceof Error ? e.stack : undefined };
      }
    }
    if (!outcome.ok) {
      failure ??= runFailure(run, outcome);
      return;
    }
    // The row's parameter columns (and the run's id) are the values the replay really used.
    const used = outcome.result.params as Record<string, unknown>;
    for (const [k, v] of Object.entries({ ...run.params, ...run.link })) {
      if (k in used && used[k] !== v) {
        failure ??= internal(`run ${run.runId} (${run.trace}, ${run.algorithm}): the replay used ${k} = ${String(used[k])} where the sweep expected ${String(v)} (a bug: please report it)`);
        return;
      }
    }
    if (failure || stopped()) return; // the sweep is stopping: nothing more is written
    const t = plan.traces[run.traceIndex]!.trace;
    output.add(runRow(plan.runs.columns, run, { memPages: t.meta.memPages, pageSize: t.meta.pageSize }, outcome.result), output.hasRounds ? roundRows(run.runId, outcome.result) : []);
    onRun();
  };
  // Keep every worker busy with a short queue; stop handing out runs after a failure.
  const lane = async () => {
    while (next < todo.length && !failure && !stopped()) {
      try {
        await one(todo[next++]!);
      } catch (e) {
        failure ??= e; // a write failed: stop every lane, then report it
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: threads * 2 }, lane));
  } finally {
    await pool.destroy();
  }
  if (failure) throw failure;
}
