// The fuzzing loop of test/fuzz.test.ts, run in a worker thread so that the test can
// stop it when one case hangs (a synchronous loop cannot be interrupted in-process).
// It uses the built library (dist/): `npm test` builds first.
//
// Three kinds of case, in equal shares:
// - bytes: a valid trace, mutated byte by byte (bit flips, byte sets, truncations,
//   insertions, splices, deletions, digit changes in the metadata): nearly all are
//   rejected when opened — the reader's error paths;
// - generated: a valid but unusual trace written with the TraceWriter — one page of
//   memory or a million, epochs of 1 µs or of minutes, empty epochs, every page at
//   once, the first and last page only, comm/immp columns, odd page sizes, every form
//   and compression;
// - values: a shipped or small seed trace whose page numbers and times are changed in
//   ways that keep it valid (times shifted and stretched, epochs dropped or repeated,
//   pages moved, added or removed, memory shrunk to the pages used).
// Each is read with openTrace and every batch decoded; the valid ones are replayed with
// one to four algorithms (replayAll, as `migreplay replay`: oracle distances and
// within-epoch ranges included) on one of the kernels, over a link from 1 Mbit/s to
// 10 Tbit/s. Each must end in a valid result or in a MigreplayError whose code is in
// docs/errors.md; anything else (a TypeError, a RangeError, a WebAssembly.RuntimeError
// trap) fails the property, and fast-check shrinks it to a small counterexample.
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { algorithms, MigreplayError, replayAll } from '../dist/index.js';
import { createKernel } from '../dist/kernel/node.js';
import { enableZstdEncoder } from '../dist/trace/codecs.js';
import { bytesSource, openTrace } from '../dist/trace/read.js';
import { TraceWriter } from '../dist/trace/write.js';

const { runs, seed, codes, maxReplayPages, root, path: replayPath, seconds } = workerData;
const CODES = new Set(codes);
const NAME = 'fuzzed.arrow';

await enableZstdEncoder();

// ---------------------------------------------------------------------------------------
// Seeds: small valid traces of every shape the reader handles.

function traceBytes(header, epochs, options = {}) {
  const chunks = [];
  const w = new TraceWriter((c) => chunks.push(c.slice()), { pageSize: 4096, ...header }, options);
  for (const [t, p, c, i] of epochs) w.epoch(t, p, c, i);
  w.close();
  return Buffer.concat(chunks);
}
const distinct = (xs) => [...new Set(xs)].sort((a, b) => a - b);
const EPOCHS = Array.from({ length: 30 }, (_, i) => [i * 1000, distinct(Array.from({ length: (i * 7) % 13 }, (_, k) => (i * 5 + k * 3) % 200))]);
const WITH_SUBSETS = EPOCHS.map(([t, p]) => [t, p, p.filter((x) => x % 3 === 0), p.filter((x) => x % 3 === 1)]);

const SEEDS = [
  ['file, 4 batches', traceBytes({ memPages: 200, intervalUs: 1000 }, EPOCHS, { batchPages: 40 })],
  ['stream, 4 batches', traceBytes({ memPages: 200, intervalUs: 1000 }, EPOCHS, { batchPages: 40, form: 'stream' })],
  ['comm and immp, duration_us', traceBytes({ memPages: 200, durationUs: 31000, hasComm: true, hasImmp: true }, WITH_SUBSETS, { batchPages: 60 })],
  ['lz4 file', traceBytes({ memPages: 200, intervalUs: 1000 }, EPOCHS, { batchPages: 50, compression: 'lz4' })],
  ['zstd stream', traceBytes({ memPages: 200, intervalUs: 1000 }, EPOCHS, { batchPages: 50, compression: 'zstd', form: 'stream' })],
  // mem_pages of nine digits: digit mutations make valid traces of up to 10^9 pages.
  ['large mem_pages', traceBytes({ memPages: 123456789, intervalUs: 1000 }, EPOCHS.slice(0, 8))],
  ['one epoch', traceBytes({ memPages: 64, intervalUs: 40 }, [[250, [3, 9]]])],
  ['zero pages', traceBytes({ memPages: 64 }, [[0, []], [100, []], [200, []]], { form: 'stream' })],
  ['traces/gzip9.arrow', fs.readFileSync(new URL('traces/gzip9.arrow', root))],
];

