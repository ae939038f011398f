// JSON Lines: one JSON object per line. A line is whole once its newline is written: a
// last line without one, or one that is not a JSON object, is torn (an interrupted
// append) and left out; such a line before the last is damage. Blank lines are skipped.
import { fail } from '../../errors.js';
import type { Column, Row, TableData, TableFormat } from './types.js';
import { cell, typeColumns, typedRows } from './values.js';

/** The JSON objects of whole lines, the line each came from, and how much of the file is whole. */
export function jsonlObjects(file: string, bytes: Uint8Array): { objects: Record<string, unknown>[]; lines: number[]; validBytes: number; tornBytes: number } {
  const decoder = new TextDecoder();
  const objects: Record<string, unknown>[] = [];
  const lines: number[] = [];
  let validBytes = 0;
  let lineStart = 0;
  let lineNo = 0;
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] !== 0x0a) continue;
    lineNo++;
    const text = decoder.decode(bytes.subarray(lineStart, i)).trim();
    const next = i + 1;
    if (text !== '') {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      if (value === undefined || typeof value !== 'object' || value === null || Array.isArray(value)) {
        // Only the last line can be torn; anything before it is damage.
        if (bytes.subarray(next).some((b) => b !== 0x0a && b !== 0x20 && b !== 0)) fail('truncated', `${file}: line ${lineNo} is not a JSON object`);
        break;
      }
      objects.push(value as Record<string, unknown>);
      lines.push(lineNo);
    }
    validBytes = next;
    lineStart = next;
  }
  return { objects, lines, validBytes, tornBytes: bytes.byteLength - validBytes };
}

/** The column names of objects, in order of first appearance. */
export function namesOf(objects: readonly Record<string, unknown>[]): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of objects) for (const k of Object.keys(r)) if (!seen.has(k)) { seen.add(k); names.push(k); }
  return names;
}

/** One row as a JSON line, its values typed by the columns. */
export function jsonRow(columns: readonly Column[], row: Row): string {
  const o: Row = {};
  for (const c of columns) o[c.name] = cell(c, row[c.name]);
  return JSON.stringify(o) + '\n';
}

export const jsonlFormat: TableFormat = {
  id: 'jsonl',
  extensions: ['.jsonl', '.ndjson'],
  appendable: true,
  read(file, bytes, options): TableData {
    const { objects, validBytes, tornBytes } = jsonlObjects(file, bytes);
    const columns = typeColumns(namesOf(objects), (name) => objects.map((r) => r[name]), options.known);
    return { columns, rows: typedRows(columns, objects), metadata: new Map(), validBytes, tornBytes };
  },
  encode: (columns, rows) => rows.map((r) => jsonRow(columns, r)).join(''),
};
