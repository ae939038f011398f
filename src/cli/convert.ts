// migreplay convert <in> <out> — CSV (plain or .gz, docs/trace-format.md "CSV") ⇄ Arrow trace.
import * as fs from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import * as zlib from 'node:zlib';
import type { Argv } from 'yargs';
import { fail, MigreplayError, quoteName } from '../errors.js';
import { AtomicFile, describe } from '../io/files.js';
import { csvFields } from '../io/tables/csv.js';
import { enableZstdEncoder } from '../trace/codecs.js';
import { CSV_KEYS, OPTION_KEYS, csvEpochs, epochStarts, traceToCsv, withAllEpochs, type CsvEpoch, type CsvHead } from '../trace/csv.js';
import { downsampleEpochs } from '../trace/downsample.js';
import { parseMeta, type Trace } from '../trace/read.js';
import { META_KEYS } from '../trace/schema.js';
import { TraceWriter, traceSchema, type TraceCompression, type TraceHeader } from '../trace/write.js';
import { parseDecimal } from '../units.js';
import { loadTrace } from './common.js';

/** A CSV line longer than this is not a CSV trace (a binary file, /dev/zero): refused rather than buffered without end. */
const MAX_LINE = 64 * 2 ** 20;
/** An input that is not a regular file (a pipe) is read once into memory, up to this size, since conversion reads it twice. */
const MAX_PIPE_BYTES = 2 ** 30;

/** A failure while reading an input, as one line: gzip data cut short or not gzip, system errors. */
function inputError(file: string, e: unknown): never {
  if (e instanceof MigreplayError) throw e;
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : '';
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/.test(String(err?.message))) {
    fail('truncated', `${file}: the gzip data stops short (unexpected end of file); the file is truncated: redo the copy or the compression`);
  }
  if (code.startsWith('Z_')) {
    if (/incorrect header check/.test(String(err.message))) fail('file-unreadable', `${file}: not gzip data (a .gz input must be gzip-compressed; name a plain CSV .csv)`);
    fail('truncated', `${file}: corrupt gzip data; the file is damaged: redo the copy or the compression`);
  }
  if (code) fail(code === 'ENOENT' ? 'file-missing' : 'file-unreadable', `${file}: ${describe(err)}`);
  throw e;
}

/** Bytes of an input: a regular file as a stream, anything else (a pipe) read once into memory, bounded. */
async function inputBytes(file: string): Promise<() => Readable> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    return inputError(file, e);
  }
  if (stat.isDirectory()) fail('file-unreadable', `${file}: is a folder, not a CSV file`);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (e) {
    return inputError(file, e);
  }
  if (stat.isFile()) return () => fs.createReadStream(file);
  // A pipe cannot be read twice: read it once, refusing at once what cannot be a CSV
  // (NUL bytes in text, a .gz that does not start as gzip does), so that /dev/zero is not read to the limit.
  const chunks: Buffer[] = [];
  let size = 0;
  const gz = file.endsWith('.gz');
  try {
    for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
      if (!gz && chunk.includes(0)) fail('file-unreadable', `${file}: not a text file (it holds NUL bytes): a CSV trace is text`);
      if (gz && size === 0 && chunk.byteLength > 0 && (chunk[0] !== 0x1f || (chunk.byteLength > 1 && chunk[1] !== 0x8b))) {
        fail('file-unreadable', `${file}: not gzip data (a .gz input must be gzip-compressed; name a plain CSV .csv)`);
      }
      size += chunk.byteLength;
      if (size > MAX_PIPE_BYTES) fail('too-large', `${file}: not a regular file, and more than 1 GiB: save it to a file and convert that`);
      chunks.push(chunk);
    }
  } catch (e) {
    return inputError(file, e);
  }
  const all = Buffer.concat(chunks);
  return () => Readable.from([all]);
}

