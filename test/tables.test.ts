// The table formats (src/io/tables/): one CSV reader and writer, one JSON Lines reader,
// Arrow stream and file, Parquet, JSON; the same torn-row rules for sweep --resume, merge
// and report; and the sweep's steps seen from outside (progress, interruption, internal
// failures). Library calls in process; the sweep's workers run the built dist/.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAlgorithm } from '../src/algorithms/index.js';
import { MigreplayError } from '../src/errors.js';
import { ipcFrames } from '../src/io/tables/arrow.js';
import { csvFields, csvFormat, csvRecord, csvRecords, readCsv } from '../src/io/tables/csv.js';
import { jsonlFormat } from '../src/io/tables/jsonl.js';
import { encodeTable, formatOf, FORMAT_IDS, readTable, writeTable, type Column, type Format, type Row } from '../src/io/tables/index.js';
import { resultsCsv, type ResultsDocument } from '../src/output/results.js';
import { readReportInput } from '../src/report/inputs.js';
import { knownColumns } from '../src/sweep/columns.js';
import { runFailure } from '../src/sweep/execute.js';
import { expandGrid } from '../src/sweep/grid.js';
import { progressRenderer } from '../src/sweep/progress.js';
import { runSweep, type SweepProgress } from '../src/sweep/run.js';
import { startCli } from './helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GZIP9 = path.join(ROOT, 'traces/gzip9.arrow');
let dir: string;
const inDir = (name: string) => path.join(dir, name);

beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-tables-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const COLUMNS: Column[] = [
  { name: 'runId', type: 'utf8' },
  { name: 'note', type: 'utf8' },
  { name: 'x', type: 'float64' },
  { name: 'n', type: 'int32' },
  { name: 'ok', type: 'bool' },
];
const AWKWARD = ['carriage\rreturn', 'crlf\r\nin a cell', 'new\nline', 'a "quote"', 'comma, here', '', ' spaced ', 'plain', 'ünïcödé ✓'];
const ROWS: Row[] = AWKWARD.map((note, i) => ({ runId: `r${i}`, note, x: i / 3, n: i, ok: i % 2 === 0 }));
const META = new Map([['migreplay.table', 'runs']]);

describe('one CSV reader and writer', () => {
  it('splits records with RFC 4180 quoting: commas, doubled quotes, \\r\\n and newlines inside quotes', () => {
    const records = csvRecords('a,b,c\n1,"x, ""y""",3\r\n4,"two\nlines",\n');
    expect(records.map((r) => r.fields)).toEqual([['a', 'b', 'c'], ['1', 'x, "y"', '3'], ['4', 'two\nlines', null]]);
    expect(csvRecords('a,b\n1,2').map((r) => r.fields)).toEqual([['a', 'b']]); // no newline: not a whole record
  });

  it('a cell holding \\r, \\r\\n, \\n, quotes or commas round-trips, the empty string stays apart from null', () => {
    for (const v of [...AWKWARD, null]) {
      const line = csvRecord(['k', v]);
      expect(csvRecords(line).map((r) => r.fields), JSON.stringify(v)).toEqual([['k', v]]);
    }
    const text = encodeTableText('csv');
    const back = readCsv('t.csv', Buffer.from(text), { known: COLUMNS });
    expect(back.rows).toEqual(ROWS);
    expect(back.tornBytes).toBe(0);
  });

  it("replay --out CSV quotes a \\r (a trace path with one reads back whole)", () => {
    const doc = { trace: { path: 'odd\rname.arrow' }, results: [{ algorithm: 'precopy', pagesSent: 1, bytesSent: 4096, totalTimeS: 0.5, downtimeMs: null, iterations: 1, overheadRatio: 1, stopReason: 'done', wrapped: false, rounds: [], params: { a: 'x,y' } }] } as unknown as ResultsDocument;
    const table = readCsv('r.csv', Buffer.from(resultsCsv(doc)));
    expect(table.rows).toHaveLength(1);
    expect(table.rows[0]!.trace).toBe('odd\rname.arrow');
    expect(table.rows[0]!.params).toBe('{"a":"x,y"}');
    expect(table.rows[0]!.downtimeMs).toBe('null');
  });

  it('the trace CSV reader (convert) uses the same tokenizer for a line', () => {
    expect(csvFields('0,100,17')).toEqual(['0', '100', '17']);
    expect(csvFields('0,"100",')).toEqual(['0', '100', '']);
    expect(csvFields('"a,b",c')).toEqual(['a,b', 'c']);
  });
});

