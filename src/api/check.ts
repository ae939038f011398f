// Argument checks for the public functions (src/index.ts, src/node.ts): each misuse is
// one MigreplayError whose one-line message names the function, the argument and the
// rule — `replay: link.resumeMs must be a finite number ≥ 0 (got Infinity)` — never a
// TypeError from deep inside. No Node imports (the core entry uses these too).
import { fail } from '../errors.js';

/** A short, one-line description of any value, for messages. */
export function shown(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string': {
      const cut = value.length > 40;
      return `'${JSON.stringify(cut ? value.slice(0, 40) : value).slice(1, -1)}${cut ? '…' : ''}'`;
    }
    case 'number': return Object.is(value, -0) ? '-0' : String(value);
    case 'boolean': return String(value);
    case 'bigint': return `${value}n`;
    case 'symbol': return 'a symbol';
    case 'function': return 'a function';
  }
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${(value as { length?: number }).length ?? value.byteLength}`;
  if (value instanceof Map) return `a Map of ${value.size}`;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return `a ${proto?.constructor?.name || 'object'}`;
  const keys = Object.keys(value as object);
  if (keys.length === 0) return 'an empty object';
  return `an object with ${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', …' : ''}`;
}

/** Throw the one-line misuse error: `${fn}: ${what} must be ${rule} (got …)`. */
export function bad(fn: string, what: string, rule: string, value: unknown): never {
  return fail('usage', `${fn}: ${what} must be ${rule} (got ${shown(value)})`);
}

/** Whether a value is a plain object (`{ … }`), not an array, class instance or null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether a value is an object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An options object: undefined is {}; anything but a plain object, or a key not in
 * `known`, is refused. Keys whose value is undefined count as not given.
 */
export function options(fn: string, what: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) bad(fn, what, `an object (${known.join(', ')})`, value);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail('usage', `${fn}: ${what} has no option '${key}' (its options: ${known.join(', ')})`);
  }
  return value;
}

/** A string (non-empty unless allowEmpty). */
export function str(fn: string, what: string, value: unknown, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value === '')) bad(fn, what, allowEmpty ? 'a string' : 'a non-empty string', value);
  return value;
}

/** A boolean. */
export function bool(fn: string, what: string, value: unknown): boolean {
  if (typeof value !== 'boolean') bad(fn, what, 'true or false', value);
  return value;
}

/** A function. */
export function func<T extends (...args: never[]) => unknown>(fn: string, what: string, value: unknown): T {
  if (typeof value !== 'function') bad(fn, what, 'a function', value);
  return value as T;
}

/** A whole number in [min, max]. */
export function int(fn: string, what: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    bad(fn, what, max === Number.MAX_SAFE_INTEGER ? `a whole number ≥ ${min}` : `a whole number from ${min} to ${max}`, value);
  }
  return value;
}

/** A finite number ≥ min (or > min when `above`). */
export function num(fn: string, what: string, value: unknown, min = 0, above = false, unit = ''): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (above ? value > min : value >= min);
  if (!ok) bad(fn, what, `a finite number${unit ? ` of ${unit}` : ''} ${above ? '>' : '≥'} ${min}`, value);
  return value as number;
}

/** One of a few strings. */
export function oneOf<T extends string>(fn: string, what: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !choices.includes(value as T)) bad(fn, what, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, value);
  return value as T;
}

/** An array (its items are checked by the caller). */
export function array<T = unknown>(fn: string, what: string, value: unknown, rule = 'an array'): readonly T[] {
  if (!Array.isArray(value)) bad(fn, what, rule, value);
  return value as readonly T[];
}

/** No argument beyond the first `n` (a mistaken extra argument is refused, not ignored). */
export function noMoreArgs(fn: string, args: ArrayLike<unknown>, n: number): void {
  for (let i = n; i < args.length; i++) {
    if (args[i] !== undefined) fail('usage', `${fn}: takes ${n === 0 ? 'no argument' : `at most ${n} argument${n === 1 ? '' : 's'}`} (argument ${i + 1} is ${shown(args[i])})`);
  }
}
