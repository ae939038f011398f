// What `migreplay report` reads: replay results documents (`replay --json`, `--out
// x.json`, `--out x.arrow`) and sweep outputs (one row per run: Arrow IPC file or
// stream, Parquet, JSON Lines, CSV), told apart by their content, not only their name.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RecordBatchReader, type Table } from 'apache-arrow';
import type { ReplayResult, RoundRecord } from '../engine/types.js';
import { fail } from '../errors.js';
import { isFleetDocument, type FleetDocument } from '../output/fleet.js';
import type { ResultsDocument } from '../output/results.js';
import type { SweepRow } from '../plot/sweep.js';
import { registerCodecs } from '../trace/codecs.js';

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

/** Plain JS values out of Arrow ones: BigInt → number, vectors and struct rows → arrays and objects. */
export function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? Number(x) : x));
  if (Array.isArray(v)) return v.map(plainValue);
  // Arrow vectors give arrays, struct and map rows give objects.
  const o = v as { toJSON?: () => unknown };
  if (typeof o.toJSON === 'function') return plainValue(o.toJSON());
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = plainValue(x);
  return out;
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

function readBytes(file: string): Uint8Array {
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) fail('file-unreadable', `${file}: is a folder, not a results file`);
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    return fail(code === 'ENOENT' ? 'file-missing' : 'file-unreadable', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code})`}`);
  }
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
  if (Array.isArray(v) && v.every((r) => r && typeof r === 'object' && !Array.isArray(r))) return [sweepInput(source, v as SweepRow[])];
  return fail('schema', `${source}: not a migreplay results document (replay --json), a fleet document (fleet --json) nor an array of sweep rows`);
}

function readJson(file: string, bytes: Uint8Array): ReportInput[] {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    return fail('file-unreadable', `${file}: not valid JSON (${oneLine(e)})`);
  }
  return fromJsonValue(file, v);
}

function readJsonl(file: string, bytes: Uint8Array): ReportInput[] {
  const lines = new TextDecoder().decode(bytes).split('\n');
  const last = lines.map((l) => l.trim() !== '').lastIndexOf(true);
  const rows: SweepRow[] = [];
  let note: string | undefined;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      // Only the last line can be cut short by an interrupted sweep.
      if (i === last) note = 'its last line was cut short (an interrupted sweep?) and is left out';
      else fail('file-unreadable', `${file}: line ${i + 1} is not JSON (${oneLine(e)})`);
      return;
    }
    if (isResultsDocument(v)) fail('schema', `${file}: line ${i + 1} is a whole results document; save replay --json output as .json`);
    if (!v || typeof v !== 'object' || Array.isArray(v)) fail('schema', `${file}: line ${i + 1} is not a JSON object (one sweep row per line)`);
    rows.push(v as SweepRow);
  });
  return [sweepInput(file, rows, note)];
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

function readCsv(file: string, bytes: Uint8Array): ReportInput[] {
  const table = parseCsv(new TextDecoder().decode(bytes));
  if (table.length === 0) return fail('schema', `${file}: empty CSV file`);
  const [header, ...body] = table;
  const rows = body.filter((r) => r.length === header!.length).map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]])));
  const torn = body.length - rows.length;
  return [sweepInput(file, rows, torn ? `${torn} row${torn > 1 ? 's' : ''} with the wrong number of fields left out` : undefined)];
}

// Reads record batches one by one, so a stream torn by a kill still gives its whole batches.
function arrowRows(file: string, bytes: Uint8Array): { rows: SweepRow[]; metadata: Map<string, string>; note?: string } {
  registerCodecs();
  let reader: RecordBatchReader;
  try {
    reader = RecordBatchReader.from(bytes) as RecordBatchReader;
    reader.open();
  } catch (e) {
    return fail('not-arrow', `${file}: not an Arrow IPC file or stream (${oneLine(e)})`);
  }
  const rows: SweepRow[] = [];
  const metadata = new Map(reader.schema?.metadata ?? []);
  let note: string | undefined;
  try {
    for (const batch of reader) {
      const names = batch.schema.fields.map((f) => f.name);
      for (let i = 0; i < batch.numRows; i++) {
        const row: SweepRow = {};
        names.forEach((n, c) => { row[n] = plainValue(batch.getChildAt(c)!.get(i)); });
        rows.push(row);
      }
    }
  } catch (e) {
    if (rows.length === 0) return fail('not-arrow', `${file}: unreadable Arrow data (${oneLine(e)})`);
    note = `the end of the file could not be read (${oneLine(e)}); the ${rows.length} rows before it are shown`;
  }
  return { rows, metadata, ...(note ? { note } : {}) };
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
  } catch (e) {
    return fail('schema', `${file}: replay results with unreadable metadata (${oneLine(e)})`);
  }
}

function readArrow(file: string, bytes: Uint8Array): ReportInput[] {
  const { rows, metadata, note } = arrowRows(file, bytes);
  const doc = resultsFromArrow(file, rows, metadata);
  if (doc) return [{ kind: 'results', source: file, doc }];
  return [sweepInput(file, rows, note)];
}

async function readParquet(file: string, bytes: Uint8Array): Promise<ReportInput[]> {
  let ipc: Uint8Array;
  try {
    const parquet = await import('parquet-wasm/node');
    const table = parquet.readParquet(bytes);
    ipc = table.intoIPCStream();
  } catch (e) {
    return fail('not-arrow', `${file}: not a readable Parquet file (${oneLine(e)})`);
  }
  return readArrow(file, ipc);
}

/** Read one results or sweep file, by extension: .json, .jsonl/.ndjson, .arrow/.arrows/.ipc/.feather, .parquet, .csv. */
export async function readReportInput(file: string): Promise<ReportInput[]> {
  const ext = path.extname(file).toLowerCase();
  const known = ['.json', '.jsonl', '.ndjson', '.arrow', '.arrows', '.ipc', '.feather', '.parquet', '.pq', '.csv'];
  if (!known.includes(ext)) fail('usage', `${file}: report reads .json (replay --json), .arrow, .parquet, .jsonl or .csv results`);
  const bytes = readBytes(file);
  switch (ext) {
    case '.json': return readJson(file, bytes);
    case '.jsonl': case '.ndjson': return readJsonl(file, bytes);
    case '.csv': return readCsv(file, bytes);
    case '.parquet': case '.pq': return readParquet(file, bytes);
    default: return readArrow(file, bytes);
  }
}

/** Rows of an Arrow table as plain objects (for callers holding a Table already). */
export function tableRows(table: Table): SweepRow[] {
  return table.toArray().map((r) => plainValue(r) as SweepRow);
}
