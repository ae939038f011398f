// Outputs that must not destroy what they name: an input, the other output, a device or FIFO;
// and the sweep's refusals before planning (--algo all,…, a grid too large to build).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from './helpers/cli.js';

const TRACE = path.join(ROOT, 'traces', 'gzip9.arrow');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-outputs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function copyTrace(name: string): { file: string; bytes: Buffer } {
  const file = path.join(tmp, name);
  fs.copyFileSync(TRACE, file);
  return { file, bytes: fs.readFileSync(file) };
}

/** One clear line on stderr, exit status 2. */
function refused(r: { status: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.status).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('an output that is an input', () => {
  it('sweep --trace t.arrow --out t.arrow --overwrite refuses and keeps the trace', async () => {
    const { file, bytes } = copyTrace('s1.arrow');
    const r = await cli(['sweep', '--trace', file, '--algo', 'precopy', '--out', file, '--overwrite', '--jobs', '1']);
    refused(r, /--out .*s1\.arrow: is also an input; writing it would destroy that input/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('sweep: the same file through a symlink, and as --rounds-out', async () => {
    const { file, bytes } = copyTrace('s2.arrow');
    const link = path.join(tmp, 's2-link.arrow');
    fs.symlinkSync(file, link);
    refused(await cli(['sweep', '--trace', file, '--algo', 'precopy', '--out', link, '--overwrite']), /--out .*s2-link\.arrow: is also an input \(.*s2\.arrow\)/);
    refused(await cli(['sweep', '--trace', file, '--algo', 'precopy', '--out', path.join(tmp, 'r.arrow'), '--rounds-out', file, '--overwrite']), /--rounds-out .*s2\.arrow: is also an input/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('sweep: a hard link to the trace is refused (same device and inode)', async () => {
    const { file, bytes } = copyTrace('s3.arrow');
    const hard = path.join(tmp, 's3-hard.arrow');
    fs.linkSync(file, hard);
    refused(await cli(['sweep', '--trace', file, '--algo', 'precopy', '--out', hard, '--overwrite']), /is also an input/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('merge a.arrow --out a.arrow refuses and keeps a.arrow', async () => {
    const { file, bytes } = copyTrace('m1.arrow');
    refused(await cli(['merge', file, '--out', file]), /--out .*m1\.arrow: is also an input; writing it would destroy that input/);
    refused(await cli(['merge', file, '--out', path.relative(ROOT, file)]), /is also an input/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('checkNotAnInput, for replay (t.arrow, t.json as both input and output)', async () => {
    const files = (await import(pathToFileURL(path.join(ROOT, 'dist', 'io', 'files.js')).href)) as typeof import('../src/io/files.js');
    const { file } = copyTrace('u1.arrow');
    expect(() => files.checkNotAnInput(file, [file])).toThrow(/is also an input/);
    const json = path.join(tmp, 'u1.json');
    expect(() => files.checkNotAnInput(json, [json])).toThrow(/is also an input/); // not there yet: by path
    expect(() => files.checkNotAnInput(path.join(tmp, 'other.json'), [file])).not.toThrow();
    expect(() => files.checkNotAnInput('/dev/null', ['/dev/null'])).not.toThrow();
  });
});

describe('--out and --rounds-out', () => {
  it('naming the same file (through a symlink) is refused', async () => {
    const out = path.join(tmp, 'same.csv');
    fs.writeFileSync(out, 'old\n');
    const link = path.join(tmp, 'same-link.csv');
    fs.symlinkSync(out, link);
    const r = await cli(['sweep', '--trace', TRACE, '--algo', 'precopy', '--out', out, '--rounds-out', link, '--overwrite', '--jobs', '1']);
    refused(r, /--rounds-out .*same-link\.csv: is the same file as --out .*same\.csv: name another file/);
    expect(fs.readFileSync(out, 'utf8')).toBe('old\n');
  });
});

describe('outputs that are not regular files', () => {
  it('gen --out /dev/null writes into the device and leaves it a character device', async () => {
    const r = await cli(['gen', 'uniform', '--duration', '1s', '--out', '/dev/null']);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(fs.readdirSync('/dev').some((n) => n.startsWith('.null.tmp-'))).toBe(false);
  });

  it('gen --out FIFO writes into the FIFO (read concurrently), which stays a FIFO', async () => {
    const fifo = path.join(tmp, 'pipe.arrow');
    const copy = path.join(tmp, 'from-pipe.arrow');
    const mk = spawn('mkfifo', [fifo]);
    await new Promise((res) => mk.on('close', res));
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
    const reader = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', fifo, copy]);
    const readerDone = new Promise((res) => reader.on('close', res));
    const r = await cli(['gen', 'uniform', '--duration', '1s', '--out', fifo]);
    expect(r.status, r.stderr).toBe(0);
    await readerDone;
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
    expect(fs.statSync(copy).size).toBeGreaterThan(0);
    expect((await cli(['inspect', copy])).status).toBe(0);
    expect(fs.readdirSync(tmp).some((n) => n.includes('.tmp-'))).toBe(false);
  });
});

describe('sweep refusals before planning', () => {
  it("--algo all,precopy: 'all' stands alone", async () => {
    refused(await cli(['sweep', '--trace', TRACE, '--algo', 'all,precopy', '--out', path.join(tmp, 'a.csv'), '--dry-run']), /^migreplay: --algo: 'all' stands alone \(it means every algorithm\)$/);
  });

  it('a 10^10-run grid is refused with its size, not planned (dry run)', async () => {
    const r = await cli(['sweep', '--trace', TRACE, '--algo', 'precopy', '--set', 'bandwidth=1Mbit..100000Mbit+1Mbit', '--set', 'resume-ms=1..100000+1', '--out', path.join(tmp, 'g.csv'), '--dry-run']);
    refused(r, /sweep: the grid has 10000000000 runs, more than the 10000000 this build will plan/);
  });
});

describe('replay refusals before any work', () => {
  it('--out or --plot naming the trace itself is refused and the trace kept', async () => {
    const { file, bytes } = copyTrace('own.arrow');
    refused(await cli(['replay', file, '--algo', 'postcopy', '--out', file]), /^migreplay: --out .*own\.arrow: is also an input; writing it would destroy that input: name another file$/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it("--algo all,precopy: 'all' stands alone", async () => {
    refused(await cli(['replay', TRACE, '--algo', 'all,precopy']), /^migreplay: --algo: 'all' stands alone \(it means every algorithm\)$/);
  });
});
