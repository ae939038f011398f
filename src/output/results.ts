// The replay result document (`replay --json`, docs/output.md) and its CSV and Arrow forms.
import { Bool, Field, Float64, Int32, List, RecordBatch, Schema, Struct, Table, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import type { ReplayResult } from '../engine/types.js';
import { encodeArrowFile } from '../io/tables/arrow.js';
import { csvRecord } from '../io/tables/csv.js';
import { jsonText } from '../io/tables/json.js';
import type { Format } from '../io/tables/types.js';
import type { Trace } from '../trace/read.js';
import { VERSION } from '../version.js';

/** What `replay --json` prints. */
export interface ResultsDocument {
  migreplay: { version: string };
  trace: { path: string; memPages: number; pageSize: number; epochs: number; events: number; durationS: number };
  link: { bandwidthBytesPerS: number; startS: number; resumeMs: number };
  results: ReplayResult[];
}

/** Assemble the result document. */
export function resultsDocument(trace: Trace, link: ResultsDocument['link'], results: ReplayResult[]): ResultsDocument {
  return {
    migreplay: { version: VERSION },
    trace: {
      path: trace.name,
      memPages: trace.meta.memPages,
      pageSize: trace.meta.pageSize,
      epochs: trace.summary.epochs,
      events: trace.summary.events,
      durationS: trace.summary.durationUs / 1e6,
    },
    link,
    results,
  };
}

const SCALARS = ['pagesSent', 'bytesSent', 'totalTimeS', 'downtimeMs', 'iterations', 'overheadRatio'] as const;

/** One CSV row per algorithm: trace, algorithm, metrics (a missing one as null), stop reason, and the parameters as JSON. */
export function resultsCsv(doc: ResultsDocument): string {
  const header = ['trace', 'algorithm', ...SCALARS, 'stopReason', 'wrapped', 'rounds', 'params'];
  const rows = doc.results.map((r) => [doc.trace.path, r.algorithm, ...SCALARS.map((k) => r[k]), r.stopReason, r.wrapped, r.rounds.length, JSON.stringify(r.params)]);
  return [header, ...rows].map((row) => csvRecord(row.map(String))).join('');
}

const ROUND_TYPE = new Struct([
  new Field('index', new Int32()), new Field('startS', new Float64()), new Field('durationS', new Float64()),
  new Field('pagesDirtied', new Float64()), new Field('pagesSent', new Float64()), new Field('pagesSkipped', new Float64()),
  new Field('pagesDeferred', new Float64()), new Field('final', new Bool()),
]);

/** An Arrow IPC file: one row per algorithm, rounds as a list of structs, parameters as JSON text. */
export function resultsArrow(doc: ResultsDocument): Uint8Array {
  const rs = doc.results;
  const columns: Record<string, Vector> = {
    trace: vectorFromArray(rs.map(() => doc.trace.path), new Utf8()),
    algorithm: vectorFromArray(rs.map((r) => r.algorithm), new Utf8()),
  };
  for (const k of SCALARS) columns[k] = vectorFromArray(rs.map((r) => r[k]), new Float64());
  columns.stopReason = vectorFromArray(rs.map((r) => r.stopReason), new Utf8());
  columns.wrapped = vectorFromArray(rs.map((r) => r.wrapped), new Bool());
  columns.params = vectorFromArray(rs.map((r) => JSON.stringify(r.params)), new Utf8());
  columns.rounds = vectorFromArray(rs.map((r) => r.rounds), new List(new Field('item', ROUND_TYPE)));
  const table = new Table(columns);
  const metadata = new Map([['migreplay.version', VERSION], ['migreplay.link', JSON.stringify(doc.link)], ['migreplay.trace', JSON.stringify(doc.trace)]]);
  const withMeta = new Table(new Schema(table.schema.fields, metadata), table.batches.map((b) => new RecordBatch(new Schema(table.schema.fields, metadata), b.data)));
  return encodeArrowFile(withMeta);
}

/** The formats replay --out writes: the document as JSON, a CSV row or an Arrow IPC file row per algorithm. */
export const RESULTS_FORMATS: readonly Format[] = ['json', 'csv', 'arrow'];

/** The bytes (or text) of the document in a results format. */
export function encodeResults(format: Format, doc: ResultsDocument): string | Uint8Array {
  switch (format) {
    case 'json': return jsonText(doc);
    case 'csv': return resultsCsv(doc);
    default: return resultsArrow(doc);
  }
}
