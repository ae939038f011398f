// The CSV form of a trace (docs/trace-format.md, "CSV"; src/trace/csv.ts, src/cli/convert.ts):
//
// - the header is read by name (columns in any order; unknown, missing or repeated ones
//   refused with one line), never by position;
// - Arrow → CSV → Arrow keeps what the Arrow form has — every metadata key and value, empty
//   epochs, comm_pages and immp_pages, the duration — so that every shipped trace replays
//   byte for byte the same after the round trip (`replay --algo all --json`);
// - convert refuses what replay would refuse (mem_pages beyond 2^30, also as a page 2^32 − 1,
//   duration_us before the last epoch, an output that is not .arrow), with the reader's rule.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { csvToArrow } from '../src/cli/convert.js';
import { MigreplayError } from '../src/errors.js';
import { fileSource } from '../src/io/files.js';
import { traceToCsv } from '../src/trace/csv.js';
import { bytesSource, openTrace, type Trace } from '../src/trace/read.js';
import { traceBytes, type TestEpoch } from './helpers.js';

// Each case runs the CLI (a Node start-up) one or more times: generous on a busy machine.
vi.setConfig({ testTimeout: 60_000 });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'migreplay.js');
let tmp = '';
const inTmp = (...p: string[]) => path.join(tmp, ...p);

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-csv-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const OPTS = { compression: 'none', form: 'file' } as const;

/** Epochs of a trace as [t_us, pages, comm?, immp?]. */
function epochsOf(t: Trace): TestEpoch[] {
  const out: TestEpoch[] = [];
  for (const b of t.batches()) {
    for (let i = 0; i < b.length; i++) {
      const e: TestEpoch = [b.tUs[i]!, [...b.pages.subarray(b.offsets[i]!, b.offsets[i + 1]!)]];
      if (b.comm) e[2] = [...b.comm.subarray(b.commOffsets![i]!, b.commOffsets![i + 1]!)];
      if (b.immp) e[3] = [...b.immp.subarray(b.immpOffsets![i]!, b.immpOffsets![i + 1]!)];
      out.push(e);
    }
  }
  return out;
}

/** Convert CSV text to an Arrow trace (in-process) and open it. */
async function fromCsv(text: string, opts: Parameters<typeof csvToArrow>[2] = OPTS, name = 'in.csv'): Promise<Trace> {
  const file = inTmp(name);
  fs.writeFileSync(file, text);
  const out = inTmp(name.replace(/\.csv$/, '.arrow'));
  await csvToArrow(file, out, opts);
  return openTrace(fileSource(out));
}

/** The MigreplayError of a CSV conversion; nothing must be written. */
async function csvError(text: string, opts: Parameters<typeof csvToArrow>[2] = OPTS, out = 'never.arrow'): Promise<MigreplayError> {
  const file = inTmp('bad.csv');
  fs.writeFileSync(file, text);
  try {
    await csvToArrow(file, inTmp(out), opts);
  } catch (e) {
    expect(e, String((e as Error)?.stack ?? e)).toBeInstanceOf(MigreplayError);
    expect((e as MigreplayError).message).not.toMatch(/[\r\n]/);
    expect(fs.existsSync(inTmp(out))).toBe(false);
    return e as MigreplayError;
  }
  throw new Error('expected the conversion to be refused');
}

