// Fuzzing the trace reader and the replay (issue 9): fast-check mutations of valid traces
// — small ones written with the TraceWriter in every form (file, stream, comm/immp, LZ4,
// ZSTD, one epoch, no pages, a nine-digit mem_pages) and traces/gzip9.arrow — must each end
// in a valid result or in a MigreplayError whose code docs/errors.md lists: never another
// exception, a wasm trap, a crash out of memory, or a hang.
//
// The loop runs in a worker thread (test/fuzz.worker.mjs, on the built dist/) so that a
// case that hangs can be stopped: each case reports itself before it runs, and a case
// that takes longer than its budget fails the test with its seed and mutations.
//
//   MIGREPLAY_FUZZ_RUNS=200000 npx vitest run test/fuzz.test.ts     # more cases (default 10000)
//   MIGREPLAY_FUZZ_SEED=1234                                         # another seed (default 42)
//   MIGREPLAY_FUZZ_CASE_MS=20000                                     # per-case budget (default 10000)
//
// Valid mutants with more than 2^20 pages of memory are read and checked but not
// replayed (a replay of such a guest allocates hundreds of MB and can take seconds); the
// others are replayed with one or two algorithms, the uncapped ones (qemu, auto-converge,
// oracle) with --max-time 20s, and the engine refuses a replay that would wrap the trace
// more than 10,000 times, so every replay is bounded.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.MIGREPLAY_FUZZ_RUNS ?? 10000);
const SEED = Number(process.env.MIGREPLAY_FUZZ_SEED ?? 42);
const CASE_MS = Number(process.env.MIGREPLAY_FUZZ_CASE_MS ?? 10_000);

/** The error codes of docs/errors.md's table of codes: the catalogue a fuzzed case may end in. */
function catalogue(): string[] {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
  const table = doc.slice(doc.indexOf('## Codes'), doc.indexOf('## Messages'));
  return [...table.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!);
}

interface Stats { cases: number; valid: number; replays: number; hugeNotReplayed: number; errors: Record<string, number> }

it(`${RUNS} mutated traces: each is a valid result or a catalogued error, none hangs (seed ${SEED})`, async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'trace', 'read.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const codes = catalogue();
  expect(codes).toContain('truncated');
  const worker = new Worker(new URL('./fuzz.worker.mjs', import.meta.url), {
    workerData: { runs: RUNS, seed: SEED, codes, maxReplayPages: 2 ** 20, root: pathToFileURL(ROOT + path.sep).href },
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
  if (outcome.type !== 'done') throw new Error(`fuzz ${outcome.type}: ${outcome.message}`);
  const stats = outcome.stats!;
  expect(stats.cases).toBeGreaterThanOrEqual(RUNS);
  // The mutants must exercise both outcomes: valid traces replayed, and rejected ones.
  expect(stats.replays).toBeGreaterThan(RUNS / 100);
  expect(Object.values(stats.errors).reduce((a, b) => a + b, 0)).toBeGreaterThan(RUNS / 4);
  console.log(`fuzz: ${JSON.stringify(stats)}`);
}, Math.max(120_000, RUNS * 40));
