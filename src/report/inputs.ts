// What `migreplay report` reads: replay results documents (`replay --json`, `--out
// x.json`, `--out x.arrow`) and sweep outputs (one row per run: Arrow IPC file or
// stream, Parquet, JSON Lines, CSV), told apart by their content, not only their name.
import * as path from 'node:path';
import type { Table } from 'apache-arrow';
import type { ReplayResult, RoundRecord } from '../engine/types.js';
import { fail } from '../errors.js';
import { isFleetDocument, type FleetDocument } from '../output/fleet.js';
import { batchRows, plainValue, readArrowBatches } from '../io/tables/arrow.js';
import { readCsv } from '../io/tables/csv.js';
import { FORMATS, readFileBytes } from '../io/tables/index.js';
import { isRowArray, parseJson } from '../io/tables/json.js';
import { jsonlObjects } from '../io/tables/jsonl.js';
import { parquetToArrow } from '../io/tables/parquet.js';
import type { ResultsDocument } from '../output/results.js';
import type { SweepRow } from '../plot/sweep.js';
import { knownColumns } from '../sweep/columns.js';

export { plainValue } from '../io/tables/arrow.js';

/** One input of a report: a results document, the rows of a sweep, or a fleet document (fleet --json). */
export type ReportInput =
  | { kind: 'results'; source: string; doc: ResultsDocument }
  | { kind: 'sweep'; source: string; rows: SweepRow[]; note?: string }
  | { kind: 'fleet'; source: string; doc: FleetDocument };

/** Whether a value has the shape of a `replay --json` document. */
export function isResultsDocument(v: unknown): v is ResultsDocument {
  const d = v as ResultsDocument;
  return Boolean(
    d && typeof d === 'object' && !Array.isArray(d) && Array.isArray(d.results) && d.trace && typeof d.trace === 'object' &&
      typeof d.trace.path === 'string' && d.link && typeof d.link.bandwidthBytesPerS === 'number' &&
      d.results.every((r) => r && typeof r.algorithm === 'string' && Array.isArray(r.rounds)),
  );
}

/** The note of a file whose last batch or line an interrupted sweep left torn. */
function tornNote(tornBytes: number, what: string): string | undefined {
  return tornBytes > 0 ? `its last ${what} was cut short (an interrupted sweep?) and is left out` : undefined;
}

// A sweep's runs are rows with an algorithm; its separate rounds table (keyed by runId) has none.
function sweepInput(source: string, rows: SweepRow[], note?: string): ReportInput {
  if (rows.length > 0 && rows.every((r) => r.algorithm === undefined && r.runId !== undefined && r.index !== undefined)) {
    fail('usage', `${source}: this is a sweep's per-round table (--rounds-out); give report the runs table (--out)`);
  }
  if (rows.length > 0 && !rows.some((r) => typeof r.algorithm === 'string')) {
    fail('schema', `${source}: rows without an 'algorithm' column: not migreplay sweep or replay results`);
  }
  return { kind: 'sweep', source, rows, ...(note ? { note } : {}) };
}

function fromJsonValue(source: string, v: unknown): ReportInput[] {
  if (isFleetDocument(v)) {
    const f = v.fleet;
    const ok = Array.isArray(f.guests) && f.guests.every((g) => g && typeof g.name === 'string' && typeof g.beginS === 'number' && Array.isArray(g.shares) && g.result && Array.isArray(g.result.rounds)) &&
      typeof f.makespanS === 'number' && f.link && typeof f.link.bandwidthBytesPerS === 'number';
    if (!ok) fail('schema', `${source}: a fleet document (fleet --json) with missing or mistyped fields`);
    return [{ kind: 'fleet', source, doc: v }];
  }
  if (isResultsDocument(v)) return [{ kind: 'results', source, doc: v }];
  if (Array.isArray(v) && v.length > 0 && v.every(isResultsDocument)) return v.map((doc) => ({ kind: 'results' as const, source, doc }));
  if (isRowArray(v)) return [sweepInput(source, v as SweepRow[])];
  return fail('schema', `${source}: not a migreplay results document (replay --json), a fleet document (fleet --json) nor an array of sweep rows`);
}

function readJson(file: string, bytes: Uint8Array): ReportInput[] {
  return fromJsonValue(file, parseJson(file, bytes));
}

