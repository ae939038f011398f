// A table file appended to batch by batch (sweep outputs): each append() is one write and
// an fsync, so a kill leaves the batches before it whole. Arrow: an IPC stream (schema,
// one record batch per append, the end marker at close); CSV: a header, then lines;
// JSONL: one object per line. Formats written whole go through an Arrow sidecar (src/sweep).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Schema } from 'apache-arrow';
import { fail, MigreplayError } from '../../errors.js';
import { describe, ensureFolderOf } from '../files.js';
import { EOS } from '../ipc.js';
import { arrowSchema, encodeStreamParts } from './arrow.js';
import { csvHeader, csvRow } from './csv.js';
import { jsonRow } from './jsonl.js';
import type { Column, Row } from './types.js';

/** The formats a file can be appended in. */
export type AppendFormat = 'arrow' | 'csv' | 'jsonl';

/** A table file appended to batch by batch (see above). */
export class AppendWriter {
  private fd = -1;
  private readonly schema?: Schema;
  private closed = false;
  /** Rows written through this writer. */
  written = 0;

  /**
   * Open `file` for appending. `keepBytes` of it are kept (a resumed file's whole
   * part); with 0 the file is started afresh (header or schema first).
   */
  constructor(readonly file: string, readonly format: AppendFormat, readonly columns: readonly Column[], metadata: Map<string, string>, keepBytes = 0) {
    if (format === 'arrow') this.schema = arrowSchema(columns, metadata);
    try {
      if (keepBytes === 0) ensureFolderOf(file);
      this.fd = fs.openSync(file, keepBytes > 0 ? 'r+' : 'w');
      if (keepBytes > 0) fs.ftruncateSync(this.fd, keepBytes);
    } catch (e) {
      if (e instanceof MigreplayError) throw e;
      return fail('write-failed', `${file}: cannot write (${describe(e as NodeJS.ErrnoException)})`);
    }
    if (keepBytes === 0) {
      if (format === 'arrow') this.writeSync(encodeStreamParts(this.schema!, columns, []).schema);
      else if (format === 'csv') this.writeSync(csvHeader(columns));
      this.sync();
      syncDir(file);
    }
  }

  private position(): number {
    return fs.fstatSync(this.fd).size;
  }

  private writeSync(chunk: Uint8Array | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let at = 0;
    let pos = this.position();
    try {
      while (at < bytes.byteLength) {
        const n = fs.writeSync(this.fd, bytes, at, bytes.byteLength - at, pos);
        at += n;
        pos += n;
      }
    } catch (e) {
      fail('write-failed', `${this.file}: write failed (${describe(e as NodeJS.ErrnoException)})`, 1);
    }
  }

  private sync(): void {
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      fail('write-failed', `${this.file}: fsync failed (${describe(e as NodeJS.ErrnoException)})`, 1);
    }
  }

  /** Append rows as one batch (one Arrow record batch, or lines) and fsync. */
  append(rows: readonly Row[]): void {
    if (rows.length === 0) return;
    if (this.format === 'arrow') this.writeSync(encodeStreamParts(this.schema!, this.columns, rows).batch);
    else if (this.format === 'csv') this.writeSync(rows.map((r) => csvRow(this.columns, r)).join(''));
    else this.writeSync(rows.map((r) => jsonRow(this.columns, r)).join(''));
    this.sync();
    this.written += rows.length;
  }

  /** End the file (Arrow: the end-of-stream marker) and close it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.format === 'arrow') this.writeSync(EOS);
    this.sync();
    fs.closeSync(this.fd);
  }

  /** Close without the end marker (an interrupted sweep: --resume continues the file). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    try { fs.closeSync(this.fd); } catch { /* already closed */ }
  }
}

function syncDir(file: string): void {
  try {
    const fd = fs.openSync(path.dirname(path.resolve(file)), 'r');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  } catch {
    /* not every platform can fsync a folder */
  }
}
