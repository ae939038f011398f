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

/** A user-facing error: a one-line message and the exit status it deserves. */
export class MigreplayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly exitCode: number = EXIT_BAD_INPUT,
  ) {
    super(message);
    this.name = 'MigreplayError';
  }
}

/** Throw a MigreplayError (bad input unless exitCode says otherwise). */
export function fail(code: ErrorCode, message: string, exitCode: number = EXIT_BAD_INPUT): never {
  throw new MigreplayError(code, message, exitCode);
}