const csvOf = (t: Trace, tIs: 'start' | 'end' = 'start'): string => [...traceToCsv(t, tIs)].join('');
const without = (csv: string) => csv.replace(/^#.*\n/gm, '');

/** The CLI, from `cwd`. */
function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the header is read by name', () => {
  const WANT: TestEpoch[] = [[0, [1, 5]], [100, [3]], [300, [2, 7]]];
  const rows = [[0, 0, 1], [0, 0, 5], [1, 100, 3], [2, 300, 2], [2, 300, 7]];
  const orders: string[][] = [['epoch', 't_us', 'page'], ['t_us', 'epoch', 'page'], ['page', 'epoch', 't_us'], ['page', 't_us', 'epoch'], ['t_us', 'page', 'epoch'], ['epoch', 'page', 't_us']];
  for (const order of orders) {
    it(`${order.join(',')}: the same trace`, async () => {
      const at = { epoch: 0, t_us: 1, page: 2 } as Record<string, number>;
      const text = `${order.join(',')}\n${rows.map((r) => order.map((c) => r[at[c]!]).join(',')).join('\n')}\n`;
      const t = await fromCsv(text, { ...OPTS, intervalUs: 100 });
      expect(epochsOf(t)).toEqual(WANT);
      expect(t.meta.memPages).toBe(8);
    });
  }

  it('without a header the columns are epoch,t_us,page', async () => {
    expect(epochsOf(await fromCsv('0,0,1\n0,0,5\n1,100,3\n2,300,2\n2,300,7\n', { ...OPTS, intervalUs: 100 }))).toEqual(WANT);
  });

  const COLS = '(a CSV trace has the columns epoch, t_us, page, and optionally comm, immp, in any order)';
  for (const [header, message] of [
    ['t_us,epoch,pages', `line 1: unknown column 'pages' ${COLS}`],
    ['epoch,t_us,page,extra', `line 1: unknown column 'extra' ${COLS}`],
    ['epoch,t_us', `line 1: the header has no 'page' column ${COLS}`],
    ['page,epoch', `line 1: the header has no 't_us' column ${COLS}`],
    ['epoch,t_us,page,page', "line 1: column 'page' named twice"],
  ] as const) {
    it(`'${header}' is refused: ${message}`, async () => {
      const e = await csvError(`${header}\n0,0,1\n`);
      expect(e.code).toBe('trace-rule');
      expect(e.message).toBe(`${inTmp('bad.csv')}: ${message}`);
    });
  }

  it('a row with the wrong number of fields, and fields that are not plain digits, are refused', async () => {
    expect((await csvError('epoch,t_us,page\n0,0\n')).message).toBe(`${inTmp('bad.csv')}: line 2: expected 3 fields 'epoch,t_us,page', got '0,0'`);
    expect((await csvError('t_us,page,epoch\n0,0x10,0\n')).message).toBe(`${inTmp('bad.csv')}: line 2: page '0x10' is not a whole number ≥ 0`);
    expect((await csvError('epoch,t_us,page\n0,1e3,1\n')).message).toBe(`${inTmp('bad.csv')}: line 2: t_us '1e3' is not a whole number ≥ 0`);
  });
});