// ---------------------------------------------------------------------------------------
// Mutations, applied in order.

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip'), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set'), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff) }),
  fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert'), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('splice'), at: fc.nat(), from: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('delete'), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('digit'), at: fc.nat(), digit: fc.integer({ min: 0, max: 9 }) }),
);

function mutate(original, mutations) {
  let b = Buffer.from(original);
  for (const m of mutations) {
    const at = m.at % (b.length + 1);
    if (m.kind === 'flip' && b.length) b[at % b.length] ^= 1 << m.bit;
    else if (m.kind === 'set' && b.length) b[at % b.length] = m.value;
    else if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else if (m.kind === 'splice' && b.length) {
      const from = m.from % b.length;
      b = Buffer.concat([b.subarray(0, at), Buffer.from(b.subarray(from, from + m.length)), b.subarray(at)]);
    } else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
    else if (m.kind === 'digit') {
      // The metadata's numbers are ASCII digits near the start: change one of them.
      const digits = [];
      for (let i = 0; i < Math.min(b.length, 2048); i++) if (b[i] >= 0x30 && b[i] <= 0x39) digits.push(i);
      if (digits.length) b[digits[m.at % digits.length]] = 0x30 + m.digit;
    }
  }
  return b;
}

// ---------------------------------------------------------------------------------------
// Valid but unusual traces, generated.

const sortNumbers = (xs) => [...xs].sort((a, b) => a - b);
const range = (from, to) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** The pages of one epoch, for a guest of `memPages` pages: ascending and distinct. */
const pagesOf = (memPages) => fc.oneof(
  { weight: 2, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.constant(memPages <= 4096 ? range(0, memPages) : [0, memPages - 1]) }, // every page
  { weight: 1, arbitrary: fc.constant(memPages > 1 ? [0, memPages - 1] : [0]) }, // the first and the last
  { weight: 5, arbitrary: fc.uniqueArray(fc.integer({ min: 0, max: memPages - 1 }), { maxLength: Math.min(memPages, 200) }).map(sortNumbers) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(memPages - 1), fc.integer({ min: 1, max: 3000 })).map(([a, n]) => range(a, Math.min(memPages, a + n))) },
);

/** Gaps between epoch starts, µs: from 1 µs to minutes. */
const gap = fc.oneof(
  fc.constant(1),
  fc.integer({ min: 1, max: 1000 }),
  fc.constantFrom(10_000, 50_000, 100_000),
  fc.integer({ min: 1000, max: 200_000 }),
  fc.integer({ min: 1_000_000, max: 300_000_000 }),
);

const memPagesArb = fc.oneof(
  fc.constantFrom(1, 2, 3, 64, 4096, 65_536),
  fc.integer({ min: 1, max: 512 }),
  fc.integer({ min: 1, max: 200_000 }),
  fc.constantFrom(2 ** 20, 2 ** 20 + 1), // the largest replayed here, and the smallest that is not
);

/** A subset of pages chosen by a salt and a modulus (0: none). */
const subset = (pages, salt, mod) => (mod === 0 ? [] : pages.filter((p) => (p + salt) % mod === 0));