function encodeTableText(format: 'csv' | 'jsonl'): string {
  return (format === 'csv' ? csvFormat : jsonlFormat).encode(COLUMNS, ROWS, META) as string;
}

describe('every format round-trips a table', () => {
  for (const format of FORMAT_IDS) {
    it(format, async () => {
      const file = inDir(`round.${format === 'arrow' ? 'arrow' : format}`);
      expect(formatOf(file)).toBe(format);
      await writeTable(file, format, COLUMNS, ROWS, META);
      const back = await readTable(file, format, { known: COLUMNS });
      expect(back.rows).toEqual(ROWS);
      expect(back.columns.map((c) => c.name)).toEqual(COLUMNS.map((c) => c.name));
      expect(back.tornBytes).toBe(0);
      if (['arrow', 'feather', 'parquet'].includes(format)) expect(back.metadata.get('migreplay.table')).toBe('runs');
    });
  }

  it('an unknown extension is one usage error naming every format', () => {
    expect(() => formatOf('x.txt')).toThrow("--out: 'x.txt' must end in .arrow, .parquet, .csv, .jsonl, .json or .feather (no extension: Arrow)");
    expect(formatOf('noext')).toBe('arrow');
    expect(() => formatOf('noext', '--out', ['json', 'csv', 'arrow'])).toThrow("--out: 'noext' must end in .json, .csv or .arrow");
  });
});