describe('Arrow → CSV → Arrow keeps what the Arrow form has', () => {
  it('metadata (every key, values exactly, padded numbers, text with spaces and quotes), empty epochs and the duration', async () => {
    const epochs: TestEpoch[] = [[0, [1, 2]], [100, []], [200, [3]], [300, []], [400, []]];
    const bytes = traceBytes({
      memPages: 30754, pageSize: 4096, intervalUs: 100, durationUs: 523, source: 'pagemap-scan', workload: 'w: "quoted", spaced',
      description: 'ünïcode\nand a new line', extra: { 'capture.stopped_by': 'duration        ', 'x.empty': '', 'x.quote': '"q' },
    }, epochs);
    const original = openTrace(bytesSource('orig.arrow', bytes));
    const csv = csvOf(original);
    expect(csv).toContain('# mem_pages=30754\n');
    expect(csv).toContain('# capture.stopped_by="duration        "\n');
    expect(csv).toContain('1,100,\n'); // an empty epoch is one row without a page
    const back = await fromCsv(csv, OPTS, 'meta.csv');
    expect(back.meta.raw).toEqual(original.meta.raw);
    expect(Object.keys(back.meta.raw)).toEqual(Object.keys(original.meta.raw));
    expect(epochsOf(back)).toEqual(epochs);
    expect(back.summary).toEqual(original.summary);
    expect(csvOf(back)).toBe(csv); // and again, the same CSV
  });

  it('comm_pages and immp_pages are kept as 0/1 columns', async () => {
    const epochs: TestEpoch[] = [[0, [1, 2, 3], [2], [1, 3]], [50, [], [], []], [100, [4, 9], [4, 9], []]];
    const original = openTrace(bytesSource('ci.arrow', traceBytes({ memPages: 16, pageSize: 4096, intervalUs: 50, hasComm: true, hasImmp: true }, epochs)));
    const csv = csvOf(original);
    expect(without(csv)).toBe('epoch,t_us,page,comm,immp\n0,0,1,0,1\n0,0,2,1,0\n0,0,3,0,1\n1,50,,,\n2,100,4,1,0\n2,100,9,1,0\n');
    const back = await fromCsv(csv, OPTS, 'ci.csv');
    expect(epochsOf(back)).toEqual(epochs);
    expect(back.summary.hasComm && back.summary.hasImmp).toBe(true);
  });

  it('--t-is end: epoch ends, empty epochs included, read back as the same epochs', async () => {
    const epochs: TestEpoch[] = [[0, [2, 4]], [100, []], [250, [9]], [300, []]];
    const original = openTrace(bytesSource('end.arrow', traceBytes({ memPages: 16, pageSize: 4096, durationUs: 420 }, epochs)));
    const csv = csvOf(original, 'end');
    expect(without(csv)).toBe('epoch,t_us,page\n0,100,2\n0,100,4\n1,250,\n2,300,9\n3,420,\n');
    expect(csv).toContain('# csv.t_us=end\n');
    // csv.t_us says what t_us is: no --t-is needed to read it back, and a contradicting one is refused
    const back = await fromCsv(csv, OPTS, 'end.csv');
    expect(epochsOf(back)).toEqual(epochs);
    expect(back.summary.durationUs).toBe(420);
    const e = await csvError(csv, { ...OPTS, tIs: 'start' });
    expect(e.message).toBe(`${inTmp('bad.csv')}: its metadata says csv.t_us=end but --t-is says start: give one of them`);
  });

  it('--t-is end of a trace whose first epoch does not start at 0 is refused (the form cannot say it)', () => {
    const t = openTrace(bytesSource('late.arrow', traceBytes({ memPages: 16, pageSize: 4096, intervalUs: 10 }, [[50, [1]], [60, [2]]])));
    expect(() => csvOf(t, 'end')).toThrow("late.arrow: its first epoch starts at t_us = 50, which CSV times of epoch ends cannot say (the first epoch of --t-is end starts at 0): use --t-is start");
  });

  it('metadata a CSV line cannot carry is refused at Arrow → CSV', () => {
    const t = (extra: Record<string, string>) => openTrace(bytesSource('k.arrow', traceBytes({ memPages: 16, pageSize: 4096, intervalUs: 10, extra }, [[0, [1]]])));
    expect(() => csvOf(t({ 'csv.t_us': 'end' }))).toThrow("k.arrow: metadata key 'csv.t_us' is reserved for the CSV form (csv.*): keep the trace in Arrow");
    expect(() => csvOf(t({ 'a key': 'v' }))).toThrow('k.arrow: metadata key "a key" cannot be written as a CSV metadata line');
  });

  // Every shipped trace, by hand: for f in traces/*.arrow; do convert → csv → arrow; replay --algo all --json; cmp.
  for (const name of ['gzip9', 'redis_bench']) {
    it(`traces/${name}.arrow through CSV and back replays byte for byte the same (replay --algo all --json)`, () => {
      fs.mkdirSync(inTmp('rt', 'traces'), { recursive: true });
      const csv = inTmp('rt', `${name}.csv`);
      expect(cli(['convert', `traces/${name}.arrow`, csv]).status).toBe(0);
      const made = cli(['convert', csv, inTmp('rt', 'traces', `${name}.arrow`)]);
      expect(made.status, made.stderr).toBe(0);
      const before = cli(['replay', `traces/${name}.arrow`, '--algo', 'all', '--json']);
      const after = cli(['replay', `traces/${name}.arrow`, '--algo', 'all', '--json'], inTmp('rt'));
      expect(before.status, before.stderr).toBe(0);
      expect(after.status, after.stderr).toBe(0);
      expect(after.stdout.length).toBeGreaterThan(1000);
      expect(after.stdout).toBe(before.stdout);
      const a = openTrace(fileSource(path.join(ROOT, 'traces', `${name}.arrow`)));
      const b = openTrace(fileSource(inTmp('rt', 'traces', `${name}.arrow`)));
      expect(b.meta.raw).toEqual(a.meta.raw);
      // (the record batches differ: a capture writes one per second of trace, convert one per ~1 Mi pages)
      expect({ ...b.summary, maxBatchPages: 0 }).toEqual({ ...a.summary, maxBatchPages: 0 });
    }, 60_000);
  }
});