const generatedTrace = memPagesArb.chain((memPages) => fc.record({
  memPages: fc.constant(memPages),
  pageSize: fc.constantFrom(4096, 4096, 4096, 512, 1, 65_536, 2 ** 21),
  t0: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10_000_000 })),
  epochs: fc.array(fc.tuple(gap, pagesOf(memPages)), { minLength: 1, maxLength: 40 }),
  length: fc.constantFrom('interval', 'duration', 'both'),
  lastUs: gap,
  comm: fc.option(fc.tuple(fc.nat(7), fc.integer({ min: 0, max: 4 })), { nil: undefined }),
  immp: fc.option(fc.tuple(fc.nat(7), fc.integer({ min: 0, max: 4 })), { nil: undefined }),
  form: fc.constantFrom('file', 'stream'),
  compression: fc.constantFrom('none', 'none', 'lz4', 'zstd'),
  batchPages: fc.constantFrom(1, 7, 100, 1 << 20),
  dataPages: fc.option(fc.uniqueArray(fc.nat(memPages - 1), { maxLength: 6 }), { nil: undefined }),
}));

function writeGenerated(g) {
  const epochs = [];
  let t = g.t0;
  for (const [dt, pages] of g.epochs) {
    epochs.push([t, pages, g.comm ? subset(pages, ...g.comm) : undefined, g.immp ? subset(pages, ...g.immp) : undefined]);
    t += dt;
  }
  const lastStart = epochs[epochs.length - 1][0];
  const header = {
    memPages: g.memPages,
    pageSize: g.pageSize,
    ...(g.length !== 'duration' ? { intervalUs: g.lastUs } : {}),
    ...(g.length !== 'interval' ? { durationUs: lastStart + g.lastUs } : {}),
    hasComm: g.comm !== undefined,
    hasImmp: g.immp !== undefined,
    source: 'fuzz',
    // Inclusive ranges of pages that held data (unknown keys are ignored where not read).
    ...(g.dataPages ? { extra: { data_pages: sortNumbers(g.dataPages).map((p, i, a) => (i % 2 === 0 && a[i + 1] !== undefined ? `${p}-${a[i + 1]}` : i % 2 === 0 ? `${p}` : '')).filter(Boolean).join(',') } } : {}),
  };
  const chunks = [];
  const w = new TraceWriter((c) => chunks.push(c.slice()), header, { form: g.form, compression: g.compression, batchPages: g.batchPages });
  for (const [tUs, pages, comm, immp] of epochs) w.epoch(tUs, pages, comm, immp);
  w.close();
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------
// Valid traces changed in their values: the seeds' epochs with pages and times moved.

/** The epochs of the valid seeds (bar the nine-digit mem_pages one), decoded once. */
const DECODED = SEEDS.filter(([name]) => name !== 'large mem_pages').map(([name, bytes]) => {
  const trace = openTrace(bytesSource(name, bytes));
  const epochs = [];
  for (const b of trace.batches()) {
    for (let i = 0; i < b.length; i++) {
      const slice = (pages, offsets) => (pages && offsets ? [...pages.subarray(offsets[i], offsets[i + 1])] : undefined);
      epochs.push([b.tUs[i], slice(b.pages, b.offsets), slice(b.comm, b.commOffsets), slice(b.immp, b.immpOffsets)]);
    }
  }
  return { name, meta: trace.meta, summary: trace.summary, epochs };
});

const valueMutation = fc.oneof(
  fc.record({ kind: fc.constant('shift'), by: fc.integer({ min: 0, max: 1e9 }) }),
  fc.record({ kind: fc.constant('stretch'), factor: fc.constantFrom(0.001, 0.01, 0.5, 2, 1000) }),
  fc.record({ kind: fc.constant('drop'), at: fc.nat(), length: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ kind: fc.constant('repeat'), at: fc.nat(), times: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('move'), at: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('add'), at: fc.nat(), pages: fc.array(fc.nat(), { maxLength: 20 }) }),
  fc.record({ kind: fc.constant('clear'), at: fc.nat() }),
  fc.record({ kind: fc.constant('tight') }),
  fc.record({ kind: fc.constant('grow'), factor: fc.constantFrom(2, 1000, 1 << 12) }),
);

/** Apply value mutations; every step keeps the trace valid (distinct ascending pages < mem_pages, strictly increasing times, subsets). */
function revalue(seed, mutations) {
  let memPages = seed.meta.memPages;
  let epochs = seed.epochs.map(([t, p, c, i]) => [t, [...p], c && [...c], i && [...i]]);
  let lengthUs = seed.summary.durationUs - epochs[epochs.length - 1][0]; // the last epoch's length
  const fix = (e) => {
    const set = new Set(e[1]);
    e[1] = sortNumbers(set);
    if (e[2]) e[2] = sortNumbers(new Set(e[2].filter((x) => set.has(x))));
    if (e[3]) e[3] = sortNumbers(new Set(e[3].filter((x) => set.has(x))));
  };
  for (const m of mutations) {
    const at = epochs.length ? m.at % epochs.length : 0;
    if (m.kind === 'shift') epochs = epochs.map(([t, ...rest]) => [t + m.by, ...rest]);
    else if (m.kind === 'stretch') {
      // Stretched times stay strictly increasing (each at least 1 µs after the one before).
      let last = -1;
      epochs = epochs.map(([t, ...rest]) => {
        last = Math.max(last + 1, Math.round(t * m.factor));
        return [last, ...rest];
      });
      lengthUs = Math.max(1, Math.round(lengthUs * m.factor));
    } else if (m.kind === 'drop' && epochs.length > 1) epochs.splice(at, Math.min(m.length, epochs.length - 1));
    else if (m.kind === 'repeat') {
      // The epoch again, `times` times, each 1 µs … its length later; the rest shifted after them.
      const e = epochs[at];
      const next = epochs[at + 1]?.[0] ?? e[0] + lengthUs;
      const step = Math.max(1, next - e[0]);
      const copies = Array.from({ length: m.times }, (_, k) => [e[0] + step * (k + 1), [...e[1]], e[2] && [...e[2]], e[3] && [...e[3]]]);
      epochs = [...epochs.slice(0, at + 1), ...copies, ...epochs.slice(at + 1).map(([t, ...rest]) => [t + step * m.times, ...rest])];
    } else if (m.kind === 'move' && epochs[at][1].length) {
      const e = epochs[at];
      const from = e[1][m.to % e[1].length];
      const to = m.to % memPages;
      e[1] = e[1].map((p) => (p === from ? to : p));
      if (e[2]) e[2] = e[2].map((p) => (p === from ? to : p));
      if (e[3]) e[3] = e[3].map((p) => (p === from ? to : p));
      fix(e);
    } else if (m.kind === 'add') {
      const e = epochs[at];
      e[1] = [...e[1], ...m.pages.map((p) => p % memPages)];
      fix(e);
    } else if (m.kind === 'clear') epochs[at] = [epochs[at][0], [], epochs[at][2] && [], epochs[at][3] && []];
    else if (m.kind === 'tight') memPages = Math.max(1, ...epochs.flatMap(([, p]) => p.map((x) => x + 1)));
    else if (m.kind === 'grow') memPages = Math.min(2 ** 30, memPages * m.factor);
  }
  const header = {
    memPages,
    pageSize: seed.meta.pageSize,
    durationUs: epochs[epochs.length - 1][0] + Math.max(1, lengthUs),
    hasComm: epochs.some((e) => e[2] !== undefined),
    hasImmp: epochs.some((e) => e[3] !== undefined),
  };
  const chunks = [];
  const w = new TraceWriter((c) => chunks.push(c.slice()), header, { batchPages: 64 });
  for (const [t, p, c, i] of epochs) w.epoch(t, p, header.hasComm ? (c ?? []) : undefined, header.hasImmp ? (i ?? []) : undefined);
  w.close();
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------
// One case.

const KERNELS = [createKernel('wasm'), createKernel('js')];
const RULES = ['start', 'spread', 'whole'];
const IDS = algorithms.map((a) => a.id);
const stats = {
  cases: 0,
  byKind: { bytes: 0, generated: 0, values: 0 },
  valid: 0,
  reachedReplay: 0,
  reachedReplayByKind: { bytes: 0, generated: 0, values: 0 },
  replays: 0,
  hugeNotReplayed: 0,
  replayedAlgorithms: {},
  errors: {},
  /** The slowest cases, ms (to keep the run short). */
  slowest: [],
};

/** A MigreplayError of a catalogued code, one line; anything else is a failure. */
function expectCatalogued(e, phase) {
  if (!(e instanceof MigreplayError)) {
    const what = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    throw new Error(`${phase}: not a MigreplayError but ${what}\n${e?.stack ?? ''}`);
  }
  if (!CODES.has(e.code)) throw new Error(`${phase}: error code '${e.code}' is not in docs/errors.md (${e.message})`);
  if (/[\r\n]/.test(e.message) || e.message.length > 1000) throw new Error(`${phase}: not a one-line message: ${JSON.stringify(e.message)}`);
  if (phase === 'open' && (!e.message.startsWith(`${NAME}: `) || e.exitCode !== 2)) throw new Error(`open: '${e.message}' (exit ${e.exitCode}) does not name the file or is not exit 2`);
  const key = `${phase}:${e.code}`;
  stats.errors[key] = (stats.errors[key] ?? 0) + 1;
}

/** The replays of a case: which algorithms, kernel, link. */
const replayPlan = fc.record({
  algorithms: fc.uniqueArray(fc.constantFrom(...IDS), { minLength: 1, maxLength: 4 }),
  kernel: fc.nat(1),
  rule: fc.constantFrom(...RULES),
  bandwidth: fc.constantFrom(125e3, 12.5e6, 125e6, 125e6, 1.25e9, 1.25e12),
  start: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })), // a share of the trace
  resumeMs: fc.constantFrom(0, 0, 1, 250),
});

