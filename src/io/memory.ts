// The memory budget for decoded traces: how much a process (all its workers together)
// may hold of traces it has decoded, so that passes after the first (a replay that wraps,
// the oracle, the --within-epoch ranges, a sweep's runs) need not read and decode again.
// Beyond it traces are read from the file on every pass, in memory flat in their size.
import * as os from 'node:os';
import { fail } from '../errors.js';
import { parseSize } from '../units.js';

/** Where --memory is passed on to worker threads (they copy the environment). */
export const MEMORY_ENV = 'MIGREPLAY_MEMORY';

/** The share of the free memory the budget takes when --memory is not given. */
export const FREE_MEMORY_SHARE = 0.5;

/** Set the budget for this process and the workers it starts (`--memory`): a size with units. */
export function setMemoryBudget(text: string | number): void {
  const bytes = parseSize('--memory', text);
  if (!(bytes >= 0)) fail('usage', `--memory must be ≥ 0 (got ${text})`);
  process.env[MEMORY_ENV] = String(Math.floor(bytes));
}

/** The budget, bytes: --memory, else FREE_MEMORY_SHARE of the memory free now. */
export function memoryBudget(): number {
  const given = process.env[MEMORY_ENV];
  if (given !== undefined && given !== '') {
    const bytes = Number(given);
    if (!(bytes >= 0)) fail('usage', `${MEMORY_ENV}: '${given}' is not a number of bytes ≥ 0`);
    return bytes;
  }
  return Math.floor(os.freemem() * FREE_MEMORY_SHARE);
}
