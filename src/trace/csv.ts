// The CSV form of a trace (docs/trace-format.md, "CSV") ⇄ the Arrow trace. No Node imports.
//
//   # mem_pages=24368                  metadata lines first: every key of the Arrow schema
//   # workload="xz6: xz -6 -T1 -c"     metadata, a value plain or as a JSON string
//   # csv.t_us=start                   (csv.* keys describe the CSV itself)
//   epoch,t_us,page                    a header naming the columns, in any order
//   0,0,17                             one row per page written in an epoch
//   1,50000,                           an epoch that wrote nothing: one row, no page
//
// Optional columns comm and immp (0 or 1) say whether the row's page is in the epoch's
// comm_pages / immp_pages. `--t-is end` (or `# csv.t_us=end`) reads t_us as the epoch's
// end, as pagescan captures record it: epoch e then starts where epoch e−1 ended. An
// optional epochs list (`epoch,t_us`, every epoch, empty ones too) supplies the epochs
// that have no rows.
import { fail } from '../errors.js';
import { csvFields, csvRecord } from '../io/tables/csv.js';
import type { Trace } from './read.js';
import { META_KEYS } from './schema.js';

/** Metadata keys that describe the CSV form itself; they are not Arrow schema metadata. */
export const CSV_KEYS = { tUs: 'csv.t_us' } as const;
const CSV_PREFIX = 'csv.';

/** The columns of a CSV trace: the required ones, then the optional ones. */
const REQUIRED = ['epoch', 't_us', 'page'] as const;
const OPTIONAL = ['comm', 'immp'] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];
const COLUMNS_SAID = 'a CSV trace has the columns epoch, t_us, page, and optionally comm, immp, in any order';

/** One epoch as read from CSV: its number, its CSV time and its pages (ascending, distinct), with comm/immp subsets when the CSV has those columns. */
export interface CsvEpoch {
  epoch: number;
  tUs: number;
  pages: Uint32Array;
  comm?: Uint32Array;
  immp?: Uint32Array;
}

/** What the lines before the first row say: metadata (in order) and which optional columns there are. */
export interface CsvHead {
  /** The `# key=value` lines, in order (keys distinct). */
  meta: [string, string][];
  hasComm: boolean;
  hasImmp: boolean;
}

const DIGITS = /^[0-9]+$/;

function wholeField(text: string, what: string, where: string): number {
  const v = Number(text);
  if (!DIGITS.test(text) || !Number.isSafeInteger(v)) fail('trace-rule', `${where}: ${what} '${text.slice(0, 40)}' is not a whole number ≥ 0`);
  return v;
}

function flagField(text: string, what: string, where: string): number {
  if (text !== '0' && text !== '1') fail('trace-rule', `${where}: ${what} '${text.slice(0, 40)}' is not 0 or 1`);
  return text === '1' ? 1 : 0;
}

