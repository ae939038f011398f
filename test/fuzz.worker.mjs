// The fuzzing loop of test/fuzz.test.ts, run in a worker thread so that the test can
// stop it when one case hangs (a synchronous loop cannot be interrupted in-process).
// It uses the built library (dist/): `npm test` builds first.
//
// Every case: a valid trace, mutated (bit flips, byte sets, truncations, insertions,
// splices, deletions, digit changes in the metadata), read with openTrace and every
// batch decoded, then — if it is valid — replayed with one or two algorithms on one of
// the kernels. Each must end in a valid result or in a MigreplayError whose code is in
// docs/errors.md; anything else (a TypeError, a RangeError, a WebAssembly.RuntimeError
// trap) fails the property, and fast-check shrinks it to a small counterexample.
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { algorithms } from '../dist/algorithms/index.js';
import { replay } from '../dist/engine/replay.js';
import { MigreplayError } from '../dist/errors.js';
import { createKernel } from '../dist/kernel/node.js';
import { enableZstdEncoder } from '../dist/trace/codecs.js';
import { bytesSource, openTrace } from '../dist/trace/read.js';
import { TraceWriter } from '../dist/trace/write.js';

const { runs, seed, codes, maxReplayPages, root } = workerData;
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
// One case.

const KERNELS = [createKernel('wasm'), createKernel('js')];
const RULES = ['start', 'spread', 'whole'];
const stats = { cases: 0, valid: 0, replays: 0, hugeNotReplayed: 0, errors: {} };

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

function runCase(bytes, chunkSize, pick) {
  let trace;
  try {
    trace = openTrace(bytesSource(NAME, bytes, chunkSize));
    for (const b of trace.batches()) void b; // a second pass, as a replay makes
  } catch (e) {
    expectCatalogued(e, 'open');
    return;
  }
  stats.valid++;
  // Past 2^20 pages a replay allocates hundreds of MB and may take seconds per case:
  // such mutants are read and validated (above) but not replayed.
  if (trace.meta.memPages > maxReplayPages) {
    stats.hugeNotReplayed++;
    return;
  }
  const picked = [algorithms[pick % algorithms.length]];
  if ((pick >> 4) & 1) picked.push(algorithms[(pick >> 5) % algorithms.length]);
  const kernel = KERNELS[(pick >> 10) & 1];
  const link = { bandwidthBytesPerS: 125e6, startS: 0, resumeMs: 0, withinEpoch: RULES[(pick >> 11) % 3] };
  for (const a of picked) {
    // Algorithms without an iteration cap are bounded by --max-time.
    const params = a.params.some((p) => p.name === 'max-time') ? { 'max-time': '20s' } : {};
    try {
      const r = replay(trace, a, kernel, link, params);
      stats.replays++;
      if (!(Number.isFinite(r.pagesSent) && r.pagesSent >= 0 && Number.isFinite(r.totalTimeS) && r.totalTimeS >= 0 && r.rounds.length >= 1)) {
        throw new Error(`replay ${a.id}: an impossible result ${JSON.stringify({ pagesSent: r.pagesSent, totalTimeS: r.totalTimeS, rounds: r.rounds.length })}`);
      }
    } catch (e) {
      if (e instanceof Error && e.message.startsWith(`replay ${a.id}: an impossible`)) throw e;
      expectCatalogued(e, `replay ${a.id}`);
    }
  }
}

// ---------------------------------------------------------------------------------------

try {
  fc.assert(
    fc.property(fc.nat(SEEDS.length - 1), fc.array(mutation, { minLength: 1, maxLength: 5 }), fc.constantFrom(64, 1000, 1 << 22), fc.nat(), (s, mutations, chunkSize, pick) => {
      stats.cases++;
      parentPort.postMessage({ type: 'case', seed: SEEDS[s][0], mutations, chunkSize, pick });
      runCase(mutate(SEEDS[s][1], mutations), chunkSize, pick);
      return true;
    }),
    { numRuns: runs, seed },
  );
  parentPort.postMessage({ type: 'done', stats });
} catch (e) {
  // fast-check's report (seed, path, counterexample), then the error the case threw.
  const cause = e instanceof Error && e.cause instanceof Error ? `\n${e.cause.message}` : '';
  parentPort.postMessage({ type: 'failed', message: `${e instanceof Error ? e.message : String(e)}${cause}`, stats });
}
