// A fleet worker (src/run/fleet.ts): replays the guests it is given, one after another,
// each with its own trace, kernel and engine; every transfer is asked of the coordinator,
// which answers with the µs it took on the shared link.
import { workerData, parentPort } from 'node:worker_threads';
import { findAlgorithm } from '../algorithms/index.js';
import type { LinkChannel } from '../engine/engine.js';
import { MigreplayError } from '../errors.js';
import { fileSource } from '../io/files.js';
import { memoryBudget } from '../io/memory.js';
import { createKernel } from '../kernel/node.js';
import { openTrace } from '../trace/read.js';
import { S_DONE, S_ERROR, S_REQUEST, type FleetJob, type FleetWorkerData, type FleetWorkerReply } from './fleet.js';
import { replay } from './replay.js';

const data = workerData as FleetWorkerData;
const state = new Int32Array(data.shared, 0, data.guests + 1);
const io = new Float64Array(data.shared, 8 * Math.ceil((4 * (data.guests + 1)) / 8), 4 * data.guests);

const bump = (i: number, s: number): void => {
  Atomics.store(state, i, s);
  Atomics.add(state, data.guests, 1);
  Atomics.notify(state, data.guests);
};

/** The link of guest i: each transfer a request, answered by the coordinator. */
const channelOf = (i: number): LinkChannel => ({
  transferUs(atUs, bytes, capBytesPerS) {
    io[4 * i] = atUs;
    io[4 * i + 1] = bytes;
    io[4 * i + 2] = capBytesPerS;
    bump(i, S_REQUEST);
    while (Atomics.load(state, i) === S_REQUEST) Atomics.wait(state, i, S_REQUEST);
    return io[4 * i + 3]!;
  },
});

parentPort!.on('message', (job: FleetJob) => {
  const i = job.index;
  let reply: FleetWorkerReply;
  let end = S_DONE;
  try {
    const trace = openTrace(fileSource(job.trace), { keepDecodedBytes: memoryBudget() / data.guests }); // the guests' workers share the budget
    const result = replay(trace, findAlgorithm(job.algorithm)!, createKernel(job.kernel), job.link, job.params, channelOf(i));
    io[4 * i + 3] = result.totalTimeS * 1e6;
    reply = { result };
  } catch (e) {
    end = S_ERROR;
    reply = { error: e instanceof MigreplayError ? { code: e.code, message: e.message, exitCode: e.exitCode } : { code: null, message: e instanceof Error ? e.message : String(e), exitCode: 1 } };
  }
  parentPort!.postMessage({ index: i, reply });
  bump(i, end);
});
