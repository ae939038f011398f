// The command line: yargs commands, one file each; every error becomes one line on
// stderr and an exit status (2 bad input or usage, 1 failed run).
import { StringDecoder } from 'node:string_decoder';
import { format } from 'node:util';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT_RUN_FAILED, MigreplayError } from '../errors.js';
import { abortAllOutputs, cleanUpOutputsOnSignals, describe as describeError } from '../io/files.js';
import { VERSION } from '../version.js';
import { captureCommand } from './capture.js';
import { convertCommand } from './convert.js';
import { exploreCommand } from './explore.js';
import { fleetCommand } from './fleet.js';
import { genCommand } from './gen.js';
import { mergeCommand } from './merge.js';
import { sweepCommand } from './sweep.js';
import { validateCommand } from './validate.js';
import { reportCommand } from './report.js';
import { inspectCommand } from './inspect.js';
import { QEMU_ALIASES, replayCommand } from './replay.js';
import { negativeValue, usageError } from './usage.js';
import { MEMORY_ENV, setMemoryBudget } from '../io/memory.js';

function report(e: unknown, debug: boolean): number {
  abortAllOutputs();
  if (e instanceof MigreplayError) {
    process.stderr.write(`migreplay: ${e.message}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
  process.stderr.write(`migreplay: internal error: ${message} (run again with --debug for the stack)\n`);
  if (debug && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return EXIT_RUN_FAILED;
}

/**
 * An option given twice (yargs would make an array of it, which no single-valued option
 * reads right) or given without its value is a usage error, before anything runs.
 * Options declared as arrays (sweep --trace, --set) may repeat.
 */
function onceEach(args: string[], argv: Record<string, unknown>, y?: unknown): void {
  const negative = negativeValue(args); // said as such, not as a missing or repeated value
  if (negative) throw negative;
  const declared = (y as { getOptions(): { array: string[]; choices: Record<string, unknown> } }).getOptions();
  const arrays = new Set(declared.array);
  // An option with choices and a default, given without a value, would silently keep
  // its default (yargs): look at the words themselves.
  const end = args.includes('--') ? args.indexOf('--') : args.length;
  for (let i = 0; i < end; i++) {
    const name = /^--([a-z][a-zA-Z0-9-]*)$/.exec(args[i]!)?.[1]?.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    if (name && name in declared.choices && (i + 1 >= end || args[i + 1]!.startsWith('-'))) {
      throw new MigreplayError('usage', `--${name} needs a value`);
    }
  }
  for (const [key, value] of Object.entries(argv)) {
    // Each option appears under its dashed and its camelCase key: look at the dashed one.
    if (key === '_' || key === '$0' || key === '--' || /[A-Z]/.test(key) || arrays.has(key)) continue;
    if (Array.isArray(value)) {
      // replay's QEMU aliases have their own message (src/cli/replay.ts).
      if (QEMU_NAMES.has(key)) continue;
      throw new MigreplayError('usage', `--${key} given more than once (${value.map(String).join(', ')}): give it once`);
    }
    if (value === '') throw new MigreplayError('usage', `--${key} needs a value`);
  }
}

const QEMU_NAMES = new Set(Object.entries(QEMU_ALIASES).flat());

/** The options a command declares (dashed spellings, aliases included), for "did you mean --…?". */
function declaredOptions(y: unknown): string[] {
  const o = (y as { getOptions?(): { key: Record<string, unknown>; alias: Record<string, string[]> } } | undefined)?.getOptions?.();
  if (!o) return [];
  const names = new Set([...Object.keys(o.key), ...Object.keys(o.alias), ...Object.values(o.alias).flat()]);
  return [...names].filter((n) => n !== '$0' && n !== '_' && !/[A-Z]/.test(n));
}

/**
 * Run the CLI with these arguments, writing to process.stdout and process.stderr;
 * resolves to the exit status. Never exits the process (bin/migreplay.js does, through
 * run()); runCli runs it in-process with its output captured.
 */
export async function main(args: string[]): Promise<number> {
  const debug = args.includes('--debug');
  const commands = [replayCommand, fleetCommand, sweepCommand, mergeCommand, inspectCommand, convertCommand, genCommand, reportCommand, captureCommand, exploreCommand, validateCommand]
    .map((c) => c.command.split(' ')[0]!);
  let options: string[] = [];
  const cli = yargs(args)
    .scriptName('migreplay')
    // yargs would translate its messages from LANG/LC_ALL; usage.ts reads them in English.
    .locale('en')
    .version(VERSION)
    .command(replayCommand)
    .command(fleetCommand)
    .command(sweepCommand)
    .command(mergeCommand)
    .command(inspectCommand)
    .command(convertCommand)
    .command(genCommand)
    .command(reportCommand)
    .command(captureCommand)
    .command(exploreCommand)
    .command(validateCommand)
    .option('debug', { type: 'boolean', describe: 'show the stack of internal errors', global: true })
    .option('memory', { type: 'string', describe: 'memory budget for decoded traces, e.g. 2GiB: a trace that fits is read and decoded once, a larger one streamed from its file on every pass [default: half the free memory]', global: true })
    .middleware((argv: Record<string, unknown>, y?: unknown) => {
      options = declaredOptions(y); // the command's, for a "did you mean" on an unknown one
      onceEach(args, argv, y);
      if (argv.memory !== undefined) setMemoryBudget(argv.memory as string);
    }, true)
    .demandCommand(1, 'name a command (replay, fleet, sweep, merge, inspect, convert, gen, report, capture, explore, validate)')
    .strict()
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    // A usage error must stop the command before it runs: throw, never just record it.
    .fail((msg, err) => {
      if (err) throw err;
      throw usageError(msg, args, commands, options);
    })
    // --help and --version print and end the run here; the process ends by itself.
    .exitProcess(false)
    .help();
  // yargs renders and caches the whole help text after every command's handler, for a
  // later showHelp() we never make: ~90 ms of string widths for replay's options.
  (cli as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } })
    .getInternalMethods().getUsageInstance().cacheHelpMessage = () => {};
  const memoryBefore = process.env[MEMORY_ENV]; // --memory holds for this run only (runCli runs several in one process)
  try {
    await cli.parseAsync();
  } catch (e) {
    return report(e, debug);
  } finally {
    if (memoryBefore === undefined) delete process.env[MEMORY_ENV];
    else process.env[MEMORY_ENV] = memoryBefore;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// In-process runs (the test suites, a library caller that wants the CLI's exact output).

/** Where runCli also sends a stream's text as it is written: a function or anything with write(). */
export type CliSink = ((text: string) => void) | { write(text: string): unknown };

export interface RunCliOptions {
  /** Also receives stdout's text as the command writes it (it is collected either way). */
  stdout?: CliSink;
  /** Also receives stderr's text as the command writes it. */
  stderr?: CliSink;
  /** Working folder of the run (process.chdir for its duration: needs the main thread). */
  cwd?: string;
  /** Environment variables set for the run (undefined removes one); the others stay. */
  env?: Record<string, string | undefined>;
}

/** What an in-process run ended with: the exit status `migreplay` would have, and what it printed. */
export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

type Restore = () => void;

/** Set an own property for the duration of a run; the returned function puts the old one back. */
function override(target: object, key: PropertyKey, value: unknown): Restore {
  const had = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, { value, configurable: true, writable: true, enumerable: had?.enumerable ?? false });
  return () => {
    if (had) Object.defineProperty(target, key, had);
    else delete (target as Record<PropertyKey, unknown>)[key];
  };
}

const sinkOf = (s: CliSink | undefined): ((text: string) => void) | undefined =>
  s === undefined ? undefined : typeof s === 'function' ? s : (text) => void s.write(text);

/** Send a stream's writes (and the console methods that use it) into `into` until restored. */
function captureStream(stream: NodeJS.WriteStream, into: string[], sink: ((text: string) => void) | undefined): { restore: Restore; put(text: string): void } {
  const decoder = new StringDecoder('utf8');
  const put = (text: string) => {
    if (text === '') return;
    into.push(text);
    sink?.(text);
  };
  const write = (chunk: string | Uint8Array, encoding?: BufferEncoding | ((e?: Error | null) => void), done?: (e?: Error | null) => void): boolean => {
    put(typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    const callback = typeof encoding === 'function' ? encoding : done;
    if (callback) process.nextTick(callback, null);
    return true;
  };
  // Commands see a pipe, as in a spawned `migreplay … | …`: no terminal, no width.
  const restores = [override(stream, 'write', write), override(stream, 'isTTY', false), override(stream, 'columns', undefined)];
  return { restore: () => { put(decoder.end()); for (const r of restores.reverse()) r(); }, put };
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Run the CLI in this process, as `migreplay ARGS` would run: resolves to its exit
 * status and what it wrote on stdout and stderr. Nothing is printed, the process never
 * exits, and nothing is left behind for the next call: stdout/stderr, the console, the
 * working folder, the environment, process.exitCode and SIGINT/SIGTERM listeners are
 * put back; no signal handler is installed (only bin/migreplay.js cleans up outputs on a
 * signal). Runs are queued: one at a time, each with the process to itself.
 */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliRun> {
  const result = queue.then(() => runAlone([...args], options));
  queue = result.catch(() => undefined);
  return result;
}

async function runAlone(args: string[], options: RunCliOptions): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const restores: Restore[] = [];
  const exitCode = process.exitCode;
  const listeners = new Map((['SIGINT', 'SIGTERM'] as const).map((s) => [s, process.listeners(s)]));
  let status: number;
  try {
    const stdout = captureStream(process.stdout, out, sinkOf(options.stdout));
    restores.push(stdout.restore);
    const stderr = captureStream(process.stderr, err, sinkOf(options.stderr));
    restores.push(stderr.restore);
    // yargs prints --help and --version with console.log (and vitest, for one, has its own console).
    const line = (put: (text: string) => void) => (...a: unknown[]) => put(`${format(...a)}\n`);
    for (const m of ['log', 'info', 'debug'] as const) restores.push(override(console, m, line(stdout.put)));
    for (const m of ['error', 'warn', 'trace'] as const) restores.push(override(console, m, line(stderr.put)));
    for (const [key, value] of Object.entries(options.env ?? {})) {
      const had = Object.prototype.hasOwnProperty.call(process.env, key);
      const old = process.env[key];
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
      restores.push(() => {
        if (had) process.env[key] = old;
        else delete process.env[key];
      });
    }
    if (options.cwd !== undefined) {
      const old = process.cwd();
      process.chdir(options.cwd);
      restores.push(() => process.chdir(old));
    }
    status = await main(args);
  } finally {
    for (const r of restores.reverse()) r();
    process.exitCode = exitCode;
    for (const [signal, before] of listeners) {
      for (const l of process.listeners(signal)) if (!before.includes(l)) process.removeListener(signal, l);
    }
  }
  return { status, stdout: out.join(''), stderr: err.join('') };
}

// ---------------------------------------------------------------------------------------

/**
 * stdout that cannot be written: a reader that went away (`migreplay … | head -1`, EPIPE)
 * ends the output quietly, the command finishing as it would; any other failure (a full
 * device, ENOSPC) is one line on stderr and exit 1, unfinished outputs removed.
 */
function guardStandardStreams(): void {
  let failed = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (failed) return;
    failed = true;
    // Nothing more can reach the reader: what the command still prints goes nowhere.
    process.stdout.write = ((_chunk: unknown, encoding?: unknown, done?: unknown) => {
      const callback = typeof encoding === 'function' ? encoding : done;
      if (typeof callback === 'function') process.nextTick(callback as () => void);
      return true;
    }) as typeof process.stdout.write;
    if (e.code === 'EPIPE') return;
    abortAllOutputs();
    process.stderr.write(`migreplay: cannot write to standard output (${describeError(e)})\n`);
    process.exit(EXIT_RUN_FAILED);
  });
  // stderr that cannot be written has nobody to tell.
  process.stderr.on('error', () => {});
}

/** Entry point used by bin/migreplay.js. */
export async function run(): Promise<void> {
  guardStandardStreams();
  // SIGINT/SIGTERM remove unfinished outputs: the handlers are installed when the first
  // output is opened (until then a signal ends the process at once; src/io/files.ts).
  cleanUpOutputsOnSignals();
  process.exitCode = await main(hideBin(process.argv));
}