describe('torn rows are treated the same by sweep --resume, merge and report', () => {
  const sweepRows = expandGrid([GZIP9], [findAlgorithm('precopy')!], []).map((r) => ({ runId: r.runId, trace: r.trace, algorithm: r.algorithm, totalTimeS: 1.5, downtimeMs: 12 }));
  const rows: Row[] = [...sweepRows, { runId: 'b', trace: GZIP9, algorithm: 'xen', totalTimeS: 2.5, downtimeMs: null }];
  const cols: Column[] = [{ name: 'runId', type: 'utf8' }, { name: 'trace', type: 'utf8' }, { name: 'algorithm', type: 'utf8' }, { name: 'totalTimeS', type: 'float64' }, { name: 'downtimeMs', type: 'float64' }];

  for (const [format, torn] of [['csv', `c,${GZIP9},qemu,3.`], ['jsonl', '{"runId":"c","trace":"x","algo'], ['arrow', undefined]] as const) {
    it(`${format}: a torn last line or batch is left out, and said so`, async () => {
      const file = inDir(`torn.${format}`);
      const whole = await encodeTable(format as Format, cols, rows, new Map());
      let bytes = typeof whole === 'string' ? Buffer.from(whole) : Buffer.from(whole);
      if (format === 'arrow') {
        // The end marker gone, and half of another batch after the whole one.
        const more = Buffer.from(await encodeTable('arrow', cols, rows.slice(0, 1), new Map()) as Uint8Array);
        const batch = ipcFrames(more).frames[1]!;
        bytes = Buffer.concat([bytes.subarray(0, bytes.byteLength - 8), more.subarray(batch.start, batch.start + (batch.end - batch.start) / 2)]);
      } else bytes = Buffer.concat([bytes, Buffer.from(torn!)]);
      fs.writeFileSync(file, bytes);
      const table = await readTable(file, format as Format, { known: knownColumns() });
      expect(table.tornBytes).toBeGreaterThan(0);
      expect(table.rows).toEqual(rows);
      const [input] = await readReportInput(file);
      expect(input!.kind).toBe('sweep');
      if (input!.kind === 'sweep') {
        expect(input!.rows.map((r) => r.runId)).toEqual(rows.map((r) => r.runId));
        expect(input!.note).toMatch(/cut short .* left out/);
      }
    });
  }

  it('a damaged line before the last is one error, the same for every reader', async () => {
    const csv = inDir('damaged.csv');
    fs.writeFileSync(csv, 'runId,trace,algorithm\na,t,xen\nb,t\nc,t,qemu\n');
    const jsonl = inDir('damaged.jsonl');
    fs.writeFileSync(jsonl, '{"runId":"a","algorithm":"xen"}\n{"runId":\n{"runId":"c","algorithm":"qemu"}\n');
    for (const [file, message] of [[csv, `${csv}: line 3 has 2 fields, the header 3`], [jsonl, `${jsonl}: line 2 is not a JSON object`]] as const) {
      await expect(readTable(file)).rejects.toThrow(message);
      await expect(readReportInput(file)).rejects.toThrow(message);
    }
  });

  it('bad JSON and unreadable Arrow or Parquet bytes are said in our words, not the parser\'s', async () => {
    const json = inDir('bad.json');
    fs.writeFileSync(json, '[{"runId": "a",}]');
    for (const read of [() => readTable(json), () => readReportInput(json)]) {
      await expect(read()).rejects.toThrow(new RegExp(`^${json.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON( \\(it breaks off at character \\d+\\))?$`));
    }
    const noise = Buffer.from('PAR1 this is not a table at all, just some bytes PAR1');
    // Bytes without a whole first message are what a sweep killed before its schema leaves: torn, no rows.
    fs.writeFileSync(inDir('noise.arrow'), noise);
    expect(await readTable(inDir('noise.arrow'))).toMatchObject({ rows: [], validBytes: 0, tornBytes: noise.byteLength });
    for (const [name, said] of [['noise.arrow', /: not an Arrow IPC file or stream \(no schema message\)$/], ['noise.parquet', /: not a readable Parquet file \(its bytes are not valid Parquet data\)$/]] as const) {
      const file = inDir(name);
      fs.writeFileSync(file, noise);
      for (const read of name.endsWith('.arrow') ? [() => readReportInput(file)] : [() => readTable(file), () => readReportInput(file)]) {
        const e = await read().then(() => undefined, (x: unknown) => x);
        expect(e).toBeInstanceOf(MigreplayError);
        expect((e as Error).message).toMatch(said);
      }
    }
  });

  it('blank lines and a CRLF file read as their rows', async () => {
    const file = inDir('crlf.csv');
    fs.writeFileSync(file, 'runId,algorithm,totalTimeS\r\n\r\na,xen,1.5\r\nb,qemu,2\r\n\r\n');
    const table = await readTable(file);
    expect(table.rows).toEqual([{ runId: 'a', algorithm: 'xen', totalTimeS: 1.5 }, { runId: 'b', algorithm: 'qemu', totalTimeS: 2 }]);
    expect(table.tornBytes).toBe(0);
  });

  it('report reads .feather (the Arrow file form) like sweep and merge do', async () => {
    const file = inDir('rows.feather');
    await writeTable(file, 'feather', cols, rows, new Map());
    const [input] = await readReportInput(file);
    expect(input!.kind === 'sweep' && input!.rows.map((r) => r.runId)).toEqual(rows.map((r) => r.runId));
    expect((await readTable(file)).rows).toEqual(rows);
  });
});

