// The public workload generators (docs/workloads.md), checking their arguments. No Node imports.
import { MigreplayError } from '../errors.js';
import {
  findWorkload, generateTrace as generateTraceImpl, resolveOptions, workloads,
  type GenGiven, type GenOptions, type GenResult, type Workload,
} from '../trace/generate.js';
import type { TraceWriterOptions } from '../trace/write.js';
import { bad, isPlainObject, shown } from './check.js';
import { checkWriterArgs } from './trace.js';
import { fail } from '../errors.js';

/** A workload argument, checked: one of `workloads`, or its id. */
function usableWorkload(fn: string, w: unknown): Workload {
  if (typeof w === 'string') return findWorkload(w) ?? fail('usage', `${fn}: unknown workload ${shown(w)} (known: ${workloads.map((x) => x.id).join(', ')})`);
  if (!(workloads as readonly unknown[]).includes(w)) bad(fn, 'workload', `a workload (an entry of workloads, or its id: ${workloads.map((x) => x.id).join(', ')})`, w);
  return w as Workload;
}

/** Options, checked, then resolved: the generator's own messages, reworded to name the function and option. */
function resolved(fn: string, w: Workload, given: unknown): GenOptions {
  if (given !== undefined && !isPlainObject(given)) bad(fn, 'options', "an object of workload options keyed by name, e.g. { mem: '256MiB', duration: '10s' }", given);
  for (const [k, v] of Object.entries(given ?? {})) {
    if (v !== undefined && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      bad(fn, `options[${shown(k)}]`, 'a number, a string as the command line takes it, or a boolean', v);
    }
  }
  try {
    return resolveOptions(w, (given ?? {}) as GenGiven);
  } catch (e) {
    if (!(e instanceof MigreplayError)) throw e;
    const flag = /^--([a-z0-9-]+): /.exec(e.message);
    const own = `gen ${w.id}: `;
    const message = flag ? `options['${flag[1]}']: ${e.message.slice(flag[0].length)}` : e.message.startsWith(own) ? e.message.slice(own.length) : e.message;
    throw new MigreplayError(e.code, `${fn}: ${message.replace(/^unknown option/, 'options has no option')}`, e.exitCode);
  }
}

export { workloads };

/** A workload's options resolved and checked (defaults filled in, units read), as generateTrace would use them. */
export function resolveWorkloadOptions(workload: Workload | string, given?: GenGiven): GenOptions {
  return resolved('resolveWorkloadOptions', usableWorkload('resolveWorkloadOptions', workload), given);
}

/**
 * Generate a workload's trace (deterministic for a seed) into a byte sink, Arrow IPC file
 * form by default; ZSTD compression needs enableZstdEncoder() awaited first.
 */
export function generateTrace(workload: Workload | string, options: GenGiven | undefined, sink: (chunk: Uint8Array) => void, writerOptions?: TraceWriterOptions): GenResult {
  const fn = 'generateTrace';
  const w = usableWorkload(fn, workload);
  resolved(fn, w, options);
  checkWriterArgs(fn, sink, null, writerOptions);
  return generateTraceImpl(w, options ?? {}, sink, writerOptions ?? {});
}
