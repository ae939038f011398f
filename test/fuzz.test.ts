// Fuzzing the trace reader and the replay (issue 9): traces — byte-level mutations of
// small valid ones written with the TraceWriter in every form (file, stream, comm/immp,
// LZ4, ZSTD, one epoch, no pages, a nine-digit mem_pages) and of traces/gzip9.arrow;
// valid but unusual generated ones; valid ones with their pages and times changed — must
// each end in a valid result or in a MigreplayError whose code docs/errors.md lists:
// never another exception, a wasm trap, a crash out of memory, or a hang. About two
// thirds of the cases are valid traces and reach a replay of one to four algorithms (the
// test prints the shares).
//
// The loop runs in a worker thread (test/fuzz.worker.mjs, on the built dist/) so that a
// case that hangs can be stopped: each case reports itself before it runs, and a case
// that takes longer than its budget fails the test with its seed and mutations.
//
// Every run draws a fresh seed and prints it; a failure prints the seed and fast-check's
// path to its counterexample.
//
//   MIGREPLAY_FUZZ_SEED=1234 npx vitest run test/fuzz.test.ts       # this seed again
//   MIGREPLAY_FUZZ_PATH='12:3:0'                                     # with the seed: straight to a counterexample
//   MIGREPLAY_FUZZ_RUNS=200000                                       # more cases (default 5000)
//   MIGREPLAY_FUZZ_SECONDS=120                                       # time budget (default 40; 0: none, the default with _RUNS)
//   MIGREPLAY_FUZZ_CASE_MS=20000                                     # per-case budget (default 10000)
//
// The time budget keeps a run on a slow or busy machine short: it stops after the case
// that ends past it (and says how many ran), at least 500 cases in.
//
// Valid traces with more than 2^20 pages of memory are read and checked but not
// replayed (a replay of such a guest allocates hundreds of MB and can take seconds); the
// others are replayed, the uncapped algorithms (qemu, auto-converge, oracle) with
// --max-time 20s, and the engine refuses a replay that would wrap the trace more than
// 10,000 times, so every replay is bounded.
import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { algorithms } from '../src/algorithms/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.MIGREPLAY_FUZZ_RUNS ?? 5000);
const SECONDS = Number(process.env.MIGREPLAY_FUZZ_SECONDS ?? (process.env.MIGREPLAY_FUZZ_RUNS ? 0 : 40));
const MIN_CASES = Math.min(RUNS, 500);
const SEED = process.env.MIGREPLAY_FUZZ_SEED ? Number(process.env.MIGREPLAY_FUZZ_SEED) : randomInt(2 ** 31);
const PATH = process.env.MIGREPLAY_FUZZ_PATH || undefined;
const CASE_MS = Number(process.env.MIGREPLAY_FUZZ_CASE_MS ?? 10_000);
const REPRODUCE = `MIGREPLAY_FUZZ_SEED=${SEED} MIGREPLAY_FUZZ_RUNS=${RUNS} npx vitest run test/fuzz.test.ts`;

console.log(`fuzz: seed ${SEED}, ${RUNS} cases${SECONDS > 0 ? ` or ${SECONDS} s` : ''} (again: ${REPRODUCE})`);

/** The error codes of docs/errors.md's table of codes: the catalogue a fuzzed case may end in. */
function catalogue(): string[] {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
  const table = doc.slice(doc.indexOf('## Codes'), doc.indexOf('## Messages'));
  return [...table.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!);
}

interface Stats {
  cases: number;
  byKind: Record<string, number>;
  valid: number;
  reachedReplay: number;
  reachedReplayByKind: Record<string, number>;
  replays: number;
  hugeNotReplayed: number;
  replayedAlgorithms: Record<string, number>;
  errors: Record<string, number>;
  slowest: { ms: number }[];
}

it(`${RUNS} fuzzed traces: each is a valid result or a catalogued error, none hangs (seed ${SEED})`, async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'trace', 'read.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const codes = catalogue();
  expect(codes).toContain('truncated');
  const worker = new Worker(new URL('./fuzz.worker.mjs', import.meta.url), {
    workerData: { runs: RUNS, seed: SEED, path: PATH, seconds: SECONDS, codes, maxReplayPages: 2 ** 20, root: pathToFileURL(ROOT + path.sep).href },
    resourceLimits: { maxOldGenerationSizeMb: 2048 },
  });
  let last: unknown;
  let lastAt = Date.now();
  const outcome = await new Promise<{ type: string; message?: string; stats?: Stats }>((resolve) => {
    const watchdog = setInterval(() => {
      if (Date.now() - lastAt > CASE_MS) {
        clearInterval(watchdog);
        void worker.terminate();
        resolve({ type: 'hung', message: `a case ran for more than ${CASE_MS} ms (a hang?): ${JSON.stringify(last)}` });
      }
    }, 250);
    worker.on('message', (m: { type: string; message?: string; stats?: Stats }) => {
      if (m.type === 'case') {
        last = m;
        lastAt = Date.now();
        return;
      }
      clearInterval(watchdog);
      resolve(m);
    });
    worker.on('error', (e) => {
      clearInterval(watchdog);
      resolve({ type: 'crashed', message: `the fuzzing worker died: ${e.stack ?? e.message}; last case ${JSON.stringify(last)}` });
    });
    worker.on('exit', (code) => {
      clearInterval(watchdog);
      resolve({ type: 'crashed', message: `the fuzzing worker exited (${code}); last case ${JSON.stringify(last)}` });
    });
  });
  await worker.terminate();
  if (outcome.type !== 'done') throw new Error(`fuzz ${outcome.type} (seed ${SEED}; again: ${REPRODUCE}): ${outcome.message}`);
  const stats = outcome.stats!;
  const share = (n: number, of: number) => `${n}/${of} (${((100 * n) / Math.max(1, of)).toFixed(1)} %)`;
  console.log(`fuzz: seed ${SEED}: ${stats.cases} cases, ${share(stats.valid, stats.cases)} valid, ${share(stats.reachedReplay, stats.cases)} reached a replay ` +
    `(bytes ${share(stats.reachedReplayByKind.bytes!, stats.byKind.bytes!)}, generated ${share(stats.reachedReplayByKind.generated!, stats.byKind.generated!)}, ` +
    `values ${share(stats.reachedReplayByKind.values!, stats.byKind.values!)}); ${stats.replays} replays: ${JSON.stringify(stats.replayedAlgorithms)}; ` +
    `${stats.hugeNotReplayed} too large to replay; errors ${JSON.stringify(stats.errors)}; slowest cases ${JSON.stringify(stats.slowest)}`);
  if (stats.cases < RUNS) console.log(`fuzz: stopped after ${stats.cases} of ${RUNS} cases, at the ${SECONDS} s budget (MIGREPLAY_FUZZ_SECONDS)`);
  expect(stats.cases).toBeGreaterThanOrEqual(SECONDS > 0 ? MIN_CASES : RUNS);
  // The cases must exercise both outcomes: valid traces replayed by every algorithm, and rejected ones.
  expect(stats.reachedReplay).toBeGreaterThan(stats.cases * 0.4);
  expect(Object.keys(stats.replayedAlgorithms).sort()).toEqual(algorithms.map((a) => a.id).sort());
  expect(Object.values(stats.errors).reduce((a, b) => a + b, 0)).toBeGreaterThan(stats.cases / 4);
}, SECONDS > 0 ? SECONDS * 1000 + 60_000 : Math.max(120_000, RUNS * 60));