/** The invariants of every result (docs/output.md): finite non-negative metrics, Σ rounds = pagesSent; a completed run has rounds and sent every page. */
function checkResult(r, memPages) {
  const completed = r.converged !== false;
  const sum = r.rounds.reduce((n, x) => n + x.pagesSent, 0);
  const sumOk = sum === r.pagesSent;
  const ok = Number.isInteger(r.pagesSent) && r.pagesSent >= 0 && Number.isFinite(r.totalTimeS) && r.totalTimeS >= 0 && sumOk &&
    (!completed || (r.rounds.length >= 1 && r.pagesSent >= memPages));
  if (!ok) {
    const what = { converged: r.converged, stopReason: r.stopReason, pagesSent: r.pagesSent, roundsPagesSent: sum, totalTimeS: r.totalTimeS, rounds: r.rounds.length, memPages };
    throw new Error(`replay ${r.algorithm}: an impossible result ${JSON.stringify(what)}`);
  }
}

function runCase(kind, bytes, chunkSize, plan) {
  let trace;
  try {
    // As `migreplay replay` opens it: the validating pass keeps what it decoded (up to
    // 128 MiB), so that a replay wrapping the trace thousands of times does not decode it
    // (in chunks of 64 bytes, maybe) thousands of times.
    trace = openTrace(bytesSource(NAME, bytes, chunkSize), { keepDecodedBytes: 128 * 2 ** 20 });
    for (const b of trace.batches()) void b; // a second pass, as a replay makes
  } catch (e) {
    expectCatalogued(e, 'open');
    return;
  }
  stats.valid++;
  // Past 2^20 pages a replay allocates hundreds of MB and may take seconds per case:
  // such traces are read and validated (above) but not replayed.
  if (trace.meta.memPages > maxReplayPages) {
    stats.hugeNotReplayed++;
    return;
  }
  // The link: any bandwidth, but one copy of memory takes at most 100 trace lengths, and
  // so does the resume (a slower link or a longer resume only wraps the trace more:
  // seconds of work per case for nothing new).
  const durationS = trace.summary.durationUs / 1e6;
  const memoryBytes = trace.meta.memPages * trace.meta.pageSize;
  const link = {
    bandwidthBytesPerS: Math.max(plan.bandwidth, memoryBytes / (100 * durationS)),
    startS: Math.floor(plan.start * trace.summary.durationUs) / 1e6,
    resumeMs: Math.min(plan.resumeMs, 100 * durationS * 1e3), // likewise: the resume is replayed over the trace too
    withinEpoch: plan.rule,
  };
  // Algorithms without an iteration cap are bounded by --max-time (20 s, or 200 trace lengths).
  const maxTime = `${Math.max(1, Math.min(20e6, Math.round(200 * trace.summary.durationUs)))}us`;
  const params = (a) => (a.params.some((p) => p.name === 'max-time') ? { 'max-time': maxTime } : {});
  try {
    const { results } = replayAll(trace, plan.algorithms, KERNELS[plan.kernel], { link, params });
    stats.replays += results.length;
    stats.reachedReplay++;
    stats.reachedReplayByKind[kind]++;
    for (const r of results) {
      stats.replayedAlgorithms[r.algorithm] = (stats.replayedAlgorithms[r.algorithm] ?? 0) + 1;
      checkResult(r, trace.meta.memPages);
    }
  } catch (e) {
    if (e instanceof Error && / an impossible result /.test(e.message)) throw e;
    expectCatalogued(e, 'replay');
  }
}