// A metadata key as a CSV line can hold it; a value is written plain when it is printable
// ASCII without spaces and does not start with a quote, else as a JSON string.
const KEY = /^[^\s="#\\\x00-\x1f\x7f]+$/;
const PLAIN_VALUE = /^[!-~]*$/;

/** One `# key=value` line, or a one-line error. */
function metaLine(text: string, where: string): [string, string] {
  const body = text.slice(1).trimStart();
  const eq = body.indexOf('=');
  const key = eq > 0 ? body.slice(0, eq) : '';
  if (!KEY.test(key)) fail('trace-rule', `${where}: '${text.slice(0, 60)}' is not a metadata line '# key=value' (lines starting with # hold the trace's metadata, before the header)`);
  const raw = body.slice(eq + 1);
  if (!raw.startsWith('"')) {
    if (/[\s\x00-\x1f\x7f]/.test(raw)) fail('trace-rule', `${where}: the value of '${key}' has spaces or control characters: write it as a JSON string ("…")`);
    return [key, raw];
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'string') fail('trace-rule', `${where}: the value of '${key}' starts with a quote but is not one JSON string`);
  return [key, value];
}

/**
 * `epoch,t_us,page[,comm][,immp]` rows grouped into epochs; rows of one epoch must be
 * contiguous, epochs ascending. `input` gives lines one by one or in arrays; `onHead` gets
 * the metadata and columns before the first epoch.
 */
export async function* csvEpochs(input: AsyncIterable<string | readonly string[]>, name: string, onHead?: (head: CsvHead) => void): AsyncGenerator<CsvEpoch> {
  let lineNo = 0;
  const meta: [string, string][] = [];
  let columns: Column[] | undefined;
  let index: Record<Column, number> = { epoch: 0, t_us: 1, page: 2, comm: -1, immp: -1 };
  let current: { epoch: number; tUs: number; firstLine: number; empty: boolean; pages: number[] } | undefined;
  const flagged = (): boolean => index.comm >= 0 || index.immp >= 0;
  const emit = (c: NonNullable<typeof current>): CsvEpoch => {
    if (!flagged()) {
      const sorted = Uint32Array.from(c.pages).sort();
      let n = 0;
      for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i]!;
      return { epoch: c.epoch, tUs: c.tUs, pages: sorted.subarray(0, n) };
    }
    // Pages carry their flags (page × 4 + comm × 2 + immp, exact in a double): sort, then
    // de-duplicate, refusing a page listed twice with different flags.
    const sorted = Float64Array.from(c.pages).sort();
    const pages: number[] = [];
    const comm: number[] = [];
    const immp: number[] = [];
    for (let i = 0; i < sorted.length; i++) {
      const v = sorted[i]!;
      const page = Math.floor(v / 4);
      if (i > 0 && page === Math.floor(sorted[i - 1]! / 4)) {
        if (v !== sorted[i - 1]) fail('trace-rule', `${name}: epoch ${c.epoch} (from line ${c.firstLine}): page ${page} is listed twice with different comm/immp flags`);
        continue;
      }
      pages.push(page);
      if (v % 4 >= 2) comm.push(page);
      if (v % 2 === 1) immp.push(page);
    }
    return {
      epoch: c.epoch, tUs: c.tUs, pages: Uint32Array.from(pages),
      comm: index.comm >= 0 ? Uint32Array.from(comm) : undefined,
      immp: index.immp >= 0 ? Uint32Array.from(immp) : undefined,
    };
  };
  const head = (): void => {
    columns ??= [...REQUIRED];
    onHead?.({ meta, hasComm: index.comm >= 0, hasImmp: index.immp >= 0 });
  };
  for await (const item of input) for (const line of typeof item === 'string' ? [item] : item) {
    lineNo++;
    const text = line.trim();
    if (text === '') continue;
    const where = `${name}: line ${lineNo}`;
    if (text.startsWith('#')) {
      if (columns) fail('trace-rule', `${where}: a '#' line after the header or the first row (metadata lines come first)`);
      const [key, value] = metaLine(text, where);
      if (meta.some(([k]) => k === key)) fail('trace-rule', `${where}: metadata key '${key}' given twice`);
      meta.push([key, value]);
      continue;
    }
    if (!columns && /^[A-Za-z_]/.test(text)) {
      // The header: column names, in any order.
      const names = csvFields(text).map((s) => s.trim());
      const seen = new Set<string>();
      index = { epoch: -1, t_us: -1, page: -1, comm: -1, immp: -1 };
      names.forEach((n, i) => {
        if (!(REQUIRED as readonly string[]).includes(n) && !(OPTIONAL as readonly string[]).includes(n)) fail('trace-rule', `${where}: unknown column '${n.slice(0, 40)}' (${COLUMNS_SAID})`);
        if (seen.has(n)) fail('trace-rule', `${where}: column '${n}' named twice`);
        seen.add(n);
        index[n as Column] = i;
      });
      for (const r of REQUIRED) if (index[r] < 0) fail('trace-rule', `${where}: the header has no '${r}' column (${COLUMNS_SAID})`);
      columns = names as Column[];
      head();
      continue;
    }
    if (!columns) head();
    const fields = csvFields(text);
    if (fields.length !== columns!.length) fail('trace-rule', `${where}: expected ${columns!.length} fields '${columns!.join(',')}', got '${text.slice(0, 60)}'`);
    const field = (c: Column): string => fields[index[c]]!.trim();
    const epoch = wholeField(field('epoch'), 'epoch', where);
    const tUs = wholeField(field('t_us'), 't_us', where);
    const pageText = field('page');
    const empty = pageText === '';
    let value = 0;
    if (empty) {
      for (const c of OPTIONAL) if (index[c] >= 0 && field(c) !== '') fail('trace-rule', `${where}: a row without a page has ${c} '${field(c).slice(0, 20)}' (an epoch that wrote nothing leaves page, comm and immp empty)`);
    } else {
      const page = wholeField(pageText, 'page', where);
      if (page > 0xffffffff) fail('trace-rule', `${where}: page ${page} does not fit in 32 bits`);
      value = page;
      if (flagged()) {
        value = page * 4;
        if (index.comm >= 0) value += 2 * flagField(field('comm'), 'comm', where);
        if (index.immp >= 0) value += flagField(field('immp'), 'immp', where);
      }
    }
    if (!current || epoch !== current.epoch) {
      if (current) {
        if (epoch < current.epoch) fail('trace-rule', `${where}: epoch ${epoch} after epoch ${current.epoch} (rows must be grouped by ascending epoch)`);
        yield emit(current);
      }
      current = { epoch, tUs, firstLine: lineNo, empty, pages: [] };
    } else if (tUs !== current.tUs) {
      fail('trace-rule', `${where}: epoch ${epoch} has two times (${current.tUs} and ${tUs})`);
    } else if (empty || current.empty) {
      fail('trace-rule', `${where}: epoch ${epoch} has a row without a page and rows with pages (an epoch that wrote nothing has one row, without a page)`);
    }
    if (!empty) current.pages.push(value);
  }
  if (!columns) head();
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
    yield { ...e, tUs: start };
    prevEpoch = e.epoch;
    prevEnd = e.tUs;
  }
}

