// The worker thread of `migreplay gen` (src/cli/gen.ts): generates one trace straight
// into the temporary output file the main thread opened (by its descriptor) and posts
// back the result or the error. Generation is one long synchronous loop; run here, it
// leaves the main thread free to handle SIGINT/SIGTERM (and remove the temporary file)
// at once instead of after the whole trace is written.
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { MigreplayError, type ErrorCode } from '../errors.js';
import { enableZstdEncoder } from '../trace/codecs.js';
import { generateTrace, type GenGiven, type GenResult } from '../trace/generate.js';
import type { TraceWriterOptions } from '../trace/write.js';

/** What the main thread hands the worker. */
export interface GenWorkerData {
  workload: string;
  given: GenGiven;
  fd: number;
  options: TraceWriterOptions;
}

/** What the worker posts back, once. */
export type GenWorkerReply =
  | { result: GenResult }
  | { writeError: { code?: string; message: string } }
  | { error: { code: ErrorCode; message: string; exitCode: number } }
  | { internal: { message: string; stack: string } };

/** A system error while writing (ENOSPC, EIO, …): the main thread words it as AtomicFile does. */
class WriteError {
  constructor(readonly cause: NodeJS.ErrnoException) {}
}

async function run(port: NonNullable<typeof parentPort>, data: GenWorkerData): Promise<void> {
  const write = (chunk: Uint8Array): void => {
    try {
      for (let at = 0; at < chunk.byteLength; ) at += fs.writeSync(data.fd, chunk, at, chunk.byteLength - at);
    } catch (e) {
      throw new WriteError(e as NodeJS.ErrnoException);
    }
  };
  let reply: GenWorkerReply;
  try {
    if (data.options.compression === 'zstd') await enableZstdEncoder();
    reply = { result: generateTrace(data.workload, data.given, write, data.options) };
  } catch (e) {
    if (e instanceof WriteError) reply = { writeError: { code: e.cause.code, message: e.cause.message } };
    else if (e instanceof MigreplayError) reply = { error: { code: e.code, message: e.message, exitCode: e.exitCode } };
    else {
      const err = e instanceof Error ? e : new Error(String(e));
      reply = { internal: { message: err.message, stack: err.stack ?? err.message } };
    }
  }
  port.postMessage(reply);
}

if (parentPort && (workerData as GenWorkerData | undefined)?.workload !== undefined) void run(parentPort, workerData as GenWorkerData);