// ---------------------------------------------------------------------------------------

const bytesCase = fc.record({
  kind: fc.constant('bytes'),
  seed: fc.nat(SEEDS.length - 1),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 5 }),
  chunkSize: fc.constantFrom(64, 1000, 1 << 22),
  plan: replayPlan,
});
const generatedCase = fc.record({ kind: fc.constant('generated'), trace: generatedTrace, chunkSize: fc.constantFrom(64, 1 << 22), plan: replayPlan });
const valuesCase = fc.record({
  kind: fc.constant('values'),
  seed: fc.nat(DECODED.length - 1),
  mutations: fc.array(valueMutation, { minLength: 1, maxLength: 6 }),
  chunkSize: fc.constantFrom(64, 1 << 22),
  plan: replayPlan,
});

/** What a case reports before it runs (for the hang watchdog): small, without the generated epochs. */
const describeCase = (c) => (c.kind === 'generated'
  ? { kind: c.kind, memPages: c.trace.memPages, epochs: c.trace.epochs.length, form: c.trace.form, compression: c.trace.compression, plan: c.plan }
  : { kind: c.kind, seed: c.kind === 'bytes' ? SEEDS[c.seed][0] : DECODED[c.seed].name, mutations: c.mutations, chunkSize: c.chunkSize, plan: c.plan });

