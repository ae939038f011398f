// The file a capture writes: an Arrow IPC *stream* that is a valid trace after every
// committed batch, so a capture stopped any way at all — Ctrl-C, SIGTERM, the
// target's exit, even SIGKILL or a crash of migreplay — leaves the epochs it had
// committed readable.
//
// Why not AtomicFile (src/io/files.ts): it renames a finished file into place, so a
// capture killed half-way would leave nothing. Here:
// - Until the first batch is committed, bytes go to a temporary name beside the
//   output (an older file of that name stays untouched if the capture fails early).
//   The first commit writes the schema and the first batch, fsyncs, and renames the
//   file into place; later batches are appended to it, each followed by fdatasync.
// - Metadata that is only known as the capture goes on (mem_pages, duration_us, how
//   it stopped) sits in the schema message at the start of the file. The schema is
//   written with placeholders of fixed width, found once, and overwritten in place
//   at each commit with values padded to the same width (mem_pages "0000012345",
//   duration_us "0000000002031337", stopped_by "target-exit     "): Arrow metadata
//   values are strings, and the padded numbers parse as the same integers.
// - Each commit first rewrites those values (mem_pages only grows, duration_us moves
//   to the end of the new batch's last epoch), syncs, then appends the batch and
//   syncs again: a kill between the two leaves valid metadata over the old batches.
// - close() appends the end-of-stream marker. A stream without one (a killed
//   capture) is still read to its last whole batch.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail, MigreplayError } from '../errors.js';

/** A metadata value rewritten in place: its placeholder text and its fixed width. */
export interface PatchField {
  placeholder: string;
  /** Format a value to exactly placeholder.length characters. */
  format: (value: number | string) => string;
}

/** Zero-padded integers (they parse as the same number). */
export const zeroPadded = (width: number) => (v: number | string) => {
  const s = String(Math.round(Number(v)));
  if (s.length > width || !/^\d+$/.test(s)) throw new Error(`metadata value ${v} does not fit ${width} digits`);
  return s.padStart(width, '0');
};

/** Text padded with spaces on the right. */
export const spacePadded = (width: number) => (v: number | string) => String(v).slice(0, width).padEnd(width, ' ');

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT': return 'no such folder';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a folder';
    case 'ENOSPC': return 'no space left on the device';
    case 'EROFS': return 'read-only file system';
    default: return String(err.message ?? e).split('\n')[0]!;
  }
}

/** An append-only Arrow stream output, valid after each commit. */
export class CaptureFile {
  private fd = -1;
  private readonly tmp: string;
  private placed = false;
  private closed = false;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private offsets = new Map<string, number>();
  private values = new Map<string, string>();
  /** Bytes committed to the file. */
  size = 0;

  constructor(readonly file: string, private readonly fields: Record<string, PatchField>) {
    this.tmp = path.join(path.dirname(file), `.${path.basename(file)}.capture-${process.pid}`);
    try {
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) fail('write-failed', `${file}: is a folder, not a file`);
      this.fd = fs.openSync(this.tmp, 'w');
    } catch (e) {
      if (e instanceof MigreplayError) throw e;
      fail('write-failed', `${file}: cannot write (${describe(e)})`, 2);
    }
  }

  /** Whether any batch made it to the file under its name. */
  get committed(): boolean {
    return this.placed;
  }

  /** Bytes from the trace writer, kept until the next commit. */
  write(chunk: Uint8Array): void {
    this.pending.push(chunk.slice());
    this.pendingBytes += chunk.byteLength;
  }

  /** Set the value of a patched field (written at the next commit). */
  set(key: string, value: number | string): void {
    const f = this.fields[key];
    if (!f) throw new Error(`no patched metadata field '${key}'`);
    this.values.set(key, f.format(value));
  }

  private take(): Uint8Array {
    const out = new Uint8Array(this.pendingBytes);
    let at = 0;
    for (const c of this.pending) {
      out.set(c, at);
      at += c.byteLength;
    }
    this.pending = [];
    this.pendingBytes = 0;
    return out;
  }

  // The placeholders lie in the schema message, which the first commit holds: each
  // must occur exactly once, as a flatbuffer string (u32 length, then the bytes).
  private locate(bytes: Uint8Array): void {
    for (const [key, f] of Object.entries(this.fields)) {
      const needle = new Uint8Array(4 + f.placeholder.length);
      new DataView(needle.buffer).setUint32(0, f.placeholder.length, true);
      needle.set(new TextEncoder().encode(f.placeholder), 4);
      let found = -1;
      for (let i = 0; i + needle.length <= bytes.length; i++) {
        let j = 0;
        while (j < needle.length && bytes[i + j] === needle[j]) j++;
        if (j < needle.length) continue;
        if (found >= 0) throw new Error(`metadata placeholder for '${key}' occurs twice in the schema`);
        found = i + 4;
      }
      if (found < 0) throw new Error(`metadata placeholder for '${key}' not found in the schema`);
      this.offsets.set(key, found);
    }
  }

  private io<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      return fail('write-failed', `${this.file}: ${what} failed (${describe(e)})`, 1);
    }
  }

  /** Write the pending bytes and the current field values durably. */
  commit(): void {
    if (this.closed) throw new Error('capture file already closed');
    if (!this.placed) {
      const bytes = this.take();
      this.locate(bytes);
      for (const [key, value] of this.values) bytes.set(new TextEncoder().encode(value), this.offsets.get(key)!);
      this.io('write', () => this.writeAll(bytes, this.size));
      this.size += bytes.byteLength;
      this.io('sync', () => fs.fdatasyncSync(this.fd));
      this.io('rename', () => fs.renameSync(this.tmp, this.file));
      this.placed = true;
      this.syncFolder();
      return;
    }
    for (const [key, value] of this.values) {
      const at = this.offsets.get(key)!;
      this.io('write', () => this.writeAll(new TextEncoder().encode(value), at));
    }
    if (this.pendingBytes === 0) {
      this.io('sync', () => fs.fdatasyncSync(this.fd));
      return;
    }
    this.io('sync', () => fs.fdatasyncSync(this.fd));
    const bytes = this.take();
    this.io('write', () => this.writeAll(bytes, this.size));
    this.size += bytes.byteLength;
    this.io('sync', () => fs.fdatasyncSync(this.fd));
  }

  /** Commit and close. */
  close(): void {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    this.io('close', () => fs.closeSync(this.fd));
  }

  /** Give up: before the first commit the temporary file is removed (the output
   * is untouched); after it, the file keeps its committed batches. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    try { fs.closeSync(this.fd); } catch { /* already closed */ }
    if (!this.placed) {
      try { fs.unlinkSync(this.tmp); } catch { /* already gone */ }
    }
  }

  private writeAll(bytes: Uint8Array, position: number): void {
    for (let at = 0; at < bytes.byteLength; ) at += fs.writeSync(this.fd, bytes, at, bytes.byteLength - at, position + at);
  }

  private syncFolder(): void {
    try {
      const dfd = fs.openSync(path.dirname(this.file), 'r');
      try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
    } catch { /* some file systems cannot sync a folder; the rename itself is done */ }
  }
}
