// One error type, one way to raise it: the CLI turns a MigreplayError into one line
// on stderr and its exit status (docs/errors.md lists every code).

/** Exit status for bad input or usage. */
export const EXIT_BAD_INPUT = 2;
/** Exit status for a run that failed. */
export const EXIT_RUN_FAILED = 1;

/** Error codes users can see; each has a row in docs/errors.md. */
export type ErrorCode =
  | 'file-missing'
  | 'file-unreadable'
  | 'not-arrow'
  | 'truncated'
  | 'schema'
  | 'trace-rule'
  | 'too-large'
  | 'usage'
  | 'bad-unit'
  | 'unknown-algorithm'
  | 'write-failed'
  | 'kernel-missing'
  | 'capture-unavailable'
  | 'capture-failed';

// Control characters (C0, DEL, C1) and the Unicode line, paragraph and bidi controls: a
// name holding one would break a message's line or drive the terminal.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  const code = c.charCodeAt(0);
  return named[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** Text with every control character written as an escape (`\n`, `\x1b`): one line, inert on a terminal. */
export function inert(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * A file name as messages show it: as it is when plain, else in single quotes with
 * its control characters escaped (`'a\nb.arrow'`), so a message stays one line and a
 * name cannot colour or move the terminal. Every message naming a file uses this.
 */
export function quoteName(name: string): string {
  UNSAFE.lastIndex = 0;
  if (!UNSAFE.test(name) && name !== '' && name.trim() === name) return name;
  return `'${inert(name.replace(/\\/g, '\\\\').replace(/'/g, "\\'"))}'`;
}

/** A user-facing error: a one-line message and the exit status it deserves. */
export class MigreplayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly exitCode: number = EXIT_BAD_INPUT,
  ) {
    // Whatever a message quotes (a name, a value from a file) stays on its one line.
    super(inert(message));
    this.name = 'MigreplayError';
  }
}

/** Throw a MigreplayError (bad input unless exitCode says otherwise). */
export function fail(code: ErrorCode, message: string, exitCode: number = EXIT_BAD_INPUT): never {
  throw new MigreplayError(code, message, exitCode);
}