/** The lines of a text input (gunzipped when it ends in .gz), with one-line errors for what is not a text file. */
async function* lines(file: string, open: () => Readable): AsyncGenerator<string[]> {
  const raw = open();
  let stream: Readable = raw;
  if (file.endsWith('.gz')) {
    const gunzip = zlib.createGunzip();
    pipeline(raw, gunzip, () => {}); // errors reach the gunzip stream, and so the loop below
    stream = gunzip;
  }
  const decoder = new StringDecoder('utf8');
  let rest = '';
  // Text of a line still open, in pieces: a long line is joined once, not rescanned per chunk.
  let pieces: string[] = [];
  let piecesLength = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (chunk.includes(0)) fail('file-unreadable', `${file}: not a text file (it holds NUL bytes): a CSV trace is text`);
      const fresh = decoder.write(chunk);
      if (!fresh.includes('\n')) {
        pieces.push(fresh);
        piecesLength += fresh.length;
        if (rest.length + piecesLength > MAX_LINE) fail('file-unreadable', `${quoteName(file)}: a line longer than 64 MiB: not a CSV trace`);
        continue;
      }
      const text = rest + pieces.join('') + fresh;
      pieces = [];
      piecesLength = 0;
      const batch: string[] = [];
      let at = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
        const end = nl > at && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        batch.push(text.slice(at, end));
        at = nl + 1;
      }
      rest = text.slice(at);
      if (batch.length) yield batch;
      if (rest.length > MAX_LINE) fail('file-unreadable', `${quoteName(file)}: a line longer than 64 MiB: not a CSV trace`);
    }
  } catch (e) {
    stream.destroy();
    inputError(file, e);
  }
  rest += pieces.join('') + decoder.end();
  if (rest !== '') yield [rest.endsWith('\r') ? rest.slice(0, -1) : rest];
}

/** A CSV input: its lines, as often as needed. */
async function csvInput(file: string): Promise<() => AsyncGenerator<string[]>> {
  const open = await inputBytes(file);
  return () => lines(file, open);
}

/** The epochs list of --epochs: `epoch,t_us,…` (a header names the columns; without one, epoch and t_us come first). */
async function readEpochList(file: string): Promise<{ epoch: number; tUs: number }[]> {
  const list: { epoch: number; tUs: number }[] = [];
  let n = 0;
  let col = { epoch: 0, t: 1 };
  let started = false;
  const read = await csvInput(file);
  for await (const batch of read()) for (const line of batch) {
    n++;
    const text = line.trim();
    if (!text) continue;
    const fields = csvFields(text).map((s) => s.trim());
    if (!started && /^[A-Za-z_]/.test(text)) {
      col = { epoch: fields.indexOf('epoch'), t: fields.indexOf('t_us') };
      if (col.epoch < 0 || col.t < 0) fail('trace-rule', `${file}: line ${n}: the header has no '${col.epoch < 0 ? 'epoch' : 't_us'}' column (an epochs list has the columns epoch and t_us, and any others)`);
      started = true;
      continue;
    }
    started = true;
    const e = fields[col.epoch];
    const t = fields[col.t];
    const epoch = Number(e);
    const tUs = Number(t);
    if (!/^[0-9]+$/.test(e ?? '') || !/^[0-9]+$/.test(t ?? '') || !Number.isSafeInteger(epoch) || !Number.isSafeInteger(tUs)) fail('trace-rule', `${file}: line ${n}: expected 'epoch,t_us,…'`);
    if (list.length && epoch <= list[list.length - 1]!.epoch) fail('trace-rule', `${file}: line ${n}: epochs must ascend`);
    list.push({ epoch, tUs });
  }
  return list;
}

// A signal handler runs only when the event loop gets control: long synchronous write
// loops give it a turn every 100 ms, so that SIGINT/SIGTERM remove the temporary output
// at once rather than after the whole file is written.
let lastBreath = Date.now();
function breather(): Promise<void> | undefined {
  if (Date.now() - lastBreath < 100) return undefined;
  lastBreath = Date.now();
  return new Promise((resolve) => setImmediate(resolve));
}

/** How a CSV trace is converted: options given on the command line (undefined: not given). */
export interface CsvConvertOptions {
  tIs?: 'start' | 'end';
  memPages?: number;
  pageSize?: number;
  intervalUs?: number;
  durationUs?: number;
  source?: string;
  workload?: string;
  description?: string;
  epochsFile?: string;
  compression: TraceCompression;
  form: 'file' | 'stream';
}

/** Text of metadata for a one-line message: control characters escaped, long text cut. */
const shown = (v: string): string => JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v).slice(1, -1);

