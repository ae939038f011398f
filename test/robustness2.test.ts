// Robustness, round two (issue 21), end to end through the built CLI: the cases of the
// issue that test/robustness.test.ts and test/inputs.test.ts do not already hold, each
// made by a generator here (no large files in the repository), each with its exact message.
//
// - a disk that fills up part-way through an output: never a cut-off file at the final
//   name with exit 0, never a stack from a sweep's flush timer;
// - the same trace named twice, or by another spelling on --resume: no duplicate rows;
// - file names with a newline or terminal escapes: quoted in messages, still one line;
// - inputs that would hang (a FIFO with no writer, a batch claiming 2^31 nodes) or that
//   are too large for a sweep: one line, promptly;
// - no expected message anywhere holds raw JavaScript exception text.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Message, MessageHeader } from 'apache-arrow';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { ByteBuffer } from 'flatbuffers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, spawnCli, type Run } from './helpers/cli.js';

const GZIP9 = 'traces/gzip9.arrow';
const XZ6 = 'traces/xz6.arrow';
/** A sweep grid of 88 runs over both traces (qemu has no max-iters): its tables are tens of KiB. */
const GRID = ['--algo', 'precopy,xen,qemu', '--set', 'bandwidth=100Mbit,200Mbit,500Mbit,1Gbit', '--set', 'max-iters=5,10,20,30,40'];

let tmp = '';
const inTmp = (...parts: string[]) => path.join(tmp, ...parts);

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-robust2-'));
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every message a case below expects (after "migreplay: "), for the raw-JS-text check at the end. */
const EXPECTED: string[] = [];

/** Exit `status` (2 unless told), nothing on stdout, stderr exactly `migreplay: MESSAGE` on one line. */
function expectError(r: Run, message: string, status = 2): void {
  const what = `stderr: ${r.stderr}`;
  expect(r.status, what).toBe(status);
  expect(r.stdout, what).toBe('');
  expect(r.stderr, what).toBe(`migreplay: ${message}\n`);
  EXPECTED.push(message);
}

/** Temporary files an atomic write may leave in a folder (`.NAME.tmp-PID`). */
const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => /\.tmp-\d+$/.test(f));

// ---------------------------------------------------------------------------------------