describe('CSV metadata lines', () => {
  const ROWS = 'epoch,t_us,page\n0,0,1\n1,100,2\n';
  it('become the Arrow metadata as they are (nothing else added but what options give, and mem_pages)', async () => {
    const t = await fromCsv(`# mem_pages=0000000064\n# workload="a b"\n# x.custom=kept\n${ROWS}`, { ...OPTS, intervalUs: 100 });
    expect(t.meta.raw).toEqual({ mem_pages: '0000000064', workload: 'a b', 'x.custom': 'kept', interval_us: '100' });
    expect(Object.keys(t.meta.raw)).toEqual(['mem_pages', 'workload', 'x.custom', 'interval_us']);
    expect(t.meta.memPages).toBe(64);
    const u = await fromCsv(`# workload=w\n${ROWS}`, { ...OPTS, intervalUs: 100 });
    expect(u.meta.raw).toEqual({ workload: 'w', mem_pages: '3', interval_us: '100' });
  });

  it('a plain CSV (no metadata lines) gets the metadata convert has always written', async () => {
    const t = await fromCsv(ROWS, { ...OPTS, intervalUs: 100 });
    expect(t.meta.raw).toEqual({ 'migreplay.schema': '1', page_size: '4096', mem_pages: '3', interval_us: '100', source: 'csv' });
  });

  it('an option that says the same as a line is fine; one that contradicts it is refused', async () => {
    expect((await fromCsv(`# mem_pages=64\n${ROWS}`, { ...OPTS, memPages: 64, intervalUs: 100 })).meta.memPages).toBe(64);
    expect((await csvError(`# mem_pages=64\n${ROWS}`, { ...OPTS, memPages: 1000 })).message).toBe(`${inTmp('bad.csv')}: its metadata says mem_pages=64 but --mem-pages says 1000: give one of them`);
    expect((await csvError(`# source=x\n${ROWS}`, { ...OPTS, source: 'y' })).message).toBe(`${inTmp('bad.csv')}: its metadata says source=x but --source says y: give one of them`);
  });

  for (const [text, message] of [
    [`# mem_pages 64\n${ROWS}`, "line 1: '# mem_pages 64' is not a metadata line '# key=value' (lines starting with # hold the trace's metadata, before the header)"],
    [`# note=a b\n${ROWS}`, 'line 1: the value of \'note\' has spaces or control characters: write it as a JSON string ("…")'],
    [`# note="a\n${ROWS}`, "line 1: the value of 'note' starts with a quote but is not one JSON string"],
    [`# mem_pages=64\n# mem_pages=65\n${ROWS}`, "line 2: metadata key 'mem_pages' given twice"],
    [`${ROWS}# mem_pages=64\n`, "line 4: a '#' line after the header or the first row (metadata lines come first)"],
    [`# csv.t_us=middle\n${ROWS}`, 'metadata csv.t_us=middle is not start or end'],
    [`# csv.other=1\n${ROWS}`, "unknown CSV metadata key 'csv.other' (the csv.* keys: csv.t_us)"],
    [`# mem_pages=lots\n${ROWS}`, "schema metadata 'mem_pages' = 'lots' is not an integer ≥ 1"],
    [`# migreplay.schema=2\n${ROWS}`, "trace schema version '2' is not supported (this build reads 1)"],
    [`# mem_pages=2\n${ROWS}`, 'page 2 ≥ mem_pages (2)'],
  ] as const) {
    it(`refused: ${message}`, async () => expect((await csvError(text, { ...OPTS, intervalUs: 100 })).message).toBe(`${inTmp('bad.csv')}: ${message}`));
  }
});

