// Node file access: trace bytes from disk, and outputs written whole or not at all
// (to a temporary name in the same folder, then renamed).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail, MigreplayError, quoteName } from '../errors.js';
import type { ByteSource } from '../trace/read.js';
import { pipeSource } from './pipe-source.js';

/** A system error (ENOENT, EACCES, ENOSPC, …) in words, for messages. */
export function describe(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a folder, not a file';
    case 'ENOSPC': return 'no space left on the device';
    case 'EROFS': return 'read-only file system';
    case 'ENOTDIR': return 'a part of the path is a file, not a folder';
    case 'EEXIST': return 'a part of the path is a file, not a folder'; // mkdir -p through a file
    default: return String(e?.message ?? e).split('\n')[0]!;
  }
}

function openForReading(file: string): number {
  try {
    // Non-blocking: a FIFO without a writer would block the open for ever (src/io/pipe-source.ts waits, bounded).
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    if (fs.fstatSync(fd).isDirectory()) {
      fs.closeSync(fd);
      fail('file-unreadable', `${quoteName(file)}: is a folder, not a trace file`);
    }
    return fd;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (!err.code || e instanceof MigreplayError) throw e;
    return fail(err.code === 'ENOENT' ? 'file-missing' : 'file-unreadable', `${quoteName(file)}: ${describe(err)}`);
  }
}

/** The most bytes one read returns: a Uint8Array's limit. */
const MAX_READ_BYTES = 2 ** 32;

