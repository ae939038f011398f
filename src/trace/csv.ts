// CSV `epoch,t_us,page` (one row per page written in an epoch) ⇄ the Arrow trace.
// `--t-is end` reads t_us as the epoch's end (as pagescan captures record it):
// epoch e then starts where epoch e−1 ended. An optional epochs list (`epoch,t_us`,
// every epoch, empty ones too) supplies the epochs that have no rows.
import { fail } from '../errors.js';
import type { Trace } from './read.js';
import type { TraceHeader } from './write.js';

/** How a CSV trace is read. */
export interface CsvOptions {
  tIs: 'start' | 'end';
  pageSize: number;
  /** Guest memory in pages; default: the largest page seen + 1. */
  memPages?: number;
  intervalUs?: number;
  source?: string;
  workload?: string;
  description?: string;
}

/** One epoch as read from CSV: its number, its CSV time and its pages (ascending, distinct). */
export interface CsvEpoch {
  epoch: number;
  tUs: number;
  pages: Uint32Array;
}

function parseIntField(text: string | undefined, what: string, where: string): number {
  const v = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isSafeInteger(v) || v < 0) fail('trace-rule', `${where}: ${what} '${text ?? ''}' is not a whole number ≥ 0`);
  return v;
}

/** Group `epoch,t_us,page` rows into epochs; rows of one epoch must be contiguous, epochs ascending. */
export async function* csvEpochs(lines: AsyncIterable<string>, name: string): AsyncGenerator<CsvEpoch> {
  let lineNo = 0;
  let current: { epoch: number; tUs: number; pages: number[] } | undefined;
  const emit = (c: { epoch: number; tUs: number; pages: number[] }): CsvEpoch => {
    const sorted = Uint32Array.from(c.pages).sort();
    let n = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i]!;
    return { epoch: c.epoch, tUs: c.tUs, pages: sorted.subarray(0, n) };
  };
  for await (const line of lines) {
    lineNo++;
    const text = line.trim();
    if (text === '' || (lineNo === 1 && /^[a-z_]/i.test(text))) continue; // blank line or header
    const where = `${name}: line ${lineNo}`;
    const [e, t, p, extra] = text.split(',');
    if (p === undefined || extra !== undefined) fail('trace-rule', `${where}: expected 3 fields 'epoch,t_us,page', got '${text.slice(0, 60)}'`);
    const epoch = parseIntField(e, 'epoch', where);
    const tUs = parseIntField(t, 't_us', where);
    const page = parseIntField(p, 'page', where);
    if (page > 0xffffffff) fail('trace-rule', `${where}: page ${page} does not fit in 32 bits`);
    if (!current || epoch !== current.epoch) {
      if (current) {
        if (epoch < current.epoch) fail('trace-rule', `${where}: epoch ${epoch} after epoch ${current.epoch} (rows must be grouped by ascending epoch)`);
        yield emit(current);
      }
      current = { epoch, tUs, pages: [] };
    } else if (tUs !== current.tUs) {
      fail('trace-rule', `${where}: epoch ${epoch} has two times (${current.tUs} and ${tUs})`);
    }
    current.pages.push(page);
  }
  if (current) yield emit(current);
}

/** Merge CSV epochs with a full epochs list (epoch numbers → CSV time): epochs without rows become empty. */
export async function* withAllEpochs(rows: AsyncIterable<CsvEpoch>, all: Iterable<{ epoch: number; tUs: number }>, name: string): AsyncGenerator<CsvEpoch> {
  const it = rows[Symbol.asyncIterator]();
  let next = await it.next();
  for (const e of all) {
    if (!next.done && next.value.epoch < e.epoch) fail('trace-rule', `${name}: epoch ${next.value.epoch} is not in the epochs list`);
    if (!next.done && next.value.epoch === e.epoch) {
      if (next.value.tUs !== e.tUs) fail('trace-rule', `${name}: epoch ${e.epoch} has t_us ${next.value.tUs} but the epochs list says ${e.tUs}`);
      yield next.value;
      next = await it.next();
    } else {
      yield { epoch: e.epoch, tUs: e.tUs, pages: new Uint32Array(0) };
    }
  }
  if (!next.done) fail('trace-rule', `${name}: epoch ${next.value.epoch} is not in the epochs list`);
}

/** Epoch start times from CSV times; with tIs 'end', gaps in epoch numbers become empty epochs. */
export async function* epochStarts(epochs: AsyncIterable<CsvEpoch>, tIs: 'start' | 'end', intervalUs: number | undefined): AsyncGenerator<CsvEpoch> {
  if (tIs === 'start') {
    yield* epochs;
    return;
  }
  let prevEpoch = -1;
  let prevEnd = 0;
  for await (const e of epochs) {
    let start = prevEnd;
    if (e.epoch !== prevEpoch + 1 && intervalUs !== undefined) {
      // Epochs prevEpoch+1 … e−1 wrote nothing: an empty epoch covers them.
      start = Math.max(prevEnd, e.tUs - intervalUs);
      if (start > prevEnd) yield { epoch: -1, tUs: prevEnd, pages: new Uint32Array(0) };
    }
    if (e.tUs <= start) fail('trace-rule', `epoch ${e.epoch}: end t_us ${e.tUs} does not lie after its start ${start}`);
    yield { epoch: e.epoch, tUs: start, pages: e.pages };
    prevEpoch = e.epoch;
    prevEnd = e.tUs;
  }
}

/** A trace header for a CSV conversion. */
export function csvHeader(opts: CsvOptions, memPages: number, durationUs: number | undefined): TraceHeader {
  return {
    memPages,
    pageSize: opts.pageSize,
    intervalUs: opts.intervalUs,
    durationUs,
    source: opts.source ?? 'csv',
    workload: opts.workload,
    description: opts.description,
  };
}

/** CSV rows (with a header line) for a trace: t_us is each epoch's start, or its end with tIs 'end'. */
export function* traceToCsv(trace: Trace, tIs: 'start' | 'end'): Generator<string> {
  yield 'epoch,t_us,page\n';
  let epoch = 0;
  let pending: { epoch: number; pages: Uint32Array } | undefined;
  const rows = (e: number, t: number, pages: Uint32Array): string => {
    let s = '';
    for (let k = 0; k < pages.length; k++) s += `${e},${t},${pages[k]}\n`;
    return s;
  };
  for (const b of trace.batches()) {
    for (let i = 0; i < b.length; i++, epoch++) {
      const pages = b.pages.subarray(b.offsets[i]!, b.offsets[i + 1]!);
      if (tIs === 'start') {
        if (pages.length) yield rows(epoch, b.tUs[i]!, pages);
        continue;
      }
      if (pending && pending.pages.length) yield rows(pending.epoch, b.tUs[i]!, pending.pages);
      pending = { epoch, pages: pages.slice() };
    }
  }
  if (pending && pending.pages.length) yield rows(pending.epoch, trace.summary.durationUs, pending.pages);
}