describe('a disk that fills up part-way through an output', () => {
  // A small tmpfs with a few KiB left: an output's first write is cut short (a short
  // write, no error), the next one fails with ENOSPC. Needs root (tests run as root
  // here); elsewhere the tests say why they are skipped.
  const full = path.join(os.tmpdir(), `migreplay-nearly-full-${process.pid}`);
  const SIZE = 512 * 1024;
  const LEFT = 8 * 1024;
  let mounted = false;
  let why = '';

  /** Empty the file system, put `OLD` at `name`, and fill all but LEFT bytes. */
  function refill(name: string): string {
    for (const f of fs.readdirSync(full)) fs.rmSync(path.join(full, f), { force: true, recursive: true });
    const target = path.join(full, name);
    fs.writeFileSync(target, 'OLD');
    const free = (): number => { const s = fs.statfsSync(full); return s.bavail * s.bsize; };
    fs.writeFileSync(path.join(full, 'filler'), Buffer.alloc(Math.max(0, free() - LEFT)));
    return target;
  }

  const parts = () => inTmp('parts.arrow');

  beforeAll(async () => {
    fs.mkdirSync(full, { recursive: true });
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE}`, 'tmpfs', full], { encoding: 'utf8' });
    mounted = m.status === 0;
    if (!mounted) why = `cannot mount a small tmpfs (${(m.stderr || m.error?.message || 'mount failed').trim()}): run as root to test it`;
    const made = await Promise.all([
      cli(['sweep', '--trace', GZIP9, XZ6, ...GRID, '--out', parts()]),
      cli(['replay', XZ6, '--algo', 'all', '--out', inTmp('results.json')]),
    ]);
    for (const r of made) expect(r.status, r.stderr).toBe(0);
  }, 120_000);

  afterAll(() => {
    if (mounted) spawnSync('umount', [full]);
    fs.rmSync(full, { recursive: true, force: true });
  });

  // Each writes far more than LEFT bytes.
  const WRITERS: { name: string; file: string; args: (out: string) => string[] }[] = [
    { name: 'replay --out .json', file: 'x.json', args: (o) => ['replay', XZ6, '--algo', 'all', '--out', o] },
    { name: 'replay --plot .svg', file: 'x.svg', args: (o) => ['replay', XZ6, '--algo', 'precopy,xen', '--plot', o] },
    { name: 'inspect --plot .svg', file: 'i.svg', args: (o) => ['inspect', XZ6, '--plot', o] },
    { name: 'report', file: 'r.html', args: (o) => ['report', inTmp('results.json'), '--out', o] },
    { name: 'merge → .csv', file: 'm.csv', args: (o) => ['merge', parts(), '--out', o] },
    { name: 'merge → .jsonl', file: 'm.jsonl', args: (o) => ['merge', parts(), '--out', o] },
    { name: 'convert → .csv', file: 'c.csv', args: (o) => ['convert', XZ6, o] },
  ];

  for (const w of WRITERS) {
    it(`${w.name}: "no space left on the device", exit 1, the old file kept, no temporary file`, async (ctx) => {
      if (!mounted) return ctx.skip(why);
      const out = refill(w.file);
      const r = await cli(w.args(out));
      const lines = r.stderr.trimEnd().split('\n');
      for (const l of lines.slice(0, -1)) expect(l, w.name).toMatch(/^migreplay: warning: /);
      expect(lines.at(-1), r.stderr).toBe(`migreplay: ${out}: write failed (no space left on the device)`);
      EXPECTED.push(lines.at(-1)!.replace(/^migreplay: /, ''));
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(fs.readFileSync(out, 'utf8')).toBe('OLD');
      expect(leftovers(full)).toEqual([]);
    }, 120_000);
  }

  for (const ext of ['csv', 'jsonl', 'arrow', 'parquet']) {
    it(`sweep → .${ext}: one line and exit 1 (no stack from the flush timer); --resume finishes it once space is back`, async (ctx) => {
      if (!mounted) return ctx.skip(why);
      const out = refill(`s.${ext}`);
      fs.rmSync(out); // a sweep refuses to replace a file without --overwrite
      const args = ['sweep', '--trace', GZIP9, XZ6, ...GRID, '--out', out, '--jobs', '1'];
      // A process of its own: a throw from a timer would end it with a stack.
      const quiet = { env: { MIGREPLAY_PROGRESS_S: '3600' } }; // no progress line among the messages
      const r = await spawnCli(args, quiet);
      const written = ext === 'parquet' ? `${out}.partial.arrow` : out;
      expect(r.stderr, r.stderr).toBe(`migreplay: ${written}: write failed (no space left on the device)\n`);
      EXPECTED.push(r.stderr.trim().replace(/^migreplay: /, ''));
      expect(r.status).toBe(1);
      fs.rmSync(path.join(full, 'filler'));
      const again = await spawnCli([...args, '--resume'], quiet);
      expect(again.status, again.stderr).toBe(0);
      // Every run once: as many rows as the same grid run without trouble, no duplicate.
      const rows = async (file: string) => {
        const m = await cli(['merge', file, '--out', inTmp(`check-${ext}.csv`)]);
        expect(m.status, m.stderr).toBe(0);
        return /^merge: (\d+) rows × \d+ columns from 1 part → /.exec(m.stdout)?.[1];
      };
      expect(await rows(out)).toBe(await rows(parts()));
    }, 180_000);
  }
});

// ---------------------------------------------------------------------------------------

describe('one file named twice, or by another path on --resume: its rows once', () => {
  const abs = path.join(ROOT, GZIP9);
  const GRID4 = ['--algo', 'precopy,xen', '--set', 'bandwidth=100Mbit,200Mbit,500Mbit,1Gbit'];
  /** The runIds of a sweep's CSV output. */
  const ids = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]!);
  /** The trace column of a sweep's CSV output, distinct values. */
  const traceNames = (file: string) => [...new Set(fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1]!))];

  it('sweep --trace with the same file as given, ./-prefixed, absolute and through a symlink runs it once, named as given first', async () => {
    const link = inTmp('link.arrow');
    fs.symlinkSync(abs, link);
    const out = inTmp('twice.csv');
    const r = await cli(['sweep', '--trace', GZIP9, `./${GZIP9}`, abs, link, ...GRID4, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(ids(out)).toHaveLength(8);
    expect(new Set(ids(out)).size).toBe(8);
    expect(traceNames(out)).toEqual([GZIP9]);
  }, 60_000);

  it('sweep --resume by the absolute path of a trace the first run named relatively: the rest of the grid, no run twice', async () => {
    const out = inTmp('resumed.csv');
    const first = await cli(['sweep', '--trace', GZIP9, ...GRID4, '--out', out, '--shard', '0/2']);
    expect(first.status, first.stderr).toBe(0);
    const before = ids(out).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(8);
    const again = await cli(['sweep', '--trace', abs, ...GRID4, '--out', out, '--resume']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(`${8 - before} runs`);
    expect(ids(out)).toHaveLength(8);
    expect(new Set(ids(out)).size).toBe(8);
    expect(traceNames(out)).toEqual([GZIP9]);
  }, 60_000);

  it('report of one results file named twice charts it once', async () => {
    const results = inTmp('once.json');
    const made = await cli(['replay', GZIP9, '--algo', 'qemu,postcopy', '--out', results]);
    expect(made.status, made.stderr).toBe(0);
    const once = await cli(['report', results, '--out', inTmp('once.html')]);
    const twice = await cli(['report', results, path.join(tmp, '.', 'once.json'), '--out', inTmp('twice.html')]);
    expect(once.status, once.stderr).toBe(0);
    expect(twice.status, twice.stderr).toBe(0);
    const charts = (f: string) => fs.readFileSync(f, 'utf8').split('<figure class="chart"').length - 1;
    expect(charts(inTmp('twice.html'))).toBe(charts(inTmp('once.html')));
  }, 60_000);
});

// ---------------------------------------------------------------------------------------

describe('file names with a newline or terminal escapes stay inside their one line', () => {
  const NL = 'a\nb.arrow';
  const ESC = 'x\u001b[31mred.arrow';

  it('a missing file: quoted, its control characters escaped', async () => {
    expectError(await cli(['inspect', inTmp(NL)]), `'${inTmp('a\\nb.arrow')}': no such file`);
    expectError(await cli(['replay', inTmp(ESC), '--algo', 'precopy']), `'${inTmp('x\\x1b[31mred.arrow')}': no such file`);
    expectError(await cli(['inspect', "it's\ta.arrow"]), "'it\\'s\\ta.arrow': no such file");
  });

  it('a plain name is shown as it is', async () => {
    expectError(await cli(['inspect', inTmp('plain name.arrow')]), `${inTmp('plain name.arrow')}: no such file`);
  });

  it('a real trace under such a name: the warning and the table header quote it; --json keeps the name as it is', async () => {
    const file = inTmp('n\nl.arrow');
    fs.copyFileSync(path.join(ROOT, GZIP9), file);
    const t = await cli(['replay', file, '--algo', 'precopy']);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout.split('\n')[0]).toMatch(/^'.*n\\nl\.arrow': 446 pages/);
    expect(t.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(t.stderr).toMatch(/^migreplay: warning: '.*n\\nl\.arrow' is coarse/);
    const j = await cli(['replay', file, '--algo', 'precopy', '--json']);
    expect(JSON.parse(j.stdout).trace.path).toBe(file);
  });

  it("the reader's own messages (an empty file) and an output's stay one line, inert", async () => {
    const empty = inTmp('e\nmpty\u001b[2J.arrow');
    fs.writeFileSync(empty, '');
    expectError(await cli(['inspect', empty]), `${inTmp('e\\nmpty\\x1b[2J.arrow')}: empty file, not an Arrow IPC trace`);
    const out = inTmp('no-such-folder\n', 'o\u001b]0;title\u0007.json');
    expectError(await cli(['replay', GZIP9, '--algo', 'postcopy', '--out', out]),
      `'${inTmp('no-such-folder\\n', 'o\\x1b]0;title\\x07.json')}': cannot write (no such folder)`);
  });
});

// ---------------------------------------------------------------------------------------

/** The record batch messages of an IPC stream: where each one's metadata flatbuffer starts, and its length. */
function batchMessages(bytes: Buffer): { metaStart: number; metaLength: number }[] {
  const out: { metaStart: number; metaLength: number }[] = [];
  let pos = 0;
  while (pos + 8 <= bytes.length && bytes.readInt32LE(pos) === -1 && bytes.readInt32LE(pos + 4) > 0) {
    const metaLength = bytes.readInt32LE(pos + 4);
    const m = Message.decode(bytes.subarray(pos + 8, pos + 8 + metaLength));
    if (m.headerType === MessageHeader.RecordBatch) out.push({ metaStart: pos + 8, metaLength });
    pos += 8 + metaLength + Number(m.bodyLength);
  }
  return out;
}

/** base-stream.arrow with the count of record batch 0's field nodes (vtable slot 6) or buffers (slot 8) set to `count`. */
function claimingEntries(slot: 6 | 8, count: number): Buffer {
  const bytes = fs.readFileSync(path.join(ROOT, 'test/fixtures/bad/base-stream.arrow'));
  const b0 = batchMessages(bytes)[0]!;
  const rb = FbMessage.getRootAsMessage(new ByteBuffer(bytes.subarray(b0.metaStart, b0.metaStart + b0.metaLength))).header(new FbRecordBatch()) as FbRecordBatch;
  const vector = rb.bb!.__vector(rb.bb_pos + rb.bb!.__offset(rb.bb_pos, slot));
  const out = Buffer.from(bytes);
  out.writeUInt32LE(count >>> 0, b0.metaStart + vector - 4);
  return out;
}

describe('inputs that would hang: an answer, one line, promptly', () => {
  for (const [what, slot] of [['field nodes', 6], ['buffers', 8]] as const) {
    for (const count of [2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 10 ** 6]) {
      it(`a record batch claiming ${count} ${what}`, async () => {
        const file = inTmp(`claims-${slot}-${count}.arrow`);
        fs.writeFileSync(file, claimingEntries(slot, count));
        const message = `${file}: batch 0: cannot decode (message metadata that does not decode); the trace is truncated or corrupt`;
        expectError(await spawnCli(['inspect', file]), message);
        expectError(await cli(['replay', file, '--algo', 'precopy']), message);
      }, 60_000);
    }
  }

  it('a FIFO that no program opens for writing is refused after a bounded wait (exit 2), by inspect and replay', async () => {
    const fifo = inTmp('no-writer.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const message = `${fifo}: a FIFO that no program wrote to within 10 s: start its writer first, or give a file`;
    // Processes of their own (the wait is synchronous); the run's own timeout says whether it answered.
    const [i, r] = await Promise.all([spawnCli(['inspect', fifo]), spawnCli(['replay', fifo, '--algo', 'precopy'])]);
    expectError(i, message);
    expectError(r, message);
  }, 90_000);

  it('a FIFO whose writer starts a little later is read whole', async () => {
    const fifo = inTmp('late-writer.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const run = spawnCli(['inspect', fifo, '--json']);
    await new Promise((r) => setTimeout(r, 1500));
    const writer = spawnSync('sh', ['-c', `cat '${path.join(ROOT, GZIP9)}' > '${fifo}'`], { timeout: 60_000 });
    expect(writer.status).toBe(0);
    const r = await run;
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).epochs).toBe(400);
  }, 90_000);
});

// ---------------------------------------------------------------------------------------

/**
 * base-stream.arrow (a valid 12-epoch stream) with `pad` bytes of padding after its last
 * record batch's buffers (its bodyLength grown to match): still a valid trace, and a
 * sparse file, so a 2 GiB or 5 GB stream costs a few KiB of disk.
 */
function paddedStream(file: string, pad: number): void {
  const bytes = fs.readFileSync(path.join(ROOT, 'test/fixtures/bad/base-stream.arrow'));
  const last = batchMessages(bytes).at(-1)!;
  const out = Buffer.from(bytes);
  const m = FbMessage.getRootAsMessage(new ByteBuffer(out.subarray(last.metaStart, last.metaStart + last.metaLength)));
  const body = Number(m.bodyLength());
  out.writeBigInt64LE(BigInt(body + pad), last.metaStart + m.bb_pos + m.bb!.__offset(m.bb_pos, 10)); // Message.bodyLength
  const cut = last.metaStart + last.metaLength + body;
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, out, 0, cut, 0);
  fs.writeSync(fd, out, cut, out.length - cut, cut + pad); // the end-of-stream marker, after a hole
  fs.closeSync(fd);
}

describe('traces of 2 GiB and more', () => {
  it('a valid stream of 2 GiB (one record batch of 2 GiB) is inspected and swept', async () => {
    const file = inTmp('two-gib.arrow');
    paddedStream(file, 2 ** 31 + 4096);
    expect(fs.statSync(file).size).toBeGreaterThan(2 ** 31);
    const i = await spawnCli(['inspect', file, '--json']);
    expect(i.status, i.stderr).toBe(0);
    expect(JSON.parse(i.stdout).epochs).toBe(12);
    const out = inTmp('two-gib.csv');
    const s = await spawnCli(['sweep', '--trace', file, '--algo', 'precopy,postcopy', '--out', out]);
    expect(s.status, s.stderr).toBe(0);
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(3);
    fs.rmSync(file);
  }, 300_000);

  it('a sparse 5 GB file of zeros: "not an Arrow IPC file", by inspect and sweep, at once', async () => {
    const file = inTmp('sparse-5gb.arrow');
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, 5e9);
    const message = `${file}: not an Arrow IPC file or stream (no schema message)`;
    expectError(await cli(['inspect', file]), message);
    expectError(await spawnCli(['sweep', '--trace', file, '--algo', 'precopy', '--out', inTmp('sparse.csv')]), message);
    expect(fs.existsSync(inTmp('sparse.csv'))).toBe(false);
    fs.rmSync(file);
  }, 120_000);

  it('a 5 GB stream (one record batch of 5 GB): refused in one line by inspect, and by sweep for its size', async () => {
    const file = inTmp('five-gb.arrow');
    paddedStream(file, 5e9);
    const size = fs.statSync(file).size;
    const bytes = fs.readFileSync(path.join(ROOT, 'test/fixtures/bad/base-stream.arrow'));
    const last = batchMessages(bytes).at(-1)!;
    const body = Number(FbMessage.getRootAsMessage(new ByteBuffer(bytes.subarray(last.metaStart, last.metaStart + last.metaLength))).bodyLength());
    expectError(await cli(['inspect', file]),
      `${file}: a message of ${body + 5e9} bytes at byte ${last.metaStart + last.metaLength}: more than the 4 GiB one read can hold; write the trace in smaller record batches`);
    expectError(await spawnCli(['sweep', '--trace', file, '--algo', 'precopy', '--out', inTmp('five.csv')]),
      `${file}: ${size} bytes; a sweep holds each trace in memory, at most 4 GiB: downsample it (migreplay convert --downsample) or replay it alone`);
    fs.rmSync(file);
  }, 120_000);

  it('sweep over a FIFO holding a whole trace reads it (not "empty file")', async () => {
    const fifo = inTmp('sweep.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const out = inTmp('fifo-sweep.csv');
    const run = spawnCli(['sweep', '--trace', fifo, '--algo', 'precopy', '--out', out]);
    const writer = spawnSync('sh', ['-c', `cat '${path.join(ROOT, GZIP9)}' > '${fifo}'`], { timeout: 60_000 });
    expect(writer.status).toBe(0);
    const r = await run;
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
  }, 90_000);
});

// ---------------------------------------------------------------------------------------

describe('CSV inputs with one enormous line', () => {
  // (A 1.1 GB line took 48 s to refuse, its gzip bomb 158 s: the open line was rescanned
  // per chunk. Now it is refused once 64 MiB are read; the time is not asserted here.)
  const LINE = 200e6;

  it('a plain CSV whose second line is 200 MB long: one line, exit 2, no output', async () => {
    const file = inTmp('long-line.csv');
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, 'epoch,t_us,page\n0,0,');
    const block = Buffer.alloc(1 << 24, 0x31);
    for (let n = 0; n < LINE; n += block.byteLength) fs.writeSync(fd, block);
    fs.writeSync(fd, '\n');
    fs.closeSync(fd);
    expectError(await cli(['convert', file, inTmp('long-line.arrow')]), `${file}: a line longer than 64 MiB: not a CSV trace`);
    expect(fs.existsSync(inTmp('long-line.arrow'))).toBe(false);
    fs.rmSync(file);
  }, 120_000);

  it('a gzip bomb of one such line: the same, after reading only what it must', async () => {
    const file = inTmp('bomb.csv.gz');
    const body = Buffer.concat([Buffer.from('epoch,t_us,page\n0,0,'), Buffer.alloc(LINE, 0x31), Buffer.from('\n')]);
    fs.writeFileSync(file, zlib.gzipSync(body, { level: 1 }));
    expect(fs.statSync(file).size).toBeLessThan(LINE / 100);
    expectError(await cli(['convert', file, inTmp('bomb.arrow')]), `${file}: a line longer than 64 MiB: not a CSV trace`);
    expect(fs.existsSync(inTmp('bomb.arrow'))).toBe(false);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------

/** Raw JavaScript exception text: what a message must never show a user. */
const RAW_JS = [
  /Cannot read propert/, /Cannot set propert/, /is not a function/, /is not iterable/, /is not defined/, /\bundefined\b/,
  /\b(Type|Range|Syntax|Reference)Error\b/, /\[object \w+\]/, /\bNaN\b/, /\bERR_[A-Z_]+\b/, /Invalid typed array/, /Maximum call stack/,
  /It must be >= /, /Unexpected token/, /\bat .*\.(js|ts|mjs):\d+/,
];

describe('no expected message holds raw JavaScript exception text', () => {
  const rawIn = (message: string) => RAW_JS.filter((re) => re.test(message)).map(String);

  it('the patterns catch what the issue saw', () => {
    for (const seen of [
      "Cannot read properties of undefined (reading 'offsets')",
      'The value of "length" is out of range. It must be >= 0. Received -2146435072',
      'Invalid typed array length: undefined',
      'Maximum call stack size exceeded',
      'TypeError: x is not a function',
    ]) expect(rawIn(seen), seen).not.toEqual([]);
    expect(rawIn('traces/x.arrow: batch 3: page 7 ≥ mem_pages (64)')).toEqual([]);
  });

  it('in this file (every case above that ran)', (ctx) => {
    if (EXPECTED.length === 0) return ctx.skip('no case above ran (a -t filter)');
    for (const m of EXPECTED) expect(rawIn(m), m).toEqual([]);
  });

  it('in the bad-trace corpus (test/fixtures/bad/expected.json)', () => {
    const fixtures = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/bad/expected.json'), 'utf8')).fixtures as Record<string, { message?: string }>;
    const messages = Object.values(fixtures).map((f) => f.message).filter((m): m is string => Boolean(m));
    expect(messages.length).toBeGreaterThan(50);
    for (const m of messages) expect(rawIn(m), m).toEqual([]);
  });

  it('in the message column of every table of docs/errors.md', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
    const shapes = [...doc.matchAll(/^\| `[a-z-]+`[^|]* \| (.+?) \| [^|]*\|$/gm)].flatMap((m) => [...m[1]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!));
    expect(shapes.length).toBeGreaterThan(80);
    for (const m of shapes) expect(rawIn(m), m).toEqual([]);
  });
});