/**
 * The Arrow schema metadata of a CSV conversion. A plain CSV: what the options and rows
 * say (`source` = csv, …). A CSV with `# key=value` lines: those, kept as they are and in
 * order, and what the options add. An option that contradicts a line is refused.
 */
function conversionMetadata(input: string, head: CsvHead, opts: CsvConvertOptions, found: { maxPage: number; lastT: number }, tIs: 'start' | 'end'): Map<string, string> {
  const csv = new Map(head.meta.filter(([k]) => !k.startsWith('csv.')));
  const given: Record<string, string | undefined> = {
    [META_KEYS.memPages]: opts.memPages?.toString(), [META_KEYS.pageSize]: opts.pageSize?.toString(),
    [META_KEYS.intervalUs]: opts.intervalUs?.toString(), [META_KEYS.durationUs]: opts.durationUs?.toString(),
    [META_KEYS.source]: opts.source, [META_KEYS.workload]: opts.workload, [META_KEYS.description]: opts.description,
  };
  for (const [key, option] of OPTION_KEYS) {
    const mine = csv.get(key);
    const v = given[key];
    if (mine === undefined || v === undefined) continue;
    const same = /_(pages|size|us)$/.test(key) ? /^[0-9]+$/.test(mine) && Number(mine) === Number(v) : mine === v;
    if (!same) fail('usage', `${input}: its metadata says ${key}=${shown(mine)} but ${option} says ${shown(v)}: give one of them`);
  }
  const durationUs = opts.durationUs ?? (tIs === 'end' ? found.lastT : undefined);
  if (tIs === 'end' && opts.durationUs === undefined && csv.has(META_KEYS.durationUs) && Number(csv.get(META_KEYS.durationUs)) !== found.lastT) {
    fail('trace-rule', `${input}: its metadata says duration_us=${shown(csv.get(META_KEYS.durationUs)!)} but its last epoch ends at ${found.lastT} (t_us of epoch ends)`);
  }
  const header: TraceHeader = {
    memPages: opts.memPages ?? Math.max(1, found.maxPage + 1),
    pageSize: opts.pageSize ?? 4096,
    intervalUs: opts.intervalUs,
    durationUs,
    source: opts.source ?? 'csv',
    workload: opts.workload,
    description: opts.description,
  };
  const standard = traceSchema(header).metadata;
  if (csv.size === 0) return standard; // a plain CSV: the metadata convert has always written
  // A CSV with metadata lines (one migreplay wrote): those, as they are, then only what the
  // options give, mem_pages if the lines lack it, and the end of the last epoch for --t-is end.
  const out = new Map(csv);
  for (const [k, v] of standard) {
    if (out.has(k)) continue;
    if (given[k] !== undefined || k === META_KEYS.memPages || (k === META_KEYS.durationUs && durationUs !== undefined)) out.set(k, v);
  }
  return out;
}

