// Usage errors as yargs reports them, made into one clear line (docs/errors.md).
import { MigreplayError } from '../errors.js';
import { paramKey } from '../params/index.js';

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

/** The declared option closest to an unknown one, if it is close enough to be what was meant. */
export function closestOption(name: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const o of options) {
    const d = distance(name, o);
    if (d < bestDistance || (d === bestDistance && best !== undefined && o < best)) [best, bestDistance] = [o, d];
  }
  // A slip of a few letters, or a prefix of the option (--max-iter for --max-iters).
  const near = bestDistance <= Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  const prefix = name.length >= 3 && options.filter((o) => o.startsWith(name)).length === 1;
  if (near) return best;
  return prefix ? options.find((o) => o.startsWith(name)) : undefined;
}

/**
 * "Unknown arguments: max-iter, maxIter": yargs names each unknown option twice (as
 * given and in camelCase) and suggests nothing. Each once, as given, with the closest
 * declared option for a misspelt one.
 */
function unknownArguments(list: string, args: readonly string[], options: readonly string[]): string {
  const given = list.split(', ').map((w) => w.trim()).filter(Boolean);
  const kebab = (w: string) => w.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const names = given.filter((w, i) => !(/[A-Z]/.test(w) && given.some((v, j) => j !== i && v === kebab(w))) && given.indexOf(w) === i);
  const end = args.indexOf('--') < 0 ? args.length : args.indexOf('--');
  const asOption = (w: string) => args.slice(0, end).some((a) => a === `--${w}` || a.startsWith(`--${w}=`) || a === `--no-${w}` || a === `-${w}`);
  const suggestions = names.map((w) => (asOption(w) && w.length > 1 ? closestOption(kebab(w), options) : undefined));
  if (names.length === 1) {
    return `Unknown argument: ${names[0]}${suggestions[0] ? `; did you mean --${suggestions[0]}?` : ''}`;
  }
  return `Unknown arguments: ${names.map((w, i) => (suggestions[i] ? `${w} (did you mean --${suggestions[i]}?)` : w)).join(', ')}`;
}

/** The MigreplayError for a yargs failure message, given the arguments it was about (and the options of the command). */
export function usageError(msg: string, args: readonly string[], commands: readonly string[], options: readonly string[] = []): MigreplayError {
  const text = msg.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  const unknown = /^Unknown arguments?: (.*)$/.exec(text);
  if (unknown) {
    const negative = negativeValue(args);
    if (negative) return negative;
    return new MigreplayError('usage', `${unknownArguments(unknown[1]!, args, options)} (see migreplay --help)`);
  }
  // "Invalid values: Argument: kernel, Given: "foo", Choices: "wasm", "js"" (one per bad option).
  if (/^Invalid values?:/.test(text)) {
    const bad = [...text.matchAll(/Argument: ([^,]+), Given: (.+?), Choices: (.+?)(?= Argument: |$)/g)]
      .map(([, name, given, choices]) => {
        // A positional (validate <target>) is named as what it is, an option with its dashes.
        const value = given!.replace(/^"(.*)"$/, '$1');
        const spellings = [name, paramKey(name)];
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