try {
  fc.assert(
    fc.property(fc.oneof(bytesCase, generatedCase, valuesCase), (c) => {
      stats.cases++;
      stats.byKind[c.kind]++;
      parentPort.postMessage({ type: 'case', ...describeCase(c) });
      const started = performance.now();
      const bytes = c.kind === 'bytes' ? mutate(SEEDS[c.seed][1], c.mutations) : c.kind === 'generated' ? writeGenerated(c.trace) : revalue(DECODED[c.seed], c.mutations);
      runCase(c.kind, bytes, c.chunkSize, c.plan);
      const ms = performance.now() - started;
      if (stats.slowest.length < 5 || ms > stats.slowest[stats.slowest.length - 1].ms) {
        stats.slowest = [...stats.slowest, { ms: Math.round(ms), ...describeCase(c) }].sort((a, b) => b.ms - a.ms).slice(0, 5);
      }
      return true;
    }),
    {
      numRuns: runs,
      seed,
      ...(replayPath ? { path: replayPath } : {}),
      // A time budget: on a slow or busy machine fewer cases, said so (not a failure).
      ...(seconds > 0 ? { interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false } : {}),
    },
  );
  parentPort.postMessage({ type: 'done', stats });
} catch (e) {
  // fast-check's report (seed, path, counterexample), then the error the case threw.
  const cause = e instanceof Error && e.cause instanceof Error ? `\n${e.cause.message}` : '';
  parentPort.postMessage({ type: 'failed', message: `${e instanceof Error ? e.message : String(e)}${cause}`, stats });
}