/** The metadata line for a key and value, or a one-line error when the key cannot be written as one. */
function metaText(src: string, key: string, value: string): string {
  if (!KEY.test(key)) fail('usage', `${src}: metadata key ${JSON.stringify(key.slice(0, 40))} cannot be written as a CSV metadata line (keys have no spaces, '=', '#', quotes or control characters): keep the trace in Arrow`);
  return `# ${key}=${PLAIN_VALUE.test(value) && !value.startsWith('"') ? value : JSON.stringify(value)}\n`;
}

/** Pages of `pages` that are also in the ascending subset `sub`, as 0/1 flags, one per page. */
function flagsOf(pages: Uint32Array, sub: Uint32Array): Uint8Array {
  const out = new Uint8Array(pages.length);
  let j = 0;
  for (let k = 0; k < pages.length && j < sub.length; k++) {
    while (j < sub.length && sub[j]! < pages[k]!) j++;
    if (j < sub.length && sub[j] === pages[k]) out[k] = 1;
  }
  return out;
}

/**
 * The CSV form of a trace: its schema metadata as `# key=value` lines (and `csv.t_us`),
 * the header, then one row per page written, and one row without a page for each epoch
 * that wrote nothing. t_us is each epoch's start, or with tIs 'end' its end (epoch e
 * starting where e−1 ended, epoch 0 at 0: a trace whose first epoch starts later is refused).
 */
export function* traceToCsv(trace: Trace, tIs: 'start' | 'end'): Generator<string> {
  if (tIs === 'end' && trace.summary.firstUs !== 0) {
    fail('usage', `${trace.name}: its first epoch starts at t_us = ${trace.summary.firstUs}, which CSV times of epoch ends cannot say (the first epoch of --t-is end starts at 0): use --t-is start`);
  }
  let head = '';
  for (const [key, value] of Object.entries(trace.meta.raw)) {
    if (key.startsWith(CSV_PREFIX)) fail('usage', `${trace.name}: metadata key '${key.slice(0, 40)}' is reserved for the CSV form (csv.*): keep the trace in Arrow`);
    head += metaText(trace.name, key, value);
  }
  head += metaText(trace.name, CSV_KEYS.tUs, tIs);
  const hasComm = trace.summary.hasComm;
  const hasImmp = trace.summary.hasImmp;
  head += csvRecord(['epoch', 't_us', 'page', ...(hasComm ? ['comm'] : []), ...(hasImmp ? ['immp'] : [])]);
  yield head;
  // The rows hold whole numbers only, which CSV never quotes: written directly (millions of rows).
  const none = `${hasComm ? ',' : ''}${hasImmp ? ',' : ''}`;
  const rows = (e: number, t: number, p: { pages: Uint32Array; comm?: Uint8Array; immp?: Uint8Array }): string => {
    if (p.pages.length === 0) return `${e},${t},${none}\n`;
    let s = '';
    for (let k = 0; k < p.pages.length; k++) {
      s += `${e},${t},${p.pages[k]}`;
      if (p.comm) s += `,${p.comm[k]}`;
      if (p.immp) s += `,${p.immp[k]}`;
      s += '\n';
    }
    return s;
  };
  let epoch = 0;
  let pending: { epoch: number; pages: Uint32Array; comm?: Uint8Array; immp?: Uint8Array } | undefined;
  for (const b of trace.batches()) {
    for (let i = 0; i < b.length; i++, epoch++) {
      const pages = b.pages.subarray(b.offsets[i]!, b.offsets[i + 1]!);
      const p = {
        epoch,
        pages: tIs === 'end' ? pages.slice() : pages,
        comm: hasComm ? flagsOf(pages, b.comm!.subarray(b.commOffsets![i]!, b.commOffsets![i + 1]!)) : undefined,
        immp: hasImmp ? flagsOf(pages, b.immp!.subarray(b.immpOffsets![i]!, b.immpOffsets![i + 1]!)) : undefined,
      };
      if (tIs === 'start') {
        yield rows(epoch, b.tUs[i]!, p);
        continue;
      }
      if (pending) yield rows(pending.epoch, b.tUs[i]!, pending);
      pending = p;
    }
  }
  if (pending) yield rows(pending.epoch, trace.summary.durationUs, pending);
}

/** The metadata keys a CSV conversion sets from its options, and the options that set them. */
export const OPTION_KEYS = [
  [META_KEYS.memPages, '--mem-pages'], [META_KEYS.pageSize, '--page-size'], [META_KEYS.intervalUs, '--interval-us'],
  [META_KEYS.durationUs, '--duration-us'], [META_KEYS.source, '--source'], [META_KEYS.workload, '--workload'],
  [META_KEYS.description, '--description'],
] as const;
