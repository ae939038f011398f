// migreplay gen <workload> --out FILE — generate a synthetic trace (docs/workloads.md).
// One subcommand per workload of the registry, so `gen <workload> --help` lists its
// own parameters with their defaults.
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Argv } from 'yargs';
import { fail, MigreplayError, quoteName } from '../errors.js';
import { AtomicFile } from '../io/files.js';
import { enableZstdEncoder } from '../trace/codecs.js';
import type { ParamSpec } from '../params/index.js';
import { COMMON_PARAMS, commonDefault, findWorkload, generateTrace, resolveOptions, workloads, type GenGiven, type GenResult, type Workload } from '../trace/generate.js';
import type { TraceCompression, TraceWriterOptions } from '../trace/write.js';
import { sig } from './common.js';
import type { GenWorkerData, GenWorkerReply } from './gen-worker.js';

// What a value of each kind looks like, added to a parameter's description unless the
// description already says it (SAID): `--hot-share` documents "(0…1 or %)" itself, every
// rate says "per second".
const KIND_HINT: Partial<Record<ParamSpec['kind'], string>> = {
  'size-or-fraction': 'share or size',
  'count-rate': 'per s',
  rate: 'e.g. 4Mbit',
  fraction: '0…1 or %',
};
const SAID: Partial<Record<ParamSpec['kind'], RegExp>> = {
  'size-or-fraction': /share or size|\d%/,
  'count-rate': /per s(econd)?\b/,
  rate: /e\.g\./,
  fraction: /0…1 or %/,
};

/** The description of a parameter in --help: its doc, the kind's hint if the doc lacks it, its default. */
function paramDescription(spec: ParamSpec, dflt: ParamSpec['default']): string {
  const said = SAID[spec.kind]?.test(spec.doc) ?? false;
  const hint = KIND_HINT[spec.kind] && !said ? ` (${KIND_HINT[spec.kind]})` : '';
  const shown = dflt === undefined ? '' : ` [default: ${dflt}]`;
  return `${spec.doc}${hint}${shown}`;
}

function addParam<T>(y: Argv<T>, spec: ParamSpec, dflt: ParamSpec['default'], group: string): Argv<T> {
  const describe = paramDescription(spec, dflt);
  if (spec.kind === 'boolean') return y.option(spec.name, { type: 'boolean', group, describe });
  if (spec.kind === 'choice') return y.option(spec.name, { type: 'string', choices: spec.choices as string[], group, describe });
  return y.option(spec.name, { type: 'string', group, describe });
}

/** The options of `gen <workload>`: output, the common generation parameters, the workload's own. */
function workloadOptions<T>(y: Argv<T>, w: Workload): Argv<T> {
  let b = y
    .option('out', { type: 'string', describe: 'output trace file (Arrow IPC)', group: 'Output:' })
    .option('compression', { choices: ['none', 'zstd', 'lz4'] as const, default: 'none' as const, describe: 'Arrow body compression', group: 'Output:' })
    .option('form', { choices: ['file', 'stream'] as const, default: 'file' as const, describe: 'Arrow IPC file or stream form', group: 'Output:' })
    .option('quiet', { type: 'boolean', default: false, describe: 'print nothing on success', group: 'Output:' });
  for (const spec of COMMON_PARAMS) b = addParam(b, spec, commonDefault(w, spec), 'Trace:');
  for (const spec of w.params) b = addParam(b, spec, spec.default, `${w.id} options:`);
  return b.epilogue(`${w.follows}. Parameters and assumptions: docs/workloads.md#${w.id}`);
}

