// Usage errors as yargs reports them, made into one clear line (docs/errors.md).
import { MigreplayError } from '../errors.js';

// yargs reads a negative value with a unit (`--bandwidth -5MB`) as a cluster of short
// options (-5 -M -B) and reports "Unknown arguments: 5, M, B".
const NEGATIVE = /^-\.?[0-9]/;

/** The words on the command line that are not options (before a `--`). */
function words(args: readonly string[]): string[] {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).filter((a) => !a.startsWith('-'));
}

/** Edit distance, to find the word a "Did you mean …?" is about. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * `--bandwidth -5MB`: yargs reads the value as the short options -5 -M -B. The error to
 * give instead (the value is negative), if some option is followed by a negative number.
 */
export function negativeValue(args: readonly string[]): MigreplayError | undefined {
  const end = args.indexOf('--');
  for (let i = 1; i < (end < 0 ? args.length : end); i++) {
    const option = args[i - 1]!;
    if (NEGATIVE.test(args[i]!) && /^--[a-z]/i.test(option) && !option.includes('=')) {
      return new MigreplayError('bad-unit', `${option}: '${args[i]}' is negative (give a value ≥ 0)`);
    }
  }
  return undefined;
}

/** The MigreplayError for a yargs failure message, given the arguments it was about. */
export function usageError(msg: string, args: readonly string[], commands: readonly string[]): MigreplayError {
  const text = msg.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  if (/^Unknown arguments?:/.test(text)) {
    const negative = negativeValue(args);
    if (negative) return negative;
  }
  // "Invalid values: Argument: kernel, Given: "foo", Choices: "wasm", "js"" (one per bad option).
  if (/^Invalid values?:/.test(text)) {
    const bad = [...text.matchAll(/Argument: ([^,]+), Given: (.+?), Choices: (.+?)(?= Argument: |$)/g)]
      .map(([, name, given, choices]) => {
        // A positional (validate <target>) is named as what it is, an option with its dashes.
        const value = given!.replace(/^"(.*)"$/, '$1');
        const spellings = [name, name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())];
        const asOption = args.some((a) => spellings.some((n) => a === `--${n}` || a.startsWith(`--${n}=`)));
        const positional = !asOption && args.includes(value);
        return `${positional ? `<${name}>` : `--${name}`}: '${value}' is not one of ${choices!.replaceAll('"', '')}`;
      });
    if (bad.length > 0) return new MigreplayError('usage', `${bad.join('; ')} (see migreplay --help)`);
  }
  const mean = /^Did you mean (.+)\?$/.exec(text);
  if (mean) {
    // yargs stops at the suggestion; name the word it replaces.
    const suggestion = mean[1]!;
    const candidates = words(args).filter((w) => !commands.includes(w));
    const word = candidates.sort((a, b) => distance(a, suggestion) - distance(b, suggestion))[0];
    const parent = word === undefined ? undefined : args[args.indexOf(word) - 1];
    const what = parent !== undefined && commands.includes(parent) ? `${parent}: unknown ${parent === 'gen' ? 'workload' : 'subcommand'}` : 'unknown command';
    return new MigreplayError('usage', `${what}${word === undefined ? '' : ` '${word}'`}; did you mean ${suggestion}? (see migreplay --help)`);
  }
  return new MigreplayError('usage', `${text} (see migreplay --help)`);
}
