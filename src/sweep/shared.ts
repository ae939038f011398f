// Traces shared between the main thread and the sweep's workers, in one of two forms:
//   bytes   — the trace file's bytes in a SharedArrayBuffer; each worker opens it with
//             bytesSource (one validating pass per worker) and decodes it on every pass
//             of every replay, as `replay` does;
//   decoded — the main thread decodes each record batch once into SharedArrayBuffers;
//             workers replay straight from them: no decompression per run, no second
//             validation (the main thread's openTrace did it). Same batches, same
//             numbers, so the same results; memory: the decoded page lists (4 bytes per
//             page write) once for all workers.
import type { Trace } from '../trace/read.js';
import type { EpochBatch } from '../trace/schema.js';

/** How traces reach the workers (`--share`). */
export type ShareMode = 'auto' | 'bytes' | 'decoded';

type SharedArray = { type: string; buffer: SharedArrayBuffer };
type SharedBatch = Record<string, number | SharedArray>;

export type SharedTrace =
  | { form: 'bytes'; name: string; bytes: SharedArrayBuffer }
  | { form: 'decoded'; name: string; meta: Trace['meta']; summary: Trace['summary']; batches: SharedBatch[] };

const TYPED: Record<string, new (buffer: SharedArrayBuffer) => ArrayBufferView> = {
  Float64Array, Int32Array, Uint32Array, Float32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, BigInt64Array, BigUint64Array,
};

/** Upper bound of a trace's decoded size in memory, bytes. */
export function decodedBytes(trace: Trace): number {
  const lists = 1 + (trace.summary.hasComm ? 1 : 0) + (trace.summary.hasImmp ? 1 : 0);
  return trace.summary.events * 4 * lists + trace.summary.epochs * (8 + 4 * lists);
}


function shareArray(a: ArrayBufferView): SharedArray {
  const buffer = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(buffer).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return { type: a.constructor.name, buffer };
}

/** The shared form of an opened trace whose file bytes are `bytes`. */
export function shareTrace(trace: Trace, bytes: SharedArrayBuffer, form: 'bytes' | 'decoded'): SharedTrace {
  if (form === 'bytes') return { form, name: trace.name, bytes };
  const batches: SharedBatch[] = [];
  for (const b of trace.batches()) {
    const out: SharedBatch = {};
    for (const [k, v] of Object.entries(b)) {
      if (typeof v === 'number') out[k] = v;
      else if (ArrayBuffer.isView(v)) out[k] = shareArray(v);
      else if (v !== undefined) throw new Error(`trace batches have a field '${k}' that cannot be shared`);
    }
    batches.push(out);
  }
  return { form, name: trace.name, meta: trace.meta, summary: trace.summary, batches };
}

/**
 * A worker's Trace over a shared trace. The bytes form needs the trace reader (Arrow
 * decoding: the bulk of a worker's start-up), passed in so that workers given only
 * decoded traces never load it.
 */
export function openShared(t: SharedTrace, reader?: typeof import('../trace/read.js')): Trace {
  if (t.form === 'bytes') {
    if (!reader) throw new Error('openShared: the bytes form needs the trace reader');
    return reader.openTrace(reader.bytesSource(t.name, new Uint8Array(t.bytes)));
  }
  const batches = t.batches.map((b) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(b)) out[k] = typeof v === 'number' ? v : new TYPED[v.type]!(v.buffer);
    return out as unknown as EpochBatch;
  });
  return { name: t.name, meta: t.meta, summary: t.summary, batches: () => batches };
}
