// CSV, the one reader and writer (RFC 4180): quoted fields may hold commas, quotes ("")
// and line breaks (\n, \r). A record ends at its newline (\n or \r\n): a last record
// without one is torn (an interrupted append) and left out, as is a last record with the
// wrong number of fields; one such record before the last is damage. Blank lines are
// skipped. An unquoted empty field is null, a quoted one ("") the empty string.
import { fail } from '../../errors.js';
import type { Column, ReadOptions, Row, TableData, TableFormat } from './types.js';
import { cell, typeColumns } from './values.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** A CSV record as tokenized: its fields, and how many newlines lie before it and up to its end. */
interface CsvRecord { fields: (string | null)[]; before: number; newlines: number }

/** The whole records of CSV text (a last record without its newline is not one). */
export function csvRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: (string | null)[] = [];
  let fieldStart = 0;
  let inQuotes = false;
  let quoted = false;
  let newlines = 0;
  let before = 0;
  const take = (end: number) => {
    if (quoted) fields.push(text.slice(fieldStart + 1, end - 1).replace(/""/g, '"'));
    else fields.push(end === fieldStart ? null : text.slice(fieldStart, end));
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) newlines++;
    if (inQuotes) {
      if (c === QUOTE) inQuotes = false;
      continue;
    }
    if (c === QUOTE) {
      inQuotes = true;
      if (i === fieldStart) quoted = true;
    } else if (c === COMMA) {
      take(i);
      fieldStart = i + 1;
      quoted = false;
    } else if (c === LF) {
      take(i > fieldStart && text.charCodeAt(i - 1) === CR ? i - 1 : i);
      records.push({ fields, before, newlines });
      before = newlines;
      fields = [];
      fieldStart = i + 1;
      quoted = false;
    }
  }
  return records;
}

/** The fields of one line (no line break in it), null fields as ''. */
export function csvFields(line: string): string[] {
  if (!line.includes('"')) return line.split(','); // the common case, the same fields
  const [record] = csvRecords(`${line}\n`);
  return record!.fields.map((f) => f ?? '');
}

/** One field as CSV: empty for null, quoted when it holds a quote, comma or line break, or is the empty string. */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record as a CSV line, newline included. */
export function csvRecord(values: readonly (string | number | boolean | null | undefined)[]): string {
  return values.map(csvField).join(',') + '\n';
}

/** The line of a row under these columns. */
export function csvRow(columns: readonly Column[], row: Row): string {
  return csvRecord(columns.map((c) => (c.type === 'utf8' ? row[c.name] : cell(c, row[c.name]))));
}

/** The header line of these columns. */
export function csvHeader(columns: readonly Column[]): string {
  return csvRecord(columns.map((c) => c.name));
}

/** The byte after the n-th newline of bytes (0 for none): a newline byte is one in any UTF-8 text. */
function byteAfterNewline(bytes: Uint8Array, n: number): number {
  let seen = 0;
  for (let i = 0; i < bytes.byteLength && seen < n; i++) if (bytes[i] === LF && ++seen === n) return i + 1;
  return 0;
}

const blank = (r: CsvRecord): boolean => r.fields.length === 1 && r.fields[0] === null;

/** A CSV table: the first record names the columns; a torn last record is left out (see tornBytes). */
export function readCsv(file: string, bytes: Uint8Array, options: ReadOptions = {}): TableData {
  const all = csvRecords(new TextDecoder().decode(bytes));
  const records = all.filter((r) => !blank(r));
  if (records.length === 0) return { columns: [], rows: [], metadata: new Map(), validBytes: 0, tornBytes: bytes.byteLength };
  const names = records[0]!.fields.map((n) => n ?? '');
  let body = records.slice(1);
  let wholeNewlines = all[all.length - 1]!.newlines;
  const bad = body.findIndex((r) => r.fields.length !== names.length);
  if (bad >= 0) {
    const record = body[bad]!;
    if (bad !== body.length - 1) fail('truncated', `${file}: line ${record.before + 1} has ${record.fields.length} fields, the header ${names.length}`);
    body = body.slice(0, bad);
    wholeNewlines = record.before;
  }
  const validBytes = byteAfterNewline(bytes, wholeNewlines);
  const columns = typeColumns(names, (name) => body.map((r) => r.fields[names.indexOf(name)]), options.known);
  const rows = body.map((r) => {
    const row: Row = {};
    columns.forEach((c, j) => { row[c.name] = cell(c, r.fields[j]); });
    return row;
  });
  return { columns, rows, metadata: new Map(), validBytes, tornBytes: bytes.byteLength - validBytes };
}

export const csvFormat: TableFormat = {
  id: 'csv',
  extensions: ['.csv'],
  appendable: true,
  read: readCsv,
  encode: (columns, rows) => csvHeader(columns) + rows.map((r) => csvRow(columns, r)).join(''),
};
