// Inputs that are not plain, whole files, end to end through the built CLI: a gzip'd CSV cut
// short or not gzip at all, a FIFO that holds a whole trace (read, not called empty),
// /dev/zero (refused after its first bytes, not read forever), a stream with a second schema
// (refused by convert too), and option values read strictly (--resume-ms, --bandwidth).
// Each gives one line on stderr and exit 2, never an internal error.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Each case runs the CLI (a Node start-up) one or more times: generous on a busy machine.
vi.setConfig({ testTimeout: 60_000 });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'migreplay.js');
const GZIP9 = 'traces/gzip9.arrow';
let tmp = '';
const inTmp = (...p: string[]) => path.join(tmp, ...p);

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-inputs-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

interface Run { status: number | null; stdout: string; stderr: string }

function cli(args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI while another process writes `bytes` into the FIFO `fifo` (opened by a writer only once the CLI opens it for reading). */
async function cliWithFifo(args: string[], fifo: string, bytes: Buffer): Promise<Run> {
  fs.rmSync(fifo, { force: true });
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // Opening a FIFO for writing blocks until a reader opens it: do it off the main thread.
  const writer = new Promise<void>((resolve, reject) => {
    const w = fs.createWriteStream(fifo);
    w.on('error', reject);
    w.end(bytes, () => resolve());
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  await writer;
  return { status, stdout, stderr };
}

/** Exit 2, nothing on stdout, exactly one line: `migreplay: MESSAGE`. */
function expectError(r: Run, message: string | RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).not.toMatch(/internal error|^\s+at /);
  if (typeof message === 'string') expect(lines[0]).toBe(`migreplay: ${message}`);
  else expect(lines[0]).toMatch(message);
}

const CSV = 'epoch,t_us,page\n' + Array.from({ length: 2000 }, (_, i) => `${i >> 4},${(i >> 4) * 100},${(i * 7) % 500}`).join('\n') + '\n';

describe('gzip\'d CSV inputs', () => {
  it('a whole .csv.gz converts', () => {
    fs.writeFileSync(inTmp('whole.csv.gz'), zlib.gzipSync(CSV));
    const r = cli(['convert', inTmp('whole.csv.gz'), inTmp('whole.arrow'), '--interval-us', '100']);
    expect(r.status, r.stderr).toBe(0);
  });

  it('a .csv.gz cut short: one line, exit 2, no output', () => {
    const gz = zlib.gzipSync(CSV);
    for (const cut of [20, gz.byteLength >> 1, gz.byteLength - 4]) {
      fs.writeFileSync(inTmp('cut.csv.gz'), gz.subarray(0, cut));
      expectError(cli(['convert', inTmp('cut.csv.gz'), inTmp('never.arrow')]), `${inTmp('cut.csv.gz')}: the gzip data stops short (unexpected end of file); the file is truncated: redo the copy or the compression`);
    }
    expect(fs.existsSync(inTmp('never.arrow'))).toBe(false);
  });

  it('a .csv.gz that is not gzip (a plain CSV), and one with damaged data', () => {
    fs.writeFileSync(inTmp('plain.csv.gz'), CSV);
    expectError(cli(['convert', inTmp('plain.csv.gz'), inTmp('never.arrow')]), `${inTmp('plain.csv.gz')}: not gzip data (a .gz input must be gzip-compressed; name a plain CSV .csv)`);
    const gz = Buffer.from(zlib.gzipSync(CSV));
    for (let i = 20; i < gz.byteLength - 8; i += 7) gz[i] ^= 0x5a;
    fs.writeFileSync(inTmp('damaged.csv.gz'), gz);
    expectError(cli(['convert', inTmp('damaged.csv.gz'), inTmp('never.arrow')]), /^migreplay: .*damaged\.csv\.gz: (corrupt gzip data; the file is damaged: redo the copy or the compression|the gzip data stops short .*)$/);
  });

  it('an Arrow trace named .csv is not text: one line', () => {
    fs.copyFileSync(path.join(ROOT, GZIP9), inTmp('trace.csv'));
    expectError(cli(['convert', inTmp('trace.csv'), inTmp('never.arrow')]), `${inTmp('trace.csv')}: not a text file (it holds NUL bytes): a CSV trace is text`);
  });
});

describe('FIFOs and devices', () => {
  it('a FIFO holding a whole trace is read: inspect and replay say what they say of the file', async () => {
    const bytes = fs.readFileSync(path.join(ROOT, GZIP9));
    const fromFile = cli(['inspect', GZIP9, '--json']);
    expect(fromFile.status, fromFile.stderr).toBe(0);
    const fromFifo = await cliWithFifo(['inspect', inTmp('trace.fifo'), '--json'], inTmp('trace.fifo'), bytes);
    expect(fromFifo.status, fromFifo.stderr).toBe(0);
    const a = JSON.parse(fromFile.stdout);
    const b = JSON.parse(fromFifo.stdout);
    expect({ ...b, path: '' }).toEqual({ ...a, path: '' });
    const replayFile = cli(['replay', GZIP9, '--algo', 'precopy,xen', '--json']);
    const replayFifo = await cliWithFifo(['replay', inTmp('trace.fifo'), '--algo', 'precopy,xen', '--json'], inTmp('trace.fifo'), bytes);
    expect(replayFifo.status, replayFifo.stderr).toBe(0);
    expect(JSON.parse(replayFifo.stdout).results).toEqual(JSON.parse(replayFile.stdout).results);
  }, 60_000);

  it('a FIFO holding a CSV converts (it is read once, into memory)', async () => {
    const r = await cliWithFifo(['convert', inTmp('rows.csv'), inTmp('fifo.arrow'), '--interval-us', '100'], inTmp('rows.csv'), Buffer.from(CSV));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(`${inTmp('fifo.arrow')}: 125 epochs, 2000 page writes\n`);
  });

  it('/dev/zero is refused as not an Arrow trace, at once (bounded), by inspect and replay', () => {
    for (const cmd of [['inspect', '/dev/zero'], ['replay', '/dev/zero', '--algo', 'precopy']]) {
      const started = Date.now();
      expectError(cli(cmd), '/dev/zero: not an Arrow IPC file or stream (no schema message)');
      expect(Date.now() - started).toBeLessThan(20_000);
    }
  });

  it('/dev/zero as a CSV is refused as not text, at once', () => {
    fs.symlinkSync('/dev/zero', inTmp('zero.csv'));
    expectError(cli(['convert', inTmp('zero.csv'), inTmp('never.arrow')]), `${inTmp('zero.csv')}: not a text file (it holds NUL bytes): a CSV trace is text`);
  });

  it('an empty regular file is still "empty file"', () => {
    fs.writeFileSync(inTmp('empty.arrow'), '');
    expectError(cli(['inspect', inTmp('empty.arrow')]), `${inTmp('empty.arrow')}: empty file, not an Arrow IPC trace`);
  });
});

describe('a second schema message is refused by every command, convert too', () => {
  it('convert (to CSV and --downsample) of the corpus file with a second schema', () => {
    const file = 'test/fixtures/bad/second-schema-float64.arrow';
    const message = `${file}: a second schema message after 3 record batches (a trace has one schema, at its start)`;
    expectError(cli(['convert', file, inTmp('never.csv')]), message);
    expectError(cli(['convert', file, inTmp('never.arrow'), '--downsample', '2']), message);
  });
});

describe('option values are read strictly', () => {
  it('--resume-ms takes a plain decimal number: 0x10, " 5" and Infinity are refused', () => {
    for (const v of ['0x10', ' 5', 'Infinity', '5ms']) expectError(cli(['replay', GZIP9, '--algo', 'precopy', '--resume-ms', v]), `--resume-ms: '${v}' is not a number of milliseconds ≥ 0`);
    expectError(cli(['replay', GZIP9, '--algo', 'precopy', '--resume-ms=']), '--resume-ms needs a value');
  });

  it('--bandwidth: Mb/s is bits, MB/s and MBps bytes; mb is refused', () => {
    const rate = (v: string) => JSON.parse(cli(['replay', GZIP9, '--algo', 'precopy', '--bandwidth', v, '--json']).stdout).link.bandwidthBytesPerS;
    expect(rate('100Mb/s')).toBe(12.5e6);
    expect(rate('100Mbit')).toBe(12.5e6);
    expect(rate('100MBps')).toBe(100e6);
    expect(rate('100MB/s')).toBe(100e6);
    expectError(cli(['replay', GZIP9, '--algo', 'precopy', '--bandwidth', '100mb']), /^migreplay: --bandwidth: '100mb' is ambiguous: rates in bits are bit, kbit, Mbit, Gbit, Tbit /);
  });

  it('a size with a bare prefix is refused: --stop-bytes 1M', () => {
    expectError(cli(['replay', GZIP9, '--algo', 'precopy', '--stop-bytes', '1M']), /^migreplay: --stop-bytes: '1M' is ambiguous: sizes are B, kB, MB, GB, TB \(powers of 1000\) or KiB, MiB, GiB, TiB \(powers of 1024\)/);
  });
});
