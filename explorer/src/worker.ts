// The replay worker: holds the decoded trace and the wasm kernel, replays on request.
// The page never blocks on a replay; requests that arrive while one runs are
// coalesced: only the newest is replayed next.
import {
  bytesSource, createWasmKernel, decodedTrace, findAlgorithm, openTrace, parseDuration, parseRate,
  qmpDocument, replay, addOracleDistances, isCoarse, replayAll, resultsDocument,
  type Kernel, type LinkParams, type ReplayResult, type Trace,
} from 'migreplay';
import wasmUrl from '../../build/kernel.wasm?url';
import type { FromWorker, LinkInput, ReplayRequest, ToWorker, TraceInfo } from './protocol';

let kernel: Kernel | undefined;
let trace: Trace | undefined;
let pendingReplay: Extract<ToWorker, { type: 'replay' }> | undefined;
let pendingExport: Extract<ToWorker, { type: 'export' }> | undefined;
let scheduled = false;

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

/** The link from CLI strings, read by the same functions the CLI uses. */
function linkFrom(l: LinkInput): LinkParams {
  const resumeMs = Number(l.resumeMs);
  return { bandwidthBytesPerS: parseRate('--bandwidth', l.bandwidth), startS: parseDuration('--start', l.start), resumeMs, withinEpoch: l.withinEpoch };
}

const HEAT_ROWS = 160;
const HEAT_COLS = 480;

function heatMap(t: Trace): TraceInfo['heat'] {
  const rows = Math.min(HEAT_ROWS, t.meta.memPages);
  const pagesPerRow = t.meta.memPages / rows;
  const durationUs = t.summary.durationUs;
  const cols = Math.max(1, Math.min(HEAT_COLS, t.summary.epochs));
  const usPerCol = durationUs / cols;
  const counts = new Uint32Array(rows * cols);
  for (const b of t.batches()) {
    for (let i = 0; i < b.length; i++) {
      const col = Math.min(cols - 1, Math.floor(b.tUs[i]! / usPerCol));
      for (let j = b.offsets[i]!; j < b.offsets[i + 1]!; j++) counts[Math.floor(b.pages[j]! / pagesPerRow) * cols + col]!++;
    }
  }
  let max = 0;
  for (const c of counts) if (c > max) max = c;
  return { rows, cols, pagesPerRow, secondsPerCol: usPerCol / 1e6, counts, max };
}

function load(name: string, bytes: ArrayBuffer): void {
  const t0 = performance.now();
  const t = decodedTrace(openTrace(bytesSource(name, new Uint8Array(bytes))));
  const decodeMs = performance.now() - t0;
  trace = t;
  const heat = heatMap(t);
  const info: TraceInfo = {
    name, memPages: t.meta.memPages, pageSize: t.meta.pageSize, epochs: t.summary.epochs, events: t.summary.events,
    durationS: t.summary.durationUs / 1e6, intervalUs: t.meta.intervalUs ?? null, source: t.meta.source ?? null,
    workload: t.meta.workload ?? null, hasComm: t.summary.hasComm, hasImmp: t.summary.hasImmp, decodeMs, heat,
  };
  post({ type: 'loaded', info }, [heat.counts.buffer]);
}

/** The comparison `migreplay replay` makes, timed per algorithm (its oracle distances and coarse flags too). */
function compare(request: ReplayRequest): { results: ReplayResult[]; coarse: string[]; perAlgoMs: Record<string, number> } {
  const link = linkFrom(request.link);
  const perAlgoMs: Record<string, number> = {};
  const picked = request.algos.map((id) => findAlgorithm(id)!);
  const results = picked.map((a) => {
    const s = performance.now();
    const r = replay(trace!, a, kernel!, link, request.params[a.id] ?? {});
    perAlgoMs[a.id] = performance.now() - s;
    return r;
  });
  const s = performance.now();
  addOracleDistances(trace!, kernel!, link, results, findAlgorithm);
  perAlgoMs['(oracle distances)'] = performance.now() - s;
  const coarse = picked.filter((a, i) => a.family !== 'bound' && isCoarse(trace!, results[i]!)).map((a) => a.id);
  return { results, coarse, perAlgoMs };
}

function run(): void {
  scheduled = false;
  const jobs = [pendingReplay, pendingExport];
  pendingReplay = pendingExport = undefined;
  for (const job of jobs) if (job) runJob(job);
}

function runJob(job: Extract<ToWorker, { type: 'replay' | 'export' }>): void {
  try {
    if (!trace || !kernel) throw new Error('no trace loaded');
    if (job.type === 'replay') {
      const t0 = performance.now();
      const { results, coarse, perAlgoMs } = compare(job.request);
      post({ type: 'results', id: job.id, results, coarse, ms: performance.now() - t0, perAlgoMs });
    } else {
      // The export is exactly `migreplay replay --json` (the --within-epoch ranges included) and its --format qmp.
      const link = linkFrom(job.request.link);
      const { results } = replayAll(trace, job.request.algos, kernel, { link, params: (a) => job.request.params[a.id] ?? {} });
      const doc = resultsDocument(trace, { bandwidthBytesPerS: link.bandwidthBytesPerS, startS: link.startS, resumeMs: link.resumeMs }, results);
      post({ type: 'exported', id: job.id, doc, qmp: qmpDocument(doc) });
    }
  } catch (e) {
    post({ type: 'error', id: job.id, message: (e as Error).message });
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m.type === 'load') {
    pendingReplay = pendingExport = undefined;
    try {
      load(m.name, m.bytes);
    } catch (e) {
      trace = undefined;
      post({ type: 'error', message: (e as Error).message });
    }
    return;
  }
  if (m.type === 'replay') pendingReplay = m; // the newest request wins
  else pendingExport = m;
  if (!scheduled) {
    scheduled = true;
    setTimeout(run, 0); // let queued messages arrive first
  }
};

(async () => {
  try {
    const bytes = await (await fetch(wasmUrl)).arrayBuffer();
    kernel = createWasmKernel(await WebAssembly.compile(bytes));
    post({ type: 'ready' });
  } catch (e) {
    post({ type: 'error', message: `could not start the wasm kernel: ${(e as Error).message}` });
  }
})();
