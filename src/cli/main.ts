// The command line: yargs commands, one file each; every error becomes one line on
// stderr and an exit status (2 bad input or usage, 1 failed run).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT_RUN_FAILED, MigreplayError } from '../errors.js';
import { abortAllOutputs, cleanUpOutputsOnSignals } from '../io/files.js';
import { VERSION } from '../version.js';
import { captureCommand } from './capture.js';
import { convertCommand } from './convert.js';
import { exploreCommand } from './explore.js';
import { genCommand } from './gen.js';
import { mergeCommand } from './merge.js';
import { sweepCommand } from './sweep.js';
import { validateCommand } from './validate.js';
import { reportCommand } from './report.js';
import { inspectCommand } from './inspect.js';
import { QEMU_ALIASES, replayCommand } from './replay.js';
import { negativeValue, usageError } from './usage.js';

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

/** Run the CLI with these arguments; resolves to the exit status. */
export async function main(args: string[]): Promise<number> {
  const debug = args.includes('--debug');
  // SIGINT/SIGTERM remove unfinished outputs: the handlers are installed when the first
  // output is opened (until then a signal ends the process at once; src/io/files.ts).
  cleanUpOutputsOnSignals();
  const commands = [replayCommand, sweepCommand, mergeCommand, inspectCommand, convertCommand, genCommand, reportCommand, captureCommand, exploreCommand, validateCommand]
    .map((c) => c.command.split(' ')[0]!);
  const cli = yargs(args)
    .scriptName('migreplay')
    .version(VERSION)
    .command(replayCommand)
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
    .middleware((argv: Record<string, unknown>, y?: unknown) => onceEach(args, argv, y), true)
    .demandCommand(1, 'name a command (replay, sweep, merge, inspect, convert, gen, report, capture, explore, validate)')
    .strict()
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    // A usage error must stop the command before it runs: throw, never just record it.
    .fail((msg, err) => {
      if (err) throw err;
      throw usageError(msg, args, commands);
    })
    .help();
  // yargs renders and caches the whole help text after every command's handler, for a
  // later showHelp() we never make: ~90 ms of string widths for replay's options.
  (cli as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } })
    .getInternalMethods().getUsageInstance().cacheHelpMessage = () => {};
  try {
    await cli.parseAsync();
  } catch (e) {
    return report(e, debug);
  }
  return 0;
}

/** Entry point used by bin/migreplay.js. */
export async function run(): Promise<void> {
  process.exitCode = await main(hideBin(process.argv));
}
