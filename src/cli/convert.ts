// migreplay convert <in> <out> — CSV `epoch,t_us,page` (plain or .gz) ⇄ Arrow trace.
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import * as zlib from 'node:zlib';
import type { Argv } from 'yargs';
import { fail } from '../errors.js';
import { AtomicFile } from '../io/files.js';
import { enableZstdEncoder } from '../trace/codecs.js';
import { csvEpochs, csvHeader, epochStarts, traceToCsv, withAllEpochs, type CsvEpoch, type CsvOptions } from '../trace/csv.js';
import { downsampleEpochs } from '../trace/downsample.js';
import type { Trace } from '../trace/read.js';
import { TraceWriter, type TraceCompression } from '../trace/write.js';
import { loadTrace } from './common.js';

function lines(file: string): AsyncIterable<string> {
  if (!fs.existsSync(file)) fail('file-missing', `${file}: no such file`);
  const raw = fs.createReadStream(file);
  const stream = file.endsWith('.gz') ? raw.pipe(zlib.createGunzip()) : raw;
  stream.on('error', () => {}); // surfaced by readline's iterator
  return readline.createInterface({ input: stream, crlfDelay: Infinity });
}

async function readEpochList(file: string): Promise<{ epoch: number; tUs: number }[]> {
  const list: { epoch: number; tUs: number }[] = [];
  let n = 0;
  for await (const line of lines(file)) {
    n++;
    if (n === 1 && /^[a-z_]/i.test(line)) continue;
    if (!line.trim()) continue;
    const [e, t] = line.split(',');
    const epoch = Number(e);
    const tUs = Number(t);
    if (!Number.isSafeInteger(epoch) || !Number.isSafeInteger(tUs) || epoch < 0 || tUs < 0) fail('trace-rule', `${file}: line ${n}: expected 'epoch,t_us,…'`);
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

/** Convert CSV to an Arrow trace file (two passes: the first finds the largest page and the last time). */
export async function csvToArrow(input: string, output: string, opts: CsvOptions & { epochsFile?: string; durationUs?: number; compression: TraceCompression; form: 'file' | 'stream' }): Promise<{ epochs: number; events: number }> {
  const epochList = opts.epochsFile ? await readEpochList(opts.epochsFile) : undefined;
  let maxPage = -1;
  let lastT = -1;
  for await (const e of csvEpochs(lines(input), input)) {
    if (e.pages.length) maxPage = Math.max(maxPage, e.pages[e.pages.length - 1]!);
    lastT = e.tUs;
  }
  if (epochList?.length) lastT = Math.max(lastT, epochList[epochList.length - 1]!.tUs);
  if (lastT < 0) fail('trace-rule', `${input}: no rows`);
  const memPages = opts.memPages ?? maxPage + 1;
  if (maxPage >= memPages) fail('trace-rule', `${input}: page ${maxPage} ≥ --mem-pages ${memPages}`);
  const durationUs = opts.durationUs ?? (opts.tIs === 'end' ? lastT : undefined);
  if (opts.compression === 'zstd') await enableZstdEncoder();
  const out = new AtomicFile(output);
  try {
    const writer = new TraceWriter((c) => out.write(c), csvHeader(opts, Math.max(1, memPages), durationUs), { compression: opts.compression, form: opts.form });
    let epochs: AsyncIterable<CsvEpoch> = csvEpochs(lines(input), input);
    if (epochList) epochs = withAllEpochs(epochs, epochList, input);
    let prevT = -1;
    for await (const e of epochStarts(epochs, opts.tIs, opts.intervalUs)) {
      if (e.tUs <= prevT) fail('trace-rule', `${input}: epoch ${e.epoch}: t_us ${e.tUs} does not increase (previous ${prevT})`);
      prevT = e.tUs;
      writer.epoch(e.tUs, e.pages);
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
export async function downsampleToArrow(trace: Trace, output: string, factor: number, compression: TraceCompression, form: 'file' | 'stream'): Promise<void> {
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
    for (const e of downsampleEpochs(trace, factor)) {
      writer.epoch(e.tUs, e.pages, e.comm, e.immp);
      await breather();
    }
    writer.close();
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
}

export const convertCommand = {
  command: 'convert <in> <out>',
  describe: 'convert CSV epoch,t_us,page (.csv or .csv.gz) to an Arrow trace (.arrow), or an Arrow trace to CSV',
  builder: (y: Argv) =>
    y.positional('in', { type: 'string', demandOption: true })
      .positional('out', { type: 'string', demandOption: true })
      .option('t-is', { choices: ['start', 'end'] as const, default: 'start' as const, describe: "whether a CSV row's t_us is its epoch's start or end" })
      .option('mem-pages', { type: 'number', describe: 'guest memory in pages [default: largest page + 1]' })
      .option('page-size', { type: 'number', default: 4096, describe: 'page size in bytes' })
      .option('interval-us', { type: 'number', describe: 'nominal epoch length, µs' })
      .option('duration-us', { type: 'number', describe: 'end of the last epoch, µs [default: last t_us with --t-is end]' })
      .option('epochs', { type: 'string', describe: 'CSV epoch,t_us,… listing every epoch, empty ones too (as pagescan writes NAME.epochs.csv)' })
      .option('source', { type: 'string', describe: 'metadata: where the trace came from' })
      .option('workload', { type: 'string', describe: 'metadata: what ran' })
      .option('description', { type: 'string', describe: 'metadata: free text' })
      .option('compression', { choices: ['none', 'zstd', 'lz4'] as const, default: 'none' as const, describe: 'Arrow body compression' })
      .option('form', { choices: ['file', 'stream'] as const, default: 'file' as const, describe: 'Arrow IPC file or stream form' })
      .option('downsample', { type: 'number', describe: 'Arrow → Arrow: merge this many consecutive epochs into one (a dirty log read that many times less often)' }),
  async handler(argv: any) {
    const isCsv = (f: string) => /\.csv(\.gz)?$/.test(f);
    if (argv.downsample !== undefined) {
      if (!Number.isSafeInteger(argv.downsample) || argv.downsample < 1) fail('usage', `--downsample: '${argv.downsample}' is not a whole number ≥ 1`);
      if (isCsv(argv.in) || isCsv(argv.out)) fail('usage', '--downsample converts an Arrow trace to an Arrow trace');
      await downsampleToArrow(loadTrace(argv.in), argv.out, argv.downsample, argv.compression, argv.form);
    } else if (isCsv(argv.in) && !isCsv(argv.out)) {
      for (const k of ['mem-pages', 'page-size', 'interval-us', 'duration-us'] as const) {
        const v = argv[k];
        if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) fail('usage', `--${k}: '${v}' is not a whole number ≥ 1`);
      }
      const r = await csvToArrow(argv.in, argv.out, {
        tIs: argv['t-is'], pageSize: argv['page-size'], memPages: argv['mem-pages'], intervalUs: argv['interval-us'],
        durationUs: argv['duration-us'], epochsFile: argv.epochs, source: argv.source, workload: argv.workload,
        description: argv.description, compression: argv.compression, form: argv.form,
      });
      process.stderr.write(`${argv.out}: ${r.epochs} epochs, ${r.events} page writes\n`);
    } else if (!isCsv(argv.in) && argv.out.endsWith('.csv')) {
      const trace = loadTrace(argv.in);
      const out = new AtomicFile(argv.out);
      try {
        for (const chunk of traceToCsv(trace, argv['t-is'])) {
          out.write(chunk);
          await breather();
        }
        out.commit();
      } catch (e) {
        out.abort();
        throw e;
      }
    } else {
      fail('usage', `convert: give a .csv/.csv.gz and an .arrow file, or an Arrow trace and a .csv file (got ${argv.in} → ${argv.out})`);
    }
  },
};