describe('rows', () => {
  it('an empty epoch is one row without a page; mixing it with page rows, or flags on it, is refused', async () => {
    expect(epochsOf(await fromCsv('epoch,t_us,page\n0,0,1\n1,100,\n2,200,3\n', { ...OPTS, intervalUs: 100 }))).toEqual([[0, [1]], [100, []], [200, [3]]]);
    expect((await csvError('epoch,t_us,page\n0,0,1\n0,0,\n')).message).toBe(`${inTmp('bad.csv')}: line 3: epoch 0 has a row without a page and rows with pages (an epoch that wrote nothing has one row, without a page)`);
    expect((await csvError('epoch,t_us,page,comm\n0,0,,1\n')).message).toBe(`${inTmp('bad.csv')}: line 2: a row without a page has comm '1' (an epoch that wrote nothing leaves page, comm and immp empty)`);
  });

  it('flags are 0 or 1, and one page has one set of flags', async () => {
    expect((await csvError('epoch,t_us,page,comm\n0,0,1,2\n')).message).toBe(`${inTmp('bad.csv')}: line 2: comm '2' is not 0 or 1`);
    expect((await csvError('epoch,t_us,page,comm\n0,0,1,1\n0,0,1,0\n')).message).toBe(`${inTmp('bad.csv')}: epoch 0 (from line 2): page 1 is listed twice with different comm/immp flags`);
    // repeated with the same flags: de-duplicated
    expect(epochsOf(await fromCsv('epoch,t_us,page,comm\n0,0,1,1\n0,0,1,1\n0,0,0,0\n', { ...OPTS, intervalUs: 10 }))).toEqual([[0, [0, 1], [1]]]);
  });
});

describe('convert refuses what replay would refuse', () => {
  const ROWS = 'epoch,t_us,page\n0,0,1\n1,100,2\n2,200,3\n';
  it('mem_pages 2^31 (--mem-pages), and 2^32 (a page 2^32 − 1): too-large, the reader\'s message', async () => {
    const big = await csvError(ROWS, { ...OPTS, memPages: 2 ** 31 });
    expect(big.code).toBe('too-large');
    expect(big.message).toBe(`${inTmp('bad.csv')}: mem_pages = 2147483648 is beyond what a replay can hold (at most 1073741824 pages in wasm32 memory)`);
    const page = await csvError('epoch,t_us,page\n0,0,4294967295\n1,100,1\n');
    expect(page.code).toBe('too-large');
    expect(page.message).toBe(`${inTmp('bad.csv')}: mem_pages = 4294967296 is beyond what a replay can hold (at most 1073741824 pages in wasm32 memory)`);
  });

  it('duration_us before (or at) the last epoch, from --duration-us or the CSV', async () => {
    expect((await csvError(ROWS, { ...OPTS, durationUs: 150 })).message).toBe(`${inTmp('bad.csv')}: duration_us = 150 does not lie after the last epoch (t_us = 200)`);
    expect((await csvError(ROWS, { ...OPTS, durationUs: 200 })).message).toBe(`${inTmp('bad.csv')}: duration_us = 200 does not lie after the last epoch (t_us = 200)`);
    expect((await csvError(`# duration_us=100\n${ROWS}`)).message).toBe(`${inTmp('bad.csv')}: duration_us = 100 does not lie after the last epoch (t_us = 200)`);
  });

  it('one epoch and neither duration nor interval', async () => {
    expect((await csvError('epoch,t_us,page\n0,0,1\n')).message).toBe(`${inTmp('bad.csv')}: one epoch and neither duration_us nor interval_us: the trace's length is unknown`);
  });

  it('through the CLI: an output that is not .arrow, and numbers that are not plain digits', () => {
    fs.writeFileSync(inTmp('ok.csv'), ROWS);
    const txt = cli(['convert', inTmp('ok.csv'), inTmp('x.txt')]);
    expect(txt.status).toBe(2);
    expect(txt.stderr).toBe(`migreplay: convert: give a .csv/.csv.gz and an .arrow file, or an Arrow trace and a .csv file (got ${inTmp('ok.csv')} → ${inTmp('x.txt')})\n`);
    expect(fs.existsSync(inTmp('x.txt'))).toBe(false);
    const hex = cli(['convert', inTmp('ok.csv'), inTmp('x.arrow'), '--mem-pages', '0x10']);
    expect(hex.status).toBe(2);
    expect(hex.stderr).toBe("migreplay: --mem-pages: '0x10' is not a whole number ≥ 1\n");
    const big = cli(['convert', inTmp('ok.csv'), inTmp('x.arrow'), '--mem-pages', '2147483648']);
    expect(big.status).toBe(2);
    expect(big.stderr).toBe(`migreplay: ${inTmp('ok.csv')}: mem_pages = 2147483648 is beyond what a replay can hold (at most 1073741824 pages in wasm32 memory)\n`);
    expect(fs.existsSync(inTmp('x.arrow'))).toBe(false);
  });
});
