// The records the capture helper (native/capture/) streams over its pipe, and an
// incremental parser for them. docs/capture.md ("Helper protocol") is the reference.
//
// Every record: a 16-byte header — 4 ASCII type bytes, u32 flags (0), u64 payload
// length, little-endian — then the payload.
//   HELO  text (key=value lines): protocol version, source, page size, pid, t0 …
//   NUMB  n × (u64 first vpn, u32 first page, u32 count, u32 pid, u32 0): page numbers assigned
//   EPOC  u64 t_start_us, u64 t_end_us, u64 mem_pages, u32 npages, u32 scan_us,
//         u32 rss_pages, u32 flags, then npages × u32 pages (ascending, distinct)
//   PROC  text: pid, ppid, comm, event (start, exec, exit, end), writes, first_epoch
//   NOTE  text: message=…            a warning for the user
//   FAIL  text: code=…, message=…    the helper gives up (it exits next)
//   DONE  text: stopped_by=…, totals  the capture ended cleanly

/** The protocol version this side reads. */
export const PROTOCOL_VERSION = 2;

/** EPOC flags. */
export const EPOCH_FLAGS = { final: 1, exec: 2, huge: 4 } as const;

export interface HelloRecord { type: 'HELO'; fields: Record<string, string> }
export interface NumberingRecord { type: 'NUMB'; extents: { vpn: number; page: number; count: number; pid: number }[] }
/** A recorded process, as it is now. */
export interface ProcessRecord { type: 'PROC'; pid: number; ppid: number; comm: string; event: string; writes: number; firstEpoch: number }
export interface EpochRecord {
  type: 'EPOC';
  tStartUs: number;
  tEndUs: number;
  memPages: number;
  scanUs: number;
  rssPages: number;
  flags: number;
  pages: Uint32Array;
}
export interface NoteRecord { type: 'NOTE'; message: string }
export interface FailRecord { type: 'FAIL'; code: string; message: string }
export interface DoneRecord { type: 'DONE'; fields: Record<string, string> }
export type HelperRecord = HelloRecord | NumberingRecord | ProcessRecord | EpochRecord | NoteRecord | FailRecord | DoneRecord;

const HEADER = 16;
const EPOCH_HEAD = 40;
const TEXT = new TextDecoder();

/** Parse a key=value text payload. */
export function parseFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return fields;
}

/** A protocol violation: the helper and this side disagree. */
export class ProtocolError extends Error {}

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError(`value ${v} out of range`);
  return Number(v);
}

function decode(type: string, payload: Uint8Array): HelperRecord {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  switch (type) {
    case 'HELO':
    case 'DONE':
      return { type, fields: parseFields(TEXT.decode(payload)) };
    case 'NOTE':
      return { type, message: parseFields(TEXT.decode(payload)).message ?? '' };
    case 'FAIL': {
      const f = parseFields(TEXT.decode(payload));
      return { type, code: f.code ?? 'failed', message: f.message ?? 'the capture helper failed' };
    }
    case 'NUMB': {
      if (payload.byteLength % 24) throw new ProtocolError(`NUMB payload of ${payload.byteLength} bytes`);
      const extents = [];
      for (let at = 0; at < payload.byteLength; at += 24) {
        extents.push({ vpn: u64(view, at), page: view.getUint32(at + 8, true), count: view.getUint32(at + 12, true), pid: view.getUint32(at + 16, true) });
      }
      return { type, extents };
    }
    case 'PROC': {
      const f = parseFields(TEXT.decode(payload));
      return { type, pid: Number(f.pid), ppid: Number(f.ppid ?? 0), comm: f.comm ?? '?', event: f.event ?? '', writes: Number(f.writes ?? 0), firstEpoch: Number(f.first_epoch ?? 0) };
    }
    case 'EPOC': {
      if (payload.byteLength < EPOCH_HEAD) throw new ProtocolError(`EPOC payload of ${payload.byteLength} bytes`);
      const n = view.getUint32(24, true);
      if (payload.byteLength !== EPOCH_HEAD + 4 * n) throw new ProtocolError(`EPOC with ${n} pages in ${payload.byteLength} bytes`);
      const pages = new Uint32Array(n);
      for (let i = 0; i < n; i++) pages[i] = view.getUint32(EPOCH_HEAD + 4 * i, true);
      return {
        type, tStartUs: u64(view, 0), tEndUs: u64(view, 8), memPages: u64(view, 16),
        scanUs: view.getUint32(28, true), rssPages: view.getUint32(32, true), flags: view.getUint32(36, true), pages,
      };
    }
    default:
      throw new ProtocolError(`unknown record type '${type.replace(/[^\x20-\x7e]/g, '?')}'`);
  }
}

/** Turns the helper's byte stream, in chunks of any size, into records. */
export class RecordParser {
  private buf = new Uint8Array(1 << 16);
  private start = 0;
  private end = 0;

  /** Bytes received but not yet part of a whole record. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  /** Add bytes; returns the records they complete. */
  push(chunk: Uint8Array): HelperRecord[] {
    this.append(chunk);
    const out: HelperRecord[] = [];
    for (;;) {
      const have = this.end - this.start;
      if (have < HEADER) break;
      const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.start, HEADER);
      const len = u64(view, 8);
      if (have < HEADER + len) break;
      const type = TEXT.decode(this.buf.subarray(this.start, this.start + 4));
      const payload = this.buf.subarray(this.start + HEADER, this.start + HEADER + len);
      out.push(decode(type, payload));
      this.start += HEADER + len;
    }
    if (this.start === this.end) this.start = this.end = 0;
    return out;
  }

  private append(chunk: Uint8Array): void {
    if (this.end + chunk.byteLength > this.buf.byteLength) {
      const live = this.end - this.start;
      const size = Math.max(this.buf.byteLength, (live + chunk.byteLength) * 2);
      if (size > this.buf.byteLength) {
        const next = new Uint8Array(size);
        next.set(this.buf.subarray(this.start, this.end), 0);
        this.buf = next;
      } else {
        this.buf.copyWithin(0, this.start, this.end);
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.byteLength;
  }
}
