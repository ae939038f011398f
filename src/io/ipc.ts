// Arrow IPC framing, the one place it is read: each message is a length prefix
// (0xFFFFFFFF then an int32, or before Arrow 0.15 the int32 alone), a flatbuffer
// Message of that many bytes, and a body of Message.bodyLength bytes; a zero length is
// the end-of-stream marker. Trace reading (src/trace/read.ts) and table reading
// (src/io/tables/arrow.ts) both walk messages through readFrame. No Node imports.
import { Message } from 'apache-arrow';

/** The end-of-stream marker of an IPC stream. */
export const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

const MAGIC = 'ARROW1';

/** Whether bytes start with the IPC file magic `ARROW1`. */
export function hasArrowMagic(bytes: Uint8Array): boolean {
  if (bytes.byteLength < MAGIC.length) return false;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

/** A little-endian int32 at `at`. */
export const int32At = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24));

/** Why a message cannot be read, as a phrase for a message. */
export class Broken {
  constructor(readonly why: string) {}
}

/** One IPC message, its framing checked: metadata and body within the bytes. */
export interface Frame {
  /** Where the message (its length prefix) starts. */
  pos: number;
  message: Message;
  /** The flatbuffer metadata bytes. */
  meta: Uint8Array;
  bodyStart: number;
  bodyLength: number;
  /** The byte after the body. */
  end: number;
}

const CUT_PREFIX = "the bytes end inside a message's length prefix";

/** Reads bytes [from, from+length) of what is framed (fewer at its end). */
export type ReadBytes = (from: number, length: number) => Uint8Array;

/**
 * The message at `pos` of bytes that end at `limit`: a Frame, 'end' (the end-of-stream
 * marker, or no bytes left), or why it cannot be read. `readAhead` bytes are read with
 * the prefix, so a message whose metadata fits costs one read.
 */
export function readFrame(read: ReadBytes, pos: number, limit: number, readAhead = 0): Frame | 'end' | Broken {
  const left = limit - pos;
  if (left <= 0) return 'end';
  let head = read(pos, Math.min(8 + readAhead, left));
  if (head.byteLength < 4) return new Broken(CUT_PREFIX);
  let prefix = 4;
  let metaLength = int32At(head, 0);
  if (metaLength === -1) {
    if (head.byteLength < 8) return new Broken(CUT_PREFIX);
    metaLength = int32At(head, 4);
    prefix = 8;
  }
  if (metaLength === 0) return 'end';
  if (metaLength < 0) return new Broken(`a message length of ${metaLength} bytes`);
  const room = left - prefix;
  if (metaLength > room) return new Broken(`a message of ${metaLength} metadata bytes, but only ${room} follow`);
  if (prefix + metaLength > head.byteLength) head = read(pos, prefix + metaLength);
  const meta = head.subarray(prefix, prefix + metaLength);
  if (meta.byteLength < metaLength) return new Broken(`a message of ${metaLength} metadata bytes, but only ${meta.byteLength} could be read`);
  let message: Message;
  try {
    message = Message.decode(meta);
  } catch {
    return new Broken('message metadata that does not decode');
  }
  const bodyLength = message.bodyLength;
  const bodyStart = pos + prefix + metaLength;
  if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) return new Broken(`a message body length of ${bodyLength} bytes`);
  if (bodyLength > limit - bodyStart) return new Broken(`a message body of ${bodyLength} bytes, but only ${limit - bodyStart} follow`);
  return { pos, message, meta, bodyStart, bodyLength, end: bodyStart + bodyLength };
}

/** A ReadBytes over bytes in memory. */
export const readerOf = (bytes: Uint8Array): ReadBytes => (from, length) => bytes.subarray(from, from + length);