/** A ByteSource reading a file in chunks; memory stays bounded whatever its size. */
export function fileSource(file: string, chunkSize = 1 << 22): ByteSource {
  const probe = openForReading(file);
  const stat = fs.fstatSync(probe);
  if (!stat.isFile()) return pipeSource(file, probe); // a FIFO or device: read once, bounded (src/io/pipe-source.ts)
  const size = stat.size;
  fs.closeSync(probe);
  const readFrom = (fd: number, from: number, length: number): Uint8Array => {
    const want = Math.max(0, Math.min(length, size - from));
    if (want > MAX_READ_BYTES) {
      fail('too-large', `${quoteName(file)}: a message of ${want} bytes at byte ${from}: more than the 4 GiB one read can hold; write the trace in smaller record batches`);
    }
    const buf = new Uint8Array(want);
    let got = 0;
    while (got < buf.length) {
      // readSync takes at most 2^31 − 1 bytes at a time: a batch of 2 GiB is read in parts.
      const n = fs.readSync(fd, buf, got, Math.min(buf.length - got, 1 << 30), from + got);
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
  /** True when `file` is an existing device, FIFO or socket (or a link to one): written in place, no temporary file. */
  readonly direct: boolean;

  constructor(readonly file: string) {
    this.tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
    notAFolder(file);
    this.direct = isSpecialFile(file);
    try {
      // A rename would replace the node (/dev/null, a FIFO) by a regular file: write into it instead.
      this.fd = fs.openSync(this.direct ? file : this.tmp, 'w');
    } catch (e) {
      return fail('write-failed', `${quoteName(file)}: cannot write (${describe(e as NodeJS.ErrnoException).replace('no such file', 'no such folder')})`, 2);
    }
    ACTIVE.add(this);
    if (signalsWanted) installSignalHandlers();
  }

  /** The descriptor of the temporary file (for a worker thread that writes into it). */
  get descriptor(): number {
    return this.fd;
  }

  /** Abort, and fail as a write that went wrong with this system error (ENOSPC, …) does. */
  failed(e: NodeJS.ErrnoException): never {
    this.abort();
    return fail('write-failed', `${quoteName(this.file)}: write failed (${describe(e)})`, 1);
  }

  /** Append bytes (text as UTF-8). */
  write(chunk: Uint8Array | string): void {
    // A short write (the device filling up) returns what it wrote: go on until all is
    // written or the next write fails (ENOSPC). Text as bytes: a string write is not resumable.
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    try {
      for (let at = 0; at < bytes.byteLength; ) at += fs.writeSync(this.fd, bytes, at, bytes.byteLength - at);
    } catch (e) {
      this.failed(e as NodeJS.ErrnoException);
    }
  }

  /** Flush to disk and move the file into place. */
  commit(): void {
    try {
      if (this.direct) fs.closeSync(this.fd); // no fsync (EINVAL on /dev/null, a FIFO), no rename
      else {
        fs.fsyncSync(this.fd);
        fs.closeSync(this.fd);
        fs.renameSync(this.tmp, this.file);
      }
    } catch (e) {
      this.abort();
      fail('write-failed', `${quoteName(this.file)}: cannot finish writing (${describe(e as NodeJS.ErrnoException)})`, 1);
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
    if (this.direct) return; // a device or FIFO: what was written is gone already, nothing to remove
    try { fs.unlinkSync(this.tmp); } catch { /* already gone */ }
  }
}

const ACTIVE = new Set<AtomicFile>();

// In the CLI a signal while an output is open removes its temporary file before exiting.
// The handlers are installed with the first output, not at start-up: a JS signal handler
// runs only when the event loop gets control, so while one is installed a long
// synchronous computation (a replay) would hold SIGTERM back until it ends. Without
// one, the signal ends the process at once (nothing to clean up yet). Long writers
// keep the loop free: gen writes from a worker thread, convert yields between chunks.
let signalsWanted = false;
let signalsHandled = false;

/**
 * For the CLI: from now on the first output opened installs SIGINT/SIGTERM handlers that
 * remove every unfinished output and exit (130/143). Library code never gets them.
 */
export function cleanUpOutputsOnSignals(): void {
  signalsWanted = true;
  if (ACTIVE.size > 0) installSignalHandlers();
}

function installSignalHandlers(): void {
  if (signalsHandled) return;
  signalsHandled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      abortAllOutputs();
      process.stderr.write(`migreplay: interrupted (${signal}); no output was left half-written\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Fail (exit 2) when the output path is an existing folder: found before any work, not at the rename. */
function notAFolder(file: string): void {
  let folder = false;
  try {
    folder = fs.statSync(file).isDirectory();
  } catch {
    // missing (the usual case) or unreadable: opening the temporary file reports it
  }
  if (folder) fail('write-failed', `${quoteName(file)}: cannot write (is a folder, not a file)`);
}

/** Remove every unfinished output (on an error or a signal). */
export function abortAllOutputs(): void {
  for (const f of [...ACTIVE]) f.abort();
}

/** Create the folder an output goes into (and its parents), or fail as an output that cannot be created. */
export function ensureFolderOf(file: string): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  } catch (e) {
    fail('write-failed', `${quoteName(file)}: cannot write (${describe(e as NodeJS.ErrnoException)})`);
  }
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
    return fail('write-failed', `${quoteName(file)}: cannot write (${describe(e as NodeJS.ErrnoException).replace('no such file', 'no such folder')})`);
  }
  if (!st.isDirectory()) fail('write-failed', `${quoteName(file)}: cannot write (${quoteName(dir)} is not a folder)`);
  notAFolder(file);
}

/** Whether `file` exists and is (or a symlink resolves to) a device, FIFO or socket: not a regular file nor a folder. */
export function isSpecialFile(file: string): boolean {
  try {
    const st = fs.statSync(file);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false;
  }
}

/** A file's identity (device and inode), or undefined when it cannot be seen (then reading it reports why). */
export function fileIdentity(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** `files` with each file named a second time (by another path, through a link) left out: inputs are read once. */
export function distinctFiles(files: readonly string[]): string[] {
  const seen = new Set<string>();
  return files.filter((f) => {
    const id = fileIdentity(f) ?? `name:${path.resolve(f)}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** A path with its symlinks resolved; for a file that does not exist yet, its folder's (when that exists). */
function realPathOf(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(path.resolve(file))), path.basename(file));
    } catch {
      return path.resolve(file);
    }
  }
}

/**
 * Fail (exit 2, before any work) when the output `output` is one of the command's inputs:
 * the same resolved real path, or, when it exists, the same device and inode (a hard link).
 * Writing it would destroy the input. A character device (/dev/null) may be both.
 */
export function checkNotAnInput(output: string, inputs: readonly string[], option = '--out'): void {
  let outStat: fs.Stats | undefined;
  try { outStat = fs.statSync(output); } catch { /* not there yet */ }
  if (outStat?.isCharacterDevice()) return;
  const outReal = realPathOf(output);
  for (const input of inputs) {
    let same = realPathOf(input) === outReal;
    if (!same && outStat) {
      try {
        const st = fs.statSync(input);
        same = st.dev === outStat.dev && st.ino === outStat.ino;
      } catch { /* a missing input is reported when it is read */ }
    }
    if (same) {
      const also = path.resolve(input) === path.resolve(output) ? '' : ` (${quoteName(input)})`;
      fail('usage', `${option} ${quoteName(output)}: is also an input${also}; writing it would destroy that input: name another file`);
    }
  }
}

/** Fail (exit 2) when two outputs are the same file (by resolved real path, or device and inode). */
export function checkDistinctOutputs(a: string, aOption: string, b: string, bOption: string): void {
  let same = realPathOf(a) === realPathOf(b);
  if (!same) {
    try {
      const sa = fs.statSync(a);
      const sb = fs.statSync(b);
      same = sa.dev === sb.dev && sa.ino === sb.ino && !sa.isCharacterDevice();
    } catch { /* one does not exist yet: different paths are different files */ }
  } else if (isSpecialFile(a) && fs.statSync(a).isCharacterDevice()) same = false;
  if (same) fail('usage', `${bOption} ${quoteName(b)}: is the same file as ${aOption} ${quoteName(a)}: name another file`);
}
