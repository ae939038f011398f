// One guest of a fleet (src/run/fleet.ts): its replay, with every transfer asked of the
// coordinator, which answers with the µs it took on the shared link.
import { workerData, parentPort } from 'node:worker_threads';
import { findAlgorithm } from '../algorithms/index.js';
import type { LinkChannel } from '../engine/engine.js';
import { MigreplayError } from '../errors.js';
import { fileSource } from '../io/files.js';
import { memoryBudget } from '../io/memory.js';
import { createKernel } from '../kernel/node.js';
import { openTrace } from '../trace/read.js';
import { S_DONE, S_ERROR, S_REQUEST, type FleetWorkerData, type FleetWorkerReply } from './fleet.js';
import { replay } from './replay.js';

const data = workerData as FleetWorkerData;
const state = new Int32Array(data.shared, 0, data.guests + 1);
const io = new Float64Array(data.shared, 8 * Math.ceil((4 * (data.guests + 1)) / 8), 4 * data.guests);
const i = data.index;

const bump = (s: number): void => {
  Atomics.store(state, i, s);
  Atomics.add(state, data.guests, 1);
  Atomics.notify(state, data.guests);
};

const channel: LinkChannel = {
  transferUs(atUs, bytes, capBytesPerS) {
    io[4 * i] = atUs;
    io[4 * i + 1] = bytes;
    io[4 * i + 2] = capBytesPerS;
    bump(S_REQUEST);
    while (Atomics.load(state, i) === S_REQUEST) Atomics.wait(state, i, S_REQUEST);
    return io[4 * i + 3]!;
  },
};

let reply: FleetWorkerReply;
let end = S_DONE;
try {
  const trace = openTrace(fileSource(data.trace), { keepDecodedBytes: memoryBudget() / data.guests }); // the guests' workers share the budget
  const result = replay(trace, findAlgorithm(data.algorithm)!, createKernel(data.kernel), data.link, data.params, channel);
  io[4 * i + 3] = result.totalTimeS * 1e6;
  reply = { result };
} catch (e) {
  end = S_ERROR;
  reply = { error: e instanceof MigreplayError ? { code: e.code, message: e.message, exitCode: e.exitCode } : { code: null, message: e instanceof Error ? e.message : String(e), exitCode: 1 } };
}
parentPort!.postMessage(reply);
bump(end);