/** Convert CSV to an Arrow trace file (two passes: the first finds the metadata, the largest page and the last time). */
export async function csvToArrow(input: string, output: string, opts: CsvConvertOptions): Promise<{ epochs: number; events: number }> {
  const read = await csvInput(input);
  const epochList = opts.epochsFile ? await readEpochList(opts.epochsFile) : undefined;
  let head: CsvHead = { meta: [], hasComm: false, hasImmp: false };
  let maxPage = -1;
  let lastT = -1;
  for await (const e of csvEpochs(read(), input, (h) => (head = h))) {
    if (e.pages.length) maxPage = Math.max(maxPage, e.pages[e.pages.length - 1]!);
    lastT = e.tUs;
  }
  for (const [k, v] of head.meta) {
    if (k === CSV_KEYS.tUs) {
      if (v !== 'start' && v !== 'end') fail('trace-rule', `${input}: metadata ${CSV_KEYS.tUs}=${shown(v)} is not start or end`);
    } else if (k.startsWith('csv.')) {
      fail('trace-rule', `${input}: unknown CSV metadata key '${shown(k)}' (the csv.* keys: ${CSV_KEYS.tUs})`);
    }
  }
  const csvTIs = head.meta.find(([k]) => k === CSV_KEYS.tUs)?.[1] as 'start' | 'end' | undefined;
  if (opts.tIs && csvTIs && opts.tIs !== csvTIs) fail('usage', `${input}: its metadata says ${CSV_KEYS.tUs}=${csvTIs} but --t-is says ${opts.tIs}: give one of them`);
  const tIs = opts.tIs ?? csvTIs ?? 'start';
  if (epochList?.length) lastT = Math.max(lastT, epochList[epochList.length - 1]!.tUs);
  if (lastT < 0) fail('trace-rule', `${input}: no rows`);
  const metadata = conversionMetadata(input, head, opts, { maxPage, lastT }, tIs);
  // The reader's own rules, before anything is written: what convert writes, replay reads.
  const meta = parseMeta(input, metadata);
  if (maxPage >= meta.memPages) fail('trace-rule', opts.memPages !== undefined ? `${input}: page ${maxPage} ≥ --mem-pages ${meta.memPages}` : `${input}: page ${maxPage} ≥ mem_pages (${meta.memPages})`);
  if (opts.compression === 'zstd') await enableZstdEncoder();
  const out = new AtomicFile(output);
  try {
    const writer = new TraceWriter((c) => out.write(c), {
      memPages: meta.memPages, pageSize: meta.pageSize, metadata, hasComm: head.hasComm, hasImmp: head.hasImmp,
    }, { compression: opts.compression, form: opts.form });
    let epochs: AsyncIterable<CsvEpoch> = csvEpochs(read(), input);
    if (epochList) epochs = withAllEpochs(epochs, epochList, input);
    let prevT = -1;
    for await (const e of epochStarts(epochs, tIs, meta.intervalUs)) {
      if (e.tUs <= prevT) fail('trace-rule', `${input}: epoch ${e.epoch}: t_us ${e.tUs} does not increase (previous ${prevT})`);
      prevT = e.tUs;
      writer.epoch(e.tUs, e.pages, e.comm, e.immp);
    }
    if (writer.epochs === 0) fail('trace-rule', `${input}: no rows`);
    if (meta.durationUs !== undefined && meta.durationUs <= prevT) fail('schema', `${input}: duration_us = ${meta.durationUs} does not lie after the last epoch (t_us = ${prevT})`);
    if (meta.durationUs === undefined && meta.intervalUs === undefined && writer.epochs === 1) {
      fail('schema', `${input}: one epoch and neither duration_us nor interval_us: the trace's length is unknown`);
    }
    writer.close();
    out.commit();
    return { epochs: writer.epochs, events: writer.events };
  } catch (e) {
    out.abort();
    throw e;
  }
}

/** Write a trace's epochs merged `factor` at a time as a new Arrow trace. */
export async function downsampleToArrow(trace: Trace, output: string, factor: number, compression: TraceCompression, form: 'file' | 'stream'): Promise<{ epochs: number; events: number }> {
  if (compression === 'zstd') await enableZstdEncoder();
  const m = trace.meta;
  const out = new AtomicFile(output);
  try {
    const writer = new TraceWriter((c) => out.write(c), {
      memPages: m.memPages, pageSize: m.pageSize, durationUs: trace.summary.durationUs,
      intervalUs: m.intervalUs !== undefined ? m.intervalUs * factor : undefined,
      source: m.source, workload: m.workload,
      description: `${trace.name} down-sampled ×${factor}${m.description ? `: ${m.description}` : ''}`,
      hasComm: trace.summary.hasComm, hasImmp: trace.summary.hasImmp,
    }, { compression, form });
    let epochs = 0;
    let events = 0;
    for (const e of downsampleEpochs(trace, factor)) {
      writer.epoch(e.tUs, e.pages, e.comm, e.immp);
      epochs++;
      events += e.pages.length;
      await breather();
    }
    writer.close();
    out.commit();
    return { epochs, events };
  } catch (e) {
    out.abort();
    throw e;
  }
}

/** A whole-number option ≥ min (plain decimal digits), or undefined when not given. */
function wholeOption(name: string, v: unknown, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const bad = (): never => fail('usage', `--${name}: '${String(v)}' is not a whole number ≥ ${min}`);
  let n: number;
  try {
    n = parseDecimal(`--${name}`, v as string | number);
  } catch {
    return bad();
  }
  if (!Number.isSafeInteger(n) || n < min) bad();
  return n;
}