function readJsonl(file: string, bytes: Uint8Array): ReportInput[] {
  const { objects, lines, tornBytes } = jsonlObjects(file, bytes);
  objects.forEach((v, i) => {
    if (isResultsDocument(v)) fail('schema', `${file}: line ${lines[i]} is a whole results document; save replay --json output as .json`);
  });
  return [sweepInput(file, objects as SweepRow[], tornNote(tornBytes, 'line'))];
}

function readCsvInput(file: string, bytes: Uint8Array): ReportInput[] {
  const table = readCsv(file, bytes, { known: knownColumns() });
  if (table.columns.length === 0) return fail('schema', `${file}: empty CSV file`);
  return [sweepInput(file, table.rows, tornNote(table.tornBytes, 'line'))];
}

// A stream torn by a kill still gives its whole batches.
function arrowRows(file: string, bytes: Uint8Array): { rows: SweepRow[]; metadata: Map<string, string>; note?: string } {
  const { schema, batches, tornBytes } = readArrowBatches(file, bytes);
  if (!schema) return fail('not-arrow', `${file}: not an Arrow IPC file or stream (no schema message)`);
  return { rows: batchRows(batches, plainValue), metadata: new Map(schema.metadata), note: tornNote(tornBytes, 'batch') };
}

// `replay --out x.arrow`: one row per algorithm, rounds as a list, the trace and link in the metadata.
function resultsFromArrow(file: string, rows: SweepRow[], metadata: Map<string, string>): ResultsDocument | null {
  const traceMeta = metadata.get('migreplay.trace');
  const linkMeta = metadata.get('migreplay.link');
  if (!traceMeta || !linkMeta || !rows.every((r) => Array.isArray(r.rounds))) return null;
  try {
    const results = rows.map((r): ReplayResult => {
      const rounds = (r.rounds as Record<string, unknown>[]).map((x) => ({
        ...(x as unknown as RoundRecord),
        phase: (x.phase as RoundRecord['phase'] | undefined) ?? (x.final ? 'stop-copy' : 'precopy'),
      }));
      return {
        ...(r as unknown as ReplayResult),
        params: typeof r.params === 'string' ? JSON.parse(r.params) : (r.params as ReplayResult['params']) ?? {},
        converged: (r.converged as boolean | undefined) ?? r.downtimeMs !== null,
        stopReason: String(r.stopReason ?? ''),
        rounds,
      };
    });
    return { migreplay: { version: metadata.get('migreplay.version') ?? '?' }, trace: JSON.parse(traceMeta), link: JSON.parse(linkMeta), results };
  } catch {
    return fail('schema', `${file}: replay results with unreadable metadata (its migreplay.trace, migreplay.link or params is not valid JSON)`);
  }
}

function readArrow(file: string, bytes: Uint8Array): ReportInput[] {
  const { rows, metadata, note } = arrowRows(file, bytes);
  const doc = resultsFromArrow(file, rows, metadata);
  if (doc) return [{ kind: 'results', source: file, doc }];
  return [sweepInput(file, rows, note)];
}

async function readParquet(file: string, bytes: Uint8Array): Promise<ReportInput[]> {
  return readArrow(file, await parquetToArrow(file, bytes));
}

/** Read one results or sweep file, by extension: .json, .jsonl/.ndjson, .arrow/.arrows/.ipc/.feather, .parquet, .csv. */
export async function readReportInput(file: string): Promise<ReportInput[]> {
  const ext = path.extname(file).toLowerCase();
  const format = FORMATS.find((f) => f.extensions.includes(ext));
  if (!format) fail('usage', `${file}: report reads .json (replay --json), .arrow, .feather, .parquet, .jsonl or .csv results`);
  const bytes = readFileBytes(file, 'a results file');
  switch (format.id) {
    case 'json': return readJson(file, bytes);
    case 'jsonl': return readJsonl(file, bytes);
    case 'csv': return readCsvInput(file, bytes);
    case 'parquet': return readParquet(file, bytes);
    default: return readArrow(file, bytes);
  }
}

/** Rows of an Arrow table as plain objects (for callers holding a Table already). */
export function tableRows(table: Table): SweepRow[] {
  return table.toArray().map((r) => plainValue(r) as SweepRow);
}