/** The generation parameters present in parsed arguments (kebab-case names only). */
function givenFrom(argv: Record<string, unknown>, w: Workload): GenGiven {
  const given: GenGiven = {};
  for (const spec of [...COMMON_PARAMS, ...w.params]) {
    const value = argv[spec.name];
    if (value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') fail('usage', `--${spec.name}: give it once`);
    given[spec.name] = value;
  }
  return given;
}

const WORKER = new URL('./gen-worker.js', import.meta.url);

/**
 * Generate into `file` from a worker thread (src/cli/gen-worker.ts), so that a signal
 * is handled at once and removes the temporary file; in this thread when the worker is
 * not built (running from the TypeScript sources).
 */
function generateOffThread(w: Workload, given: GenGiven, file: AtomicFile, options: TraceWriterOptions): Promise<GenResult> {
  if (!fs.existsSync(fileURLToPath(WORKER))) return Promise.resolve(generateTrace(w, given, (chunk) => file.write(chunk), options));
  return new Promise((resolve, reject) => {
    const data: GenWorkerData = { workload: w.id, given, fd: file.descriptor, options };
    const worker = new Worker(WORKER, { workerData: data });
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      try { f(); } catch (e) { reject(e); }
    };
    worker.once('message', (m: GenWorkerReply) => settle(() => {
      if ('result' in m) resolve(m.result);
      else if ('writeError' in m) file.failed(m.writeError as NodeJS.ErrnoException);
      else if ('error' in m) reject(new MigreplayError(m.error.code, m.error.message, m.error.exitCode));
      else reject(Object.assign(new Error(m.internal.message), { stack: m.internal.stack }));
    }));
    worker.once('error', (e) => settle(() => reject(e)));
    worker.once('exit', (code) => settle(() => reject(new Error(`the gen worker thread ended (exit code ${code}) without a result`))));
  });
}

/** Run `gen`: argv holds `workload`, `out` and options as yargs parses them. */
export async function runGen(argv: Record<string, unknown>): Promise<GenResult> {
  const id = argv.workload;
  if (typeof id !== 'string' || id === '') return fail('usage', `gen: name a workload (${workloads.map((w) => w.id).join(', ')})`);
  const w = findWorkload(id);
  if (!w) return fail('usage', `gen: unknown workload '${id}' (known: ${workloads.map((x) => x.id).join(', ')})`);
  const out = argv.out;
  if (typeof out !== 'string' || out === '') return fail('usage', 'gen: --out FILE is required');
  const compression = (argv.compression ?? 'none') as TraceCompression;
  if (!['none', 'zstd', 'lz4'].includes(compression)) fail('usage', `--compression: '${compression}' is not one of none, zstd, lz4`);
  const form = (argv.form ?? 'file') as 'file' | 'stream';
  if (form !== 'file' && form !== 'stream') fail('usage', `--form: '${form}' is not one of file, stream`);
  const given = givenFrom(argv, w);
  resolveOptions(w, given); // check every option before touching the output
  if (compression === 'zstd') await enableZstdEncoder();
  const file = new AtomicFile(out);
  let result: GenResult;
  try {
    result = await generateOffThread(w, given, file, { compression, form });
    file.commit();
  } catch (e) {
    file.abort();
    throw e;
  }
  if (!argv.quiet) {
    const o = result.options;
    process.stderr.write(
      `${quoteName(out)}: ${w.id}, ${result.epochs} epochs over ${sig(o.durationUs / 1e6)} s, ${result.events} page writes, ` +
        `${o.memPages} pages × ${o.pageSize} B = ${sig((o.memPages * o.pageSize) / 2 ** 20)} MiB\n`,
    );
  }
  return result;
}

export const genCommand = {
  command: 'gen <workload>',
  describe: `generate a synthetic trace (${workloads.map((w) => w.id).join(', ')})`,
  builder: (y: Argv) => {
    let b = y;
    for (const w of workloads) {
      b = b.command(w.id, w.summary, (z: Argv) => workloadOptions(z, w).demandOption('out'), async (argv: any) => {
        await runGen({ ...argv, workload: w.id });
      });
    }
    return b.epilogue('Each workload has its own options: migreplay gen <workload> --help. See docs/workloads.md.');
  },
  async handler(argv: any) {
    // Reached only for a workload no subcommand matched (or from library code and tests).
    await runGen(argv);
  },
};