describe('the sweep, step by step', () => {
  const base = () => ({ traces: [GZIP9], algorithms: [findAlgorithm('precopy')!], sets: ['bandwidth=1Gbit..8Gbit*2'], jobs: 1, note: () => {} });

  it('reports progress through its callback, ending with every run finished', async () => {
    const seen: SweepProgress[] = [];
    const stats = await runSweep({ ...base(), out: inDir('p.arrow') }, { onProgress: (p) => seen.push(p) });
    expect(stats.ran).toBe(4);
    expect(seen.at(-1)).toMatchObject({ finished: 4, total: 4, end: true });
    expect(seen.filter((p) => p.end)).toHaveLength(1);
    const finished = seen.map((p) => p.finished);
    expect(finished).toEqual([...finished].sort((a, b) => a - b));
  }, 60_000);

  it('writes a format written whole (Feather, JSON) through its sidecar, the same rows as Arrow', async () => {
    const arrow = await readTable(inDir('p.arrow'));
    for (const ext of ['feather', 'json']) {
      await runSweep({ ...base(), out: inDir(`p.${ext}`) });
      expect(fs.existsSync(inDir(`p.${ext}.partial.arrow`))).toBe(false);
      const rows = (await readTable(inDir(`p.${ext}`), formatOf(inDir(`p.${ext}`)), { known: knownColumns() })).rows;
      expect([...rows].sort((a, b) => String(a.runId).localeCompare(String(b.runId)))).toEqual([...arrow.rows].sort((a, b) => String(a.runId).localeCompare(String(b.runId))));
    }
  }, 60_000);

  it('an aborted sweep writes what finished and resolves interrupted; --resume completes it', async () => {
    const out = inDir('aborted.arrow');
    const stop = new AbortController();
    const notes: string[] = [];
    const stats = await runSweep({ ...base(), out, note: (l) => notes.push(l) }, { signal: stop.signal, onProgress: (p) => { if (p.finished === 1) stop.abort(); } });
    expect(stats.interrupted).toBe(true);
    expect(stats.ran).toBe(1);
    expect(notes).toEqual([`sweep interrupted: 1 runs written to ${out}; --resume continues it`]);
    expect((await readTable(out)).rows).toHaveLength(1);
    const resumed = await runSweep({ ...base(), out, resume: true });
    expect([resumed.alreadyDone, resumed.ran]).toEqual([1, 3]);
    expect((await readTable(out)).rows).toHaveLength(4);
  }, 60_000);

  it("a run's bad input is a usage error as the replay said it; a worker's crash an internal error", () => {
    const [run] = expandGrid([GZIP9], [findAlgorithm('precopy')!], []);
    const bad = runFailure(run!, { ok: false, code: 'usage', message: 'stop-bytes: bad', exitCode: 2 });
    expect(bad).toBeInstanceOf(MigreplayError);
    expect((bad as MigreplayError).exitCode).toBe(2);
    const crash = runFailure(run!, { ok: false, code: 'internal', message: 'x is not a function', exitCode: 1, stack: 'TypeError: x\n    at worker.js:1:1' });
    expect(crash).not.toBeInstanceOf(MigreplayError); // the CLI prints "internal error: …" and exits 1
    expect(crash.message).toMatch(/^run [0-9a-f]{16} \(.*precopy.*\) failed: x is not a function$/);
    expect(crash.stack).toContain('at worker.js:1:1');
  });

  it('the CLI on SIGTERM: the finished runs written, one line, exit 143; --resume completes the sweep', async () => {
    const out = inDir('term.csv');
    const args = ['sweep', '--trace', GZIP9, '--algo', 'precopy', '--set', 'max-iters=1..400+1', '--jobs', '1', '--batch', '1', '--out', out];
    const run = startCli(args, { env: { MIGREPLAY_PROGRESS_S: '0.05' } });
    // Kill it once a progress line says some runs are done.
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (/^sweep: [1-9]\d*\/400 runs/m.test(run.output().stderr)) { clearInterval(poll); run.child.kill('SIGTERM'); resolve(); }
        if (run.child.exitCode !== null) { clearInterval(poll); reject(new Error(`sweep ended first: ${run.output().stderr}`)); }
      }, 20);
    });
    const r = await run.done;
    expect(r.status).toBe(143);
    const said = r.stderr.match(/^migreplay: sweep interrupted: (\d+) runs written to (.*); --resume continues it$/m);
    expect(said, r.stderr).not.toBeNull();
    expect(said![2]).toBe(out);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js/);
    const written = (await readTable(out)).rows.length;
    expect(written).toBe(Number(said![1]));
    const resumed = startCli([...args, '--resume', '--json']);
    const done = await resumed.done;
    expect(done.status, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ alreadyDone: written, ran: 400 - written });
    expect((await readTable(out)).rows).toHaveLength(400);
  }, 120_000);

  it('the stderr renderer: a bar on a terminal, plain lines elsewhere', () => {
    const out: string[] = [];
    const bar = progressRenderer(true, (t) => out.push(t));
    bar({ finished: 1, total: 4, elapsedS: 1, end: false });
    bar({ finished: 4, total: 4, elapsedS: 2, end: true });
    expect(out[0]).toBe('\r\x1b[Ksweep: 1/4 runs (25.0 %), 1.0 runs/s, ETA 3 s');
    expect(out.at(-1)).toBe('\r\x1b[Ksweep: 4/4 runs (100.0 %), 2.0 runs/s, ETA 0 s\n');
    const lines: string[] = [];
    const plain = progressRenderer(false, (t) => lines.push(t));
    plain({ finished: 1, total: 4, elapsedS: 1, end: false }); // within the interval: nothing yet
    plain({ finished: 4, total: 4, elapsedS: 2, end: true });
    expect(lines).toEqual(['sweep: 4/4 runs, 2 s\n']);
  });
});
