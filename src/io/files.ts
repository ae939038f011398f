// Node file access: trace bytes from disk, and outputs written whole or not at all
// (to a temporary name in the same folder, then renamed).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail } from '../errors.js';
import type { ByteSource } from '../trace/read.js';

function describe(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a folder, not a file';
    case 'ENOSPC': return 'no space left on the device';
    case 'EROFS': return 'read-only file system';
    default: return e.message.split('\n')[0]!;
  }
}

function openForReading(file: string): number {
  try {
    const fd = fs.openSync(file, 'r');
    if (fs.fstatSync(fd).isDirectory()) {
      fs.closeSync(fd);
      fail('file-unreadable', `${file}: is a folder, not a trace file`);
    }
    return fd;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (!err.code) throw e;
    return fail(err.code === 'ENOENT' ? 'file-missing' : 'file-unreadable', `${file}: ${describe(err)}`);
  }
}

/** A ByteSource reading a file in chunks; memory stays bounded whatever its size. */
export function fileSource(file: string, chunkSize = 1 << 22): ByteSource {
  const probe = openForReading(file);
  const size = fs.fstatSync(probe).size;
  fs.closeSync(probe);
  const readFrom = (fd: number, from: number, length: number): Uint8Array => {
    const buf = new Uint8Array(Math.max(0, Math.min(length, size - from)));
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    return got === buf.length ? buf : buf.subarray(0, got);
  };
  // No descriptor is held between reads: a pass abandoned half-way (a replay that ends
  // before the trace does) must not leak one.
  const read = (from: number, length: number): Uint8Array => {
    const fd = openForReading(file);
    try {
      return readFrom(fd, from, length);
    } finally {
      fs.closeSync(fd);
    }
  };
  return {
    name: file,
    size,
    read,
    *chunks(from) {
      // A fresh buffer per chunk: decoded batches may keep views into it.
      for (let at = from; at < size; at += chunkSize) yield read(at, chunkSize);
    },
  };
}

/** An output file written under a temporary name and renamed into place on commit. */
export class AtomicFile {
  private fd = -1;
  private readonly tmp: string;
  private done = false;

  constructor(readonly file: string) {
    this.tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
    try {
      this.fd = fs.openSync(this.tmp, 'w');
    } catch (e) {
      return fail('write-failed', `${file}: cannot write (${describe(e as NodeJS.ErrnoException)})`, 2);
    }
    ACTIVE.add(this);
  }

  /** Append bytes. */
  write(chunk: Uint8Array | string): void {
    try {
      if (typeof chunk === 'string') fs.writeSync(this.fd, chunk);
      else for (let at = 0; at < chunk.byteLength; ) at += fs.writeSync(this.fd, chunk, at, chunk.byteLength - at);
    } catch (e) {
      this.abort();
      fail('write-failed', `${this.file}: write failed (${describe(e as NodeJS.ErrnoException)})`, 1);
    }
  }

  /** Flush to disk and move the file into place. */
  commit(): void {
    try {
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      fs.renameSync(this.tmp, this.file);
    } catch (e) {
      this.abort();
      fail('write-failed', `${this.file}: cannot finish writing (${describe(e as NodeJS.ErrnoException)})`, 1);
    }
    this.done = true;
    ACTIVE.delete(this);
  }

  /** Drop the temporary file; the old output, if any, stays. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    ACTIVE.delete(this);
    try { fs.closeSync(this.fd); } catch { /* already closed */ }
    try { fs.unlinkSync(this.tmp); } catch { /* already gone */ }
  }
}

const ACTIVE = new Set<AtomicFile>();

/** Remove every unfinished output (on an error or a signal). */
export function abortAllOutputs(): void {
  for (const f of [...ACTIVE]) f.abort();
}

/** Write a whole text or byte output atomically. */
export function writeFileAtomic(file: string, content: Uint8Array | string): void {
  const out = new AtomicFile(file);
  out.write(content);
  out.commit();
}

/** Fail early, before any work, if `file` cannot be written: its folder must exist and be a folder. */
export function checkWritable(file: string): void {
  const dir = path.dirname(path.resolve(file));
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    return fail('write-failed', `${file}: cannot write (${describe(e as NodeJS.ErrnoException).replace('no such file', 'no such folder')})`);
  }
  if (!st.isDirectory()) fail('write-failed', `${file}: cannot write (${dir} is not a folder)`);
}
