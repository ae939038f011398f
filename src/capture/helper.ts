// Where the native capture helper is, and whether it can run here. It is built at
// install time by scripts/build-capture.sh into build/capture/migreplay-capture;
// MIGREPLAY_CAPTURE_HELPER names another one.
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_RUN_FAILED, MigreplayError, type ErrorCode } from '../errors.js';

/** Environment variable naming the helper binary (overrides the built one). */
export const HELPER_ENV = 'MIGREPLAY_CAPTURE_HELPER';

/** Error code: this machine cannot capture (no helper, kernel, permissions, Xen). */
export const CAPTURE_UNAVAILABLE: ErrorCode = 'capture-unavailable';
/** Error code: a capture started and then failed. */
export const CAPTURE_FAILED: ErrorCode = 'capture-failed';

// src/capture/ and dist/capture/ are both two levels below the repository root.
const BUILT = new URL('../../build/capture/migreplay-capture', import.meta.url);

/** The helper path that will be used (it may not exist). */
export function helperPath(): string {
  return process.env[HELPER_ENV] || fileURLToPath(BUILT);
}

/** The helper's path, or a one-line error saying why capture is unavailable. */
export function findHelper(): string {
  if (process.platform !== 'linux') {
    throw new MigreplayError(CAPTURE_UNAVAILABLE, `capture needs Linux (this is ${process.platform})`, EXIT_RUN_FAILED);
  }
  const file = helperPath();
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    const why = process.env[HELPER_ENV]
      ? `${HELPER_ENV}=${file} is not an executable file`
      : 'the capture helper was not built (no C compiler at install time?): install gcc or clang, then run npm run build:capture';
    throw new MigreplayError(CAPTURE_UNAVAILABLE, `capture is unavailable: ${why}`, EXIT_RUN_FAILED);
  }
  return file;
}
