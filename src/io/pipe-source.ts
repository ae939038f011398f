// Trace bytes from something that is not a regular file — a FIFO, a character device,
// /dev/stdin — which has no size and can be read only once: read it whole into memory
// (bounded), so that the reader's several passes see the same bytes. What cannot start a
// trace stops the reading at once: /dev/zero is refused after its first bytes, not read
// until memory runs out.
import * as fs from 'node:fs';
import { fail, quoteName } from '../errors.js';
import { bytesSource, type ByteSource } from '../trace/read.js';

/** At most this many bytes are read from a pipe or device (the reader's whole-file limit). */
const PIPE_LIMIT = 2 ** 31 - 1;
const CHUNK = 1 << 20;

// An Arrow trace starts with the file magic `ARROW1` or with an IPC message: the
// continuation marker 0xFFFFFFFF and a positive metadata length (or, before Arrow 0.15,
// the positive length alone).
/** Whether these first bytes may start an Arrow trace (fewer than 8: cannot tell, so yes). */
export function canStartTrace(head: Uint8Array): boolean {
  if (head.byteLength < 8) return true; // too short to tell: the reader says what it is
  if (String.fromCharCode(...head.subarray(0, 6)) === 'ARROW1') return true;
  const word = (at: number) => head[at]! | (head[at + 1]! << 8) | (head[at + 2]! << 16) | (head[at + 3]! << 24);
  const first = word(0);
  return first === -1 ? word(4) > 0 : first > 0;
}

/** How long a FIFO that no writer has opened is waited for before it is refused. */
export const FIFO_WRITER_WAIT_S = 10;

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * The bytes of a pipe or device behind an open descriptor (closed here), as a ByteSource.
 * The descriptor is non-blocking (src/io/files.ts opens it so: opening a FIFO that has no
 * writer would block for ever): a FIFO reads as ended until a writer opens it, so one
 * that has given nothing is waited for, at most FIFO_WRITER_WAIT_S, then refused.
 */
export function pipeSource(file: string, fd: number): ByteSource {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const fifo = fs.fstatSync(fd).isFIFO();
  const giveUpAt = Date.now() + FIFO_WRITER_WAIT_S * 1000;
  let writer = false; // a writer has been seen (data, or "nothing yet" from an open pipe)
  try {
    for (;;) {
      const buf = new Uint8Array(CHUNK);
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        writer = true; // open, with nothing yet: wait for it
        pause(5);
        continue;
      }
      if (n === 0) {
        if (!fifo || writer || size > 0) break;
        if (Date.now() >= giveUpAt) {
          fail('file-unreadable', `${quoteName(file)}: a FIFO that no program wrote to within ${FIFO_WRITER_WAIT_S} s: start its writer first, or give a file`);
        }
        pause(20);
        continue;
      }
      writer = true;
      chunks.push(buf.subarray(0, n));
      size += n;
      // Decide from the first 8 bytes whether this can be a trace at all.
      if (size >= 8 && size - n < 8 && !canStartTrace(concat(chunks, 8))) break;
      if (size > PIPE_LIMIT) fail('too-large', `${quoteName(file)}: not a regular file, and more than 2 GiB: copy it to a file first`);
    }
  } finally {
    fs.closeSync(fd);
  }
  return bytesSource(file, concat(chunks, size));
}

function concat(chunks: Uint8Array[], max: number): Uint8Array {
  const out = new Uint8Array(Math.min(max, chunks.reduce((a, c) => a + c.byteLength, 0)));
  let at = 0;
  for (const c of chunks) {
    if (at >= out.length) break;
    out.set(c.subarray(0, out.length - at), at);
    at += c.byteLength;
  }
  return out;
}
