// A sweep worker (a piscina worker thread): replays runs over traces it shares with
// the main thread (SharedArrayBuffers: file bytes or decoded batches, src/sweep/shared.ts),
// opened once per worker, with its own kernel.
import { workerData } from 'node:worker_threads';
import { findAlgorithm } from '../algorithms/index.js';
import { addOracleDistances, replay } from '../run/replay.js';
import type { LinkParams, ReplayResult } from '../engine/types.js';
import { MigreplayError } from '../errors.js';
import { createKernel } from '../kernel/node.js';
import type { Kernel } from '../kernel/types.js';
import { createWasmKernel } from '../kernel/wasm.js';
import type { Trace } from '../trace/read.js';
import { openShared, type SharedTrace } from './shared.js';

/** What every worker is given once: the traces' bytes, the kernel, the options. */
export interface SweepWorkerData {
  traces: SharedTrace[];
  kernel: 'wasm' | 'js';
  /** The compiled kernel module, shared so workers need not compile it again. */
  wasmModule?: WebAssembly.Module;
  oracle: boolean;
}

/** One run for a worker. */
export interface SweepTask {
  traceIndex: number;
  algorithm: string;
  /** The varied parameters, as text replay() parses (the others take their defaults). */
  params: Record<string, string>;
  link: Record<string, number | string>;
}

/** A worker's answer: the result, or the error it met (errors do not cross threads whole). */
export type SweepOutcome =
  | { ok: true; result: ReplayResult }
  | { ok: false; code: string; message: string; exitCode: number; stack?: string };

const data = workerData as SweepWorkerData;
// The trace reader (and apache-arrow with it) only when a trace comes as file bytes.
const reader = data.traces.some((t) => t.form === 'bytes') ? await import('../trace/read.js') : undefined;
const opened = new Map<number, Trace>();
let kernel: Kernel | undefined;

function traceAt(index: number): Trace {
  let trace = opened.get(index);
  if (!trace) {
    trace = openShared(data.traces[index]!, reader);
    opened.set(index, trace);
  }
  return trace;
}

/** Replay one run. */
export default function runTask(task: SweepTask): SweepOutcome {
  try {
    kernel ??= data.kernel === 'wasm' && data.wasmModule ? createWasmKernel(data.wasmModule) : createKernel(data.kernel);
    const trace = traceAt(task.traceIndex);
    const algorithm = findAlgorithm(task.algorithm);
    if (!algorithm) throw new Error(`unknown algorithm ${task.algorithm}`);
    const link = task.link as unknown as Partial<LinkParams>;
    const result = replay(trace, algorithm, kernel, link, task.params);
    if (data.oracle) addOracleDistances(trace, kernel, link, [result], findAlgorithm);
    return { ok: true, result };
  } catch (e) {
    if (e instanceof MigreplayError) return { ok: false, code: e.code, message: e.message, exitCode: e.exitCode };
    const err = e instanceof Error ? e : new Error(String(e));
    return { ok: false, code: 'internal', message: err.message.split('\n')[0]!, exitCode: 1, stack: err.stack };
  }
}