export const convertCommand = {
  command: 'convert <in> <out>',
  describe: 'convert CSV epoch,t_us,page (.csv or .csv.gz) to an Arrow trace (.arrow), or an Arrow trace to CSV (.csv)',
  builder: (y: Argv) =>
    y.positional('in', { type: 'string', demandOption: true, describe: 'the input: a CSV trace (.csv or .csv.gz) or an Arrow trace (.arrow)' })
      .positional('out', { type: 'string', demandOption: true, describe: 'the output: an Arrow trace (.arrow) from a CSV or an Arrow trace, a CSV (.csv) from an Arrow trace' })
      .option('t-is', { choices: ['start', 'end'] as const, describe: "whether a CSV row's t_us is its epoch's start or end [default: the CSV's csv.t_us, else start]" })
      .option('mem-pages', { type: 'string', describe: "guest memory in pages [default: the CSV's mem_pages, else largest page + 1]" })
      .option('page-size', { type: 'string', describe: "page size in bytes [default: the CSV's page_size, else 4096]" })
      .option('interval-us', { type: 'string', describe: 'nominal epoch length, µs' })
      .option('duration-us', { type: 'string', describe: 'end of the last epoch, µs [default: last t_us with --t-is end]' })
      .option('epochs', { type: 'string', describe: 'CSV epoch,t_us,… listing every epoch, empty ones too (as pagescan writes NAME.epochs.csv)' })
      .option('source', { type: 'string', describe: 'metadata: where the trace came from' })
      .option('workload', { type: 'string', describe: 'metadata: what ran' })
      .option('description', { type: 'string', describe: 'metadata: free text' })
      .option('compression', { choices: ['none', 'zstd', 'lz4'] as const, default: 'none' as const, describe: 'Arrow body compression' })
      .option('form', { choices: ['file', 'stream'] as const, default: 'file' as const, describe: 'Arrow IPC file or stream form' })
      .option('downsample', { type: 'string', describe: 'Arrow → Arrow: merge this many consecutive epochs into one (a dirty log read that many times less often)' }),
  async handler(argv: any) {
    const isCsv = (f: string) => /\.csv(\.gz)?$/.test(f);
    const isArrow = (f: string) => f.endsWith('.arrow');
    const wrongKinds = () => fail('usage', `convert: give a .csv/.csv.gz and an .arrow file, or an Arrow trace and a .csv file (got ${argv.in} → ${argv.out})`);
    if (argv.downsample !== undefined) {
      const factor = wholeOption('downsample', argv.downsample)!;
      if (isCsv(argv.in) || !isArrow(argv.out)) fail('usage', '--downsample converts an Arrow trace to an Arrow trace (.arrow)');
      const r = await downsampleToArrow(loadTrace(argv.in), argv.out, factor, argv.compression, argv.form);
      process.stderr.write(`${quoteName(argv.out)}: ${r.epochs} epochs, ${r.events} page writes\n`);
    } else if (isCsv(argv.in)) {
      if (!isArrow(argv.out)) wrongKinds();
      const r = await csvToArrow(argv.in, argv.out, {
        tIs: argv['t-is'], memPages: wholeOption('mem-pages', argv['mem-pages']), pageSize: wholeOption('page-size', argv['page-size']),
        intervalUs: wholeOption('interval-us', argv['interval-us']), durationUs: wholeOption('duration-us', argv['duration-us']),
        epochsFile: argv.epochs, source: argv.source, workload: argv.workload,
        description: argv.description, compression: argv.compression, form: argv.form,
      });
      process.stderr.write(`${quoteName(argv.out)}: ${r.epochs} epochs, ${r.events} page writes\n`);
    } else if (argv.out.endsWith('.csv')) {
      const trace = loadTrace(argv.in);
      const out = new AtomicFile(argv.out);
      try {
        for (const chunk of traceToCsv(trace, argv['t-is'] ?? 'start')) {
          out.write(chunk);
          await breather();
        }
        out.commit();
      } catch (e) {
        out.abort();
        throw e;
      }
      process.stderr.write(`${quoteName(argv.out)}: ${trace.summary.epochs} epochs, ${trace.summary.events} page writes\n`);
    } else {
      wrongKinds();
    }
  },
};
