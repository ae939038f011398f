// Many guests migrating over one shared link (docs/fleet.md). Each guest replays in a
// worker thread of its own (its own trace, kernel and engine: src/run/fleet-worker.ts);
// every transfer its engine makes is a request to the coordinator here, which runs one
// clock for the fleet and answers it. The link is shared max-min fairly, each migration
// up to its own cap, among the migrations transferring at the moment; shares change
// only when a transfer starts or ends. The coordinator moves on only when every running
// guest is waiting on it, so the outcome does not depend on thread timing.
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { findAlgorithm, algorithms } from '../algorithms/index.js';
import { paramKey, resolveParams } from '../params/index.js';
import type { ReplayResult } from '../engine/types.js';
import { DEFAULT_LINK, type LinkParams } from '../engine/types.js';
import type { WithinEpoch } from '../engine/clock.js';
import { fail, MigreplayError, type ErrorCode } from '../errors.js';
import { fileSource } from '../io/files.js';
import { openTrace } from '../trace/read.js';
import { checkLink } from './replay.js';

import { FLEET_ORDER_BY, FLEET_POLICIES, type FleetOrderBy, type FleetPolicy } from '../params/fleet.js';

export { FLEET_ORDER_BY, FLEET_POLICIES, type FleetOrderBy, type FleetPolicy };

/** One guest of a fleet plan. */
export interface FleetGuest {
  /** Trace file. */
  trace: string;
  /** Shown in outputs; default: the trace's file name (made unique). */
  name?: string;
  /** A pre-copy algorithm id. */
  algorithm: string;
  /** Algorithm parameters, by name or key, CLI-style values (units allowed). */
  params?: Record<string, string | number>;
  /** This migration's own cap on the link (QEMU's max-bandwidth), bytes/s; default: the link's bandwidth. */
  maxBandwidthBytesPerS?: number;
  /** Trace time its migration starts at, s (replay --start). */
  startS?: number;
  resumeMs?: number;
  withinEpoch?: WithinEpoch;
  /** The earliest fleet time it may begin, s (default 0). */
  notBeforeS?: number;
}

/** A fleet: guests, the link they share, and when each starts. */
export interface FleetPlan {
  /** The shared link, bytes/s. */
  bandwidthBytesPerS: number;
  policy: FleetPolicy;
  /** At most this many migrations at once (sequential and the ordered policies: 1 by default; parallel: all). */
  maxConcurrent?: number;
  /** shortest-first / largest-first: by guest memory (default) or by the trace's write rate. */
  by?: FleetOrderBy;
  kernel?: 'wasm' | 'js';
  guests: FleetGuest[];
}

/** One guest's outcome in a fleet. */
export interface FleetGuestResult {
  name: string;
  trace: string;
  algorithm: string;
  memPages: number;
  pageSize: number;
  /** Fleet time its migration began and switched over (its total time later), s. */
  beginS: number;
  endS: number;
  /** Everything replay reports, in the guest's own migration time (0 at beginS). */
  result: ReplayResult;
  /** Its share of the link over fleet time: [from s, to s, bytes/s], while it transferred. */
  shares: [number, number, number][];
}

/** A fleet's outcome. */
export interface FleetResult {
  link: { bandwidthBytesPerS: number };
  policy: FleetPolicy;
  maxConcurrent: number;
  by: FleetOrderBy;
  /** Guest names in the order they were started. */
  order: string[];
  guests: FleetGuestResult[];
  /** First begin to last switch-over, s. */
  makespanS: number;
  /** The mean over guests of their switch-over time, from the first begin, s (what shortest-first lowers). */
  meanSwitchOverS: number;
  bytesSent: number;
  /** Over the guests that switched over; null when none did. */
  worstDowntimeMs: number | null;
  meanDowntimeMs: number | null;
  /** Guests that never switched over (cut off by max-time). */
  unfinished: number;
}

