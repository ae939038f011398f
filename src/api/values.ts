// The public unit parsers, results documents and QEMU-shaped output, each checking its
// arguments. No Node imports.
import { DEFAULT_LINK } from '../engine/types.js';
import { qmpDocument as qmpDocumentImpl, toQmp as toQmpImpl, type QmpMigrationInfo } from '../output/qmp.js';
import { resultsDocument as resultsDocumentImpl, type ResultsDocument } from '../output/results.js';
import type { ReplayResult, LinkParams } from '../engine/types.js';
import type { Trace } from '../trace/read.js';
import { formatRate as formatRateImpl, parseDuration as parseDurationImpl, parseRate as parseRateImpl, parseSize as parseSizeImpl } from '../units.js';
import { bad, int, isObject, num, str } from './check.js';
import { usableLink, usableResult, usableResults } from './replay.js';
import { usableTrace } from './trace.js';

/** The text (or number) a unit parser reads, checked. */
function unitText(fn: string, what: unknown, text: unknown, example: string): string | number {
  str(fn, 'what', what);
  if (typeof text !== 'string' && typeof text !== 'number') bad(fn, 'text', `a string with a unit (e.g. ${example}) or a number`, text);
  return text;
}

/** Bytes per second from '100Mbit', '1Gbit', '10GB/s', '50MiB/s', or a number of bytes/s; `what` names the value in errors. */
export function parseRate(what: string, text: string | number): number {
  return parseRateImpl(what, unitText('parseRate', what, text, "'1Gbit'"));
}

/** Bytes from '4KiB', '1GiB', '10GB', '512B', or a number of bytes; `what` names the value in errors. */
export function parseSize(what: string, text: string | number): number {
  return parseSizeImpl(what, unitText('parseSize', what, text, "'4KiB'"));
}

/** Seconds from '300ms', '2s', '10m', or a number of seconds (text needs a unit); `what` names the value in errors. */
export function parseDuration(what: string, text: string | number): number {
  return parseDurationImpl(what, unitText('parseDuration', what, text, "'300ms'"));
}

/** A short human form of a byte rate, e.g. '1 Gbit/s'. */
export function formatRate(bytesPerS: number): string {
  return formatRateImpl(num('formatRate', 'bytesPerS', bytesPerS, 0, false, 'bytes/s'));
}

/**
 * The `replay --json` document of results replayed over `trace` with `link` (as for
 * replay; the document keeps its bandwidth, start and resume time, defaults filled in).
 */
export function resultsDocument(trace: Trace, link: Partial<LinkParams> | undefined, results: ReplayResult[]): ResultsDocument {
  const fn = 'resultsDocument';
  const t = usableTrace(fn, trace);
  const l = { ...DEFAULT_LINK, ...usableLink(fn, link) };
  return resultsDocumentImpl(t, { bandwidthBytesPerS: l.bandwidthBytesPerS, startS: l.startS, resumeMs: l.resumeMs }, usableResults(fn, results));
}

/** Page count and size of a trace (its meta, or the trace itself), checked. */
function pagesOf(fn: string, what: string, m: unknown): { memPages: number; pageSize: number } {
  const meta = isObject(m) && isObject(m.meta) && m.memPages === undefined ? m.meta : m;
  if (!isObject(meta)) bad(fn, what, '{ memPages, pageSize } (a trace\'s meta)', m);
  int(fn, `${what}.memPages`, meta.memPages, 1);
  int(fn, `${what}.pageSize`, meta.pageSize, 1);
  return meta as { memPages: number; pageSize: number };
}

/** One replay result as QEMU's query-migrate would report it (`trace` is the trace's meta, or the trace). */
export function toQmp(result: ReplayResult, trace: { memPages: number; pageSize: number }): QmpMigrationInfo {
  return toQmpImpl(usableResult('toQmp', result), pagesOf('toQmp', 'trace', trace));
}

/** What `replay --format qmp` prints for a results document: one MigrationInfo per algorithm, keyed by id. */
export function qmpDocument(doc: Pick<ResultsDocument, 'trace' | 'results'>): Record<string, QmpMigrationInfo> {
  const fn = 'qmpDocument';
  if (!isObject(doc)) bad(fn, 'doc', 'a results document (resultsDocument, replayFile)', doc);
  return qmpDocumentImpl({ trace: pagesOf(fn, 'doc.trace', doc.trace) as ResultsDocument['trace'], results: usableResults(fn, doc.results, 'doc.results') });
}