/** Options of runFleet. */
export interface FleetOptions {
  /** Called every few seconds with guests done and in all. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Max-min fair shares of `capacity` among flows capped at `caps`: the water level rises
 * until each flow has its cap or the link is full.
 */
export function fairShares(caps: readonly number[], capacity: number): number[] {
  const order = caps.map((_, i) => i).sort((a, b) => caps[a]! - caps[b]!);
  const rates = new Array<number>(caps.length);
  let left = capacity;
  let count = caps.length;
  let k = 0;
  for (; k < order.length; k++) {
    const i = order[k]!;
    if (caps[i]! > left / count) break;
    rates[i] = caps[i]!;
    left -= caps[i]!;
    count--;
  }
  for (; k < order.length; k++) rates[order[k]!] = left / count;
  return rates;
}

// The shared state between coordinator and a guest worker: per guest one Int32 state,
// and after the states a change counter every worker bumps; per guest four Float64s.
export const S_RUNNING = 0; // the guest computes
export const S_REQUEST = 1; // it waits for a transfer: IO[4i] at (its µs), IO[4i+1] bytes, IO[4i+2] cap
export const S_DONE = 2; // finished: IO[4i+3] its end (its µs); the result follows as a message
export const S_ERROR = 3; // failed: the error follows as a message

/** What a fleet worker is started with: the shared state of the whole fleet. */
export interface FleetWorkerData {
  guests: number;
  shared: SharedArrayBuffer;
}

/** One guest for a worker to replay (a worker replays several, one after another). */
export interface FleetJob {
  index: number;
  trace: string;
  algorithm: string;
  params: Record<string, string | number>;
  link: LinkParams;
  kernel: 'wasm' | 'js';
}

/** What a fleet worker sends back for a job. */
export type FleetWorkerReply = { result: ReplayResult } | { error: { code: ErrorCode | null; message: string; exitCode: number } };

function workerFile(): URL {
  const here = new URL('./fleet-worker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(here))) return here;
  // Running from the TypeScript sources (tests): use the built worker.
  return new URL('../../dist/run/fleet-worker.js', import.meta.url);
}

interface Prepared {
  spec: FleetGuest;
  name: string;
  algorithm: string;
  link: LinkParams;
  cap: number;
  memPages: number;
  pageSize: number;
  bytes: number;
  writeRate: number;
  notBeforeUs: number;
}

function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Check a plan and everything it names (traces, algorithms, parameters) before any guest runs. */
function prepare(plan: FleetPlan): Prepared[] {
  if (!(plan.bandwidthBytesPerS > 0) || !Number.isFinite(plan.bandwidthBytesPerS)) fail('usage', `fleet: the link's bandwidth must be above 0 (got ${shown(plan.bandwidthBytesPerS)})`);
  if (!FLEET_POLICIES.includes(plan.policy)) fail('usage', `fleet: policy ${shown(plan.policy)} is not one of ${FLEET_POLICIES.join(', ')}`);
  if (plan.by !== undefined && !FLEET_ORDER_BY.includes(plan.by)) fail('usage', `fleet: by ${shown(plan.by)} is not one of ${FLEET_ORDER_BY.join(', ')}`);
  if (plan.maxConcurrent !== undefined && !(Number.isInteger(plan.maxConcurrent) && plan.maxConcurrent >= 1)) {
    fail('usage', `fleet: max-concurrent must be a whole number ≥ 1 (got ${shown(plan.maxConcurrent)})`);
  }
  if (!Array.isArray(plan.guests) || plan.guests.length === 0) fail('usage', 'fleet: no guests: name at least one trace');
  const names = new Set<string>();
  return plan.guests.map((g, i) => {
    const what = `fleet: guest ${i + 1}`;
    if (typeof g.trace !== 'string' || g.trace === '') fail('usage', `${what}: no trace`);
    const alg = findAlgorithm(g.algorithm);
    if (!alg) fail('unknown-algorithm', `${what}: unknown algorithm ${shown(g.algorithm)} (known: ${algorithms.map((a) => a.id).join(', ')})`);
    // The post-copy phase keeps a link clock of its own (src/engine/postcopy.ts) and the
    // oracle plans at a fixed rate: neither can take a share that changes under it.
    if (alg.family !== 'precopy') fail('usage', `${what}: ${alg.id} cannot share a link in a fleet: only the pre-copy algorithms can (docs/fleet.md)`);
    const params = g.params ?? {};
    for (const k of Object.keys(params)) {
      if (!alg.params.some((p) => p.name === k || paramKey(p.name) === k)) fail('usage', `${what}: ${alg.id} has no parameter ${shown(k)} (it has ${alg.params.map((p) => p.name).join(', ')})`);
    }
    resolveParams(alg, params);
    const cap = g.maxBandwidthBytesPerS ?? plan.bandwidthBytesPerS;
    if (!(cap > 0) || !Number.isFinite(cap)) fail('usage', `${what}: max-bandwidth must be above 0 (got ${shown(cap)})`);
    const notBefore = g.notBeforeS ?? 0;
    if (!(notBefore >= 0) || !Number.isFinite(notBefore)) fail('usage', `${what}: not-before must be a time ≥ 0 (got ${shown(notBefore)})`);
    const trace = openTrace(fileSource(g.trace));
    // The guest's own link: its cap is the bandwidth its algorithm sees (QEMU's max-bandwidth).
    const link: LinkParams = { ...DEFAULT_LINK, bandwidthBytesPerS: cap, startS: g.startS ?? 0, resumeMs: g.resumeMs ?? 0, withinEpoch: g.withinEpoch ?? DEFAULT_LINK.withinEpoch };
    checkLink(trace, link);
    let name = g.name ?? path.basename(g.trace).replace(/\.[^.]*$/, '');
    if (g.name !== undefined && names.has(name)) fail('usage', `${what}: the name ${shown(name)} is taken by another guest`);
    for (let n = 2; names.has(name); n++) name = `${g.name ?? path.basename(g.trace).replace(/\.[^.]*$/, '')}#${n}`;
    names.add(name);
    return {
      spec: g, name, algorithm: alg.id, link, cap,
      memPages: trace.meta.memPages, pageSize: trace.meta.pageSize, bytes: trace.meta.memPages * trace.meta.pageSize,
      writeRate: trace.summary.events / (trace.summary.durationUs / 1e6),
      notBeforeUs: notBefore * 1e6,
    };
  });
}

/** The order guests start in under the plan's policy (ties keep the plan's order). */
function startOrder(plan: FleetPlan, guests: Prepared[]): number[] {
  const order = guests.map((_, i) => i);
  if (plan.policy === 'shortest-first' || plan.policy === 'largest-first') {
    const key = (i: number): number => ((plan.by ?? 'memory') === 'memory' ? guests[i]!.bytes : guests[i]!.writeRate);
    const sign = plan.policy === 'shortest-first' ? 1 : -1;
    order.sort((a, b) => sign * (key(a) - key(b)) || a - b);
  }
  return order;
}

interface Transfer {
  /** Its start in the guest's µs, as asked. */
  atLocal: number;
  /** Fleet µs it may start at. */
  atUs: number;
  cap: number;
  /** Bytes left at segStartUs. */
  remaining: number;
  /** Current share (0: not flowing yet) and since when (fleet µs). */
  rate: number;
  segStartUs: number;
  /** µs of the transfer spent before segStartUs. */
  elapsedUs: number;
}

interface Live {
  g: Prepared;
  index: number;
  slot?: { worker: Worker; busy: boolean };
  begun: boolean;
  beginUs: number;
  done: boolean;
  endUs: number;
  freed: boolean;
  req?: Transfer;
  /** Where the guest's time stood after the last reply: a request from there is back to back. */
  contLocal: number;
  contUs: number;
  shares: [number, number, number][];
  reply?: Promise<FleetWorkerReply>;
}

/** Run a fleet: each guest's replay, the link shared among them; results in plan order. */
export async function runFleet(plan: FleetPlan, options: FleetOptions = {}): Promise<FleetResult> {
  const prepared = prepare(plan);
  const n = prepared.length;
  const order = startOrder(plan, prepared);
  const k = plan.maxConcurrent ?? (plan.policy === 'parallel' ? n : 1);
  const B = plan.bandwidthBytesPerS;
  const shared = new SharedArrayBuffer(4 * (n + 1) + 8 * 4 * n + 4);
  const state = new Int32Array(shared, 0, n + 1);
  const io = new Float64Array(shared, 8 * Math.ceil((4 * (n + 1)) / 8), 4 * n);
  const live: Live[] = prepared.map((g, index) => ({ g, index, begun: false, beginUs: 0, done: false, endUs: 0, freed: false, contLocal: 0, contUs: 0, shares: [] }));
  let workerFailure: Error | undefined;
  const file = workerFile();

  // A guest's replay does not depend on when it begins (its requests carry its own
  // time), so it is handed to a worker ahead — loading its trace and kernel while others
  // migrate — and runs to its first request, answered once it has begun. A few workers
  // replay every guest in turn: each loads the code once.
  const pool: { worker: Worker; busy: boolean }[] = [];
  const resolvers = new Map<number, (r: FleetWorkerReply) => void>();
  const P = Math.min(n, k + Math.max(2, availableParallelism()));
  let assigned = 0;
  const feed = (): void => {
    while (assigned < n) {
      let slot = pool.find((w) => !w.busy);
      if (!slot && pool.length < P) {
        const worker = new Worker(file, { workerData: { guests: n, shared } satisfies FleetWorkerData });
        worker.on('message', (m: { index: number; reply: FleetWorkerReply }) => resolvers.get(m.index)?.(m.reply));
        worker.once('error', (e) => { workerFailure ??= e; });
        worker.once('exit', (code) => { if (code !== 0) workerFailure ??= new Error(`a fleet worker exited with ${code}`); });
        slot = { worker, busy: false };
        pool.push(slot);
      }
      if (!slot) return;
      const x = live[order[assigned++]!]!;
      slot.busy = true;
      x.slot = slot;
      x.reply = new Promise<FleetWorkerReply>((resolve) => resolvers.set(x.index, resolve));
      const job: FleetJob = {
        index: x.index, trace: x.g.spec.trace, algorithm: x.g.algorithm,
        params: x.g.spec.params ?? {}, link: x.g.link, kernel: plan.kernel ?? 'wasm',
      };
      slot.worker.postMessage(job);
    }
  };
  const begin = (x: Live, at: number): void => {
    x.begun = true;
    x.beginUs = at;
    x.contUs = at;
  };
  const terminate = async (): Promise<void> => {
    await Promise.all(pool.map((w) => w.worker.terminate()));
  };
  const failed = async (x: Live): Promise<never> => {
    const r = await x.reply!;
    await terminate();
    if ('error' in r) {
      const e = r.error;
      if (e.code) throw new MigreplayError(e.code, `${x.g.name}: ${e.message}`, e.exitCode);
      throw new Error(`${x.g.name}: ${e.message}`);
    }
    throw new Error(`${x.g.name}: failed`);
  };

  let T = 0;
  let next = 0;
  let active = 0;
  let doneCount = 0;
  let lastProgress = Date.now();
  const setRate = (x: Live, r: number): void => {
    const q = x.req!;
    if (q.rate === r) return;
    if (q.rate > 0) {
      const dt = T - q.segStartUs;
      q.remaining -= (q.rate * dt) / 1e6;
      q.elapsedUs += dt;
      x.shares.push([q.segStartUs / 1e6, T / 1e6, q.rate]);
    }
    q.rate = r;
    q.segStartUs = T;
  };
  const answer = (x: Live, us: number): void => {
    const q = x.req!;
    x.req = undefined;
    x.contLocal = q.atLocal + us;
    x.contUs = T;
    io[4 * x.index + 3] = us;
    Atomics.store(state, x.index, S_RUNNING);
    Atomics.notify(state, x.index);
  };

  try {
    for (;;) {
      // Slots freed by switch-overs up to now, then the guests that may begin.
      for (const x of live) if (x.done && !x.freed && x.endUs <= T) { x.freed = true; active--; }
      while (next < n && active < k && live[order[next]!]!.g.notBeforeUs <= T) {
        begin(live[order[next]!]!, T);
        next++;
        active++;
      }
      feed();
      // Wait until every guest that has begun is waiting on the link or done.
      for (;;) {
        const seen = Atomics.load(state, n);
        let running = false;
        for (const x of live) {
          if (!x.begun || x.done || x.req) continue;
          const s = Atomics.load(state, x.index);
          if (s === S_RUNNING) running = true;
          else if (s === S_ERROR) return await failed(x);
          else if (s === S_DONE) {
            x.done = true;
            doneCount++;
            const endLocal = io[4 * x.index + 3]!;
            x.endUs = endLocal === x.contLocal ? x.contUs : x.beginUs + endLocal;
            x.slot!.busy = false;
            feed();
          } else if (s === S_REQUEST) {
            const atLocal = io[4 * x.index]!;
            const bytes = io[4 * x.index + 1]!;
            const cap = io[4 * x.index + 2]!;
            // Back to back with its last transfer: it asks at the fleet time that one ended.
            const atUs = atLocal === x.contLocal ? x.contUs : Math.max(T, x.beginUs + atLocal);
            x.req = { atLocal, atUs, cap, remaining: bytes, rate: 0, segStartUs: atUs, elapsedUs: 0 };
            if (bytes <= 0) {
              x.req.atUs = T;
              answer(x, 0);
              running = true;
            }
          }
        }
        if (workerFailure) throw workerFailure;
        if (!running) break;
        if (Atomics.wait(state, n, seen, 1000) === 'timed-out') {
          await new Promise((r) => setImmediate(r)); // let a dead worker's exit event in
        }
      }
      if (options.onProgress && Date.now() - lastProgress > 2000) {
        lastProgress = Date.now();
        options.onProgress(doneCount, n);
      }
      if (doneCount === n) break;
      // The link's shares now, among the transfers under way.
      const flowing = live.filter((x) => x.req && x.req.atUs <= T);
      const rates = fairShares(flowing.map((x) => x.req!.cap), B);
      flowing.forEach((x, i) => setRate(x, rates[i]!));
      // The next event: a transfer ends, one starts, a guest switches over or may begin.
      let t1 = Infinity;
      for (const x of live) {
        if (x.req) t1 = Math.min(t1, x.req.rate > 0 ? x.req.segStartUs + (x.req.remaining * 1e6) / x.req.rate : x.req.atUs);
        if (x.done && !x.freed) t1 = Math.min(t1, x.endUs);
      }
      if (next < n && active < k) t1 = Math.min(t1, Math.max(T, live[order[next]!]!.g.notBeforeUs));
      if (!(t1 < Infinity)) throw new Error('fleet: no event ahead while guests are unfinished');
      // Transfers that end then are answered: the µs they took in their guest's time.
      const ending = flowing.filter((x) => x.req!.segStartUs + (x.req!.remaining * 1e6) / x.req!.rate <= t1);
      T = Math.max(T, t1);
      for (const x of ending) {
        const q = x.req!;
        x.shares.push([q.segStartUs / 1e6, T / 1e6, q.rate]);
        answer(x, q.elapsedUs + (q.remaining * 1e6) / q.rate);
      }
    }
    const replies = await Promise.all(live.map((x) => x.reply!));
    await terminate();
    const guests: FleetGuestResult[] = live.map((x, i) => {
      const r = replies[i]!;
      if (!('result' in r)) throw new Error(`${x.g.name}: no result`);
      return {
        name: x.g.name, trace: x.g.spec.trace, algorithm: x.g.algorithm, memPages: x.g.memPages, pageSize: x.g.pageSize,
        beginS: x.beginUs / 1e6, endS: x.endUs / 1e6, result: r.result, shares: mergeShares(x.shares),
      };
    });
    const finished = guests.filter((g) => g.result.downtimeMs !== null);
    const first = Math.min(...live.map((x) => x.beginUs));
    const downtimes = finished.map((g) => g.result.downtimeMs!);
    return {
      link: { bandwidthBytesPerS: B }, policy: plan.policy, maxConcurrent: k, by: plan.by ?? 'memory',
      order: order.map((i) => live[i]!.g.name), guests,
      makespanS: (Math.max(...live.map((x) => x.endUs)) - first) / 1e6,
      meanSwitchOverS: live.reduce((s, x) => s + (x.endUs - first), 0) / live.length / 1e6,
      bytesSent: guests.reduce((s, g) => s + g.result.bytesSent, 0),
      worstDowntimeMs: downtimes.length > 0 ? Math.max(...downtimes) : null,
      meanDowntimeMs: downtimes.length > 0 ? downtimes.reduce((a, b) => a + b, 0) / downtimes.length : null,
      unfinished: guests.length - finished.length,
    };
  } catch (e) {
    await terminate();
    throw e;
  }
}

/** Adjacent segments at the same rate as one. */
function mergeShares(s: [number, number, number][]): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const seg of s) {
    const last = out[out.length - 1];
    if (last && last[2] === seg[2] && last[1] === seg[0]) last[1] = seg[1];
    else out.push([...seg]);
  }
  return out;
}
